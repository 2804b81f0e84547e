"""A directory of files real users drop in: each failure named, the rest indexed, no crash."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cli.main import main
from rag.factory import build_pipeline
from tests.files import encrypted_pdf_bytes, pdf_bytes

EXPECTED = {
    "empty.txt": "empty file",
    "blank.md": "empty file",
    "binary.dat": "binary file (contains NUL bytes)",
    "photo.png": "corrupt image (Pillow cannot read it",  # images are read by OCR
    "truncated.pdf": "corrupt PDF",
    "encrypted.pdf": "encrypted PDF (a password is required)",
    "latin1.txt": "not valid UTF-8",
    "huge-one-line.log": "file is 50.0 MB, over the 20.0 MB limit",
    "loop-a": "symbolic link loop",
    "loop-b": "symbolic link loop",
    "text-named.pdf": "named .pdf but the content is not a PDF file",
    "dangling": "broken symbolic link",
}


@pytest.fixture(scope="module")
def bad_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("bad")
    (d / "good.txt").write_text("The ferry to the island leaves at noon every Sunday.\n")
    (d / "empty.txt").write_bytes(b"")
    (d / "blank.md").write_text("  \n\n\t\n")
    (d / "binary.dat").write_bytes(bytes(range(256)) * 64)
    (d / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    pdf = pdf_bytes()
    (d / "truncated.pdf").write_bytes(pdf[: len(pdf) // 2])
    (d / "encrypted.pdf").write_bytes(encrypted_pdf_bytes())
    (d / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me, na\xefve".encode("latin-1"))
    with open(d / "huge-one-line.log", "wb") as fh:  # 50 MB of text on one line
        chunk = b"lorem ipsum dolor sit amet " * 40_000
        while fh.tell() < 50_000_000:
            fh.write(chunk[: 50_000_000 - fh.tell()])
    os.symlink("loop-b", d / "loop-a")
    os.symlink("loop-a", d / "loop-b")
    os.symlink(".", d / "dir-loop")  # a directory link back to itself: not followed
    os.symlink("missing-target", d / "dangling")
    (d / "text-named.pdf").write_text("I am not a PDF at all.")
    return d


def test_bad_files_are_named_with_their_reason(settings, embedder, bad_dir: Path):
    report = build_pipeline(settings, embedder=embedder).ingest.sync(bad_dir)
    assert report.added == ["good.txt"]
    assert set(report.failed) == set(EXPECTED)
    for name, reason in EXPECTED.items():
        assert report.failed[name].startswith(reason), (name, report.failed[name])
    summary = report.summary()
    assert summary["failed"] == len(EXPECTED) and summary["added"] == 1


@pytest.mark.slow  # a real `rag ingest` (in process) loads the model
def test_cli_summary_names_every_failure(tmp_path, bad_dir: Path, capsys):
    code = main(["--data-dir", str(tmp_path / "data"), "ingest", str(bad_dir), "--json"])
    assert code == 1  # the run finished; some files failed
    summary = json.loads(capsys.readouterr().out)
    assert (summary["added"], summary["failed"]) == (1, len(EXPECTED))
    reasons = {f["doc_id"]: f["reason"] for f in summary["failures"]}
    assert reasons.keys() == EXPECTED.keys()
    assert reasons["encrypted.pdf"] == EXPECTED["encrypted.pdf"]

    code = main(["--data-dir", str(tmp_path / "data"), "ingest", str(bad_dir), "--quiet"])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert "failed: huge-one-line.log: file is 50.0 MB" in captured.err
