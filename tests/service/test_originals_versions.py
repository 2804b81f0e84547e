"""The original file of a document whose version hash is not its bytes' hash.

A record's ``content_hash`` is the version it is stored under: the bytes' sha256 with the
chunker's signature (context headers on) and its format's reader version
(index.formats.READER_VERSIONS) folded in. ``GET /v1/files/{doc_id}`` (service/originals.py)
checks the bytes against the record's ``file_hash``, so such a document is still served, and a
file changed since is still refused. The real bundled model, real Chroma in a temp dir.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from index.errors import NotFoundError
from service.originals import original_bytes
from tests.files import pdf_bytes
from tests.helpers import make_settings


@pytest.mark.parametrize("headers", [False, True])
def test_a_version_hash_other_than_the_bytes_still_serves_the_file(tmp_path: Path, embedder,
                                                                    headers: bool):
    from rag.factory import build_pipeline

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pdf = pdf_bytes(["The water board meets on the first Monday of each month."])
    (corpus / "board.pdf").write_bytes(pdf)
    # a format without a reader version (index.formats.READER_VERSIONS): CSV
    (corpus / "note.csv").write_text("Board,Reviews\nTransit board,its targets every spring\n")
    settings = make_settings(tmp_path / "data", chunking={"context_headers": headers})
    pipeline = build_pipeline(settings, embedder=embedder)
    assert pipeline.ingest.sync(corpus).failed == {}
    records = pipeline.store.documents()
    for name in ("board.pdf", "note.csv"):
        data = (corpus / name).read_bytes()
        record = records[name]
        assert record.file_hash == hashlib.sha256(data).hexdigest()
        assert original_bytes(record, settings.data_dir, 10_000_000) == data
    # the PDF's version hash folds in its reader's version; the CSV's only the headers
    assert records["board.pdf"].content_hash != records["board.pdf"].file_hash
    assert (records["note.csv"].content_hash != records["note.csv"].file_hash) is headers

    (corpus / "board.pdf").write_bytes(pdf + b"\n% edited\n")
    with pytest.raises(NotFoundError, match="changed since it was indexed"):
        original_bytes(records["board.pdf"], settings.data_dir, 10_000_000)
