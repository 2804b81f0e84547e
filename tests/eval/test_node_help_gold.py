"""The held-out help-document set over Markdown and plain text (eval/gold/node_help_qa.jsonl over
eval/corpora/node_help) stays true to its frozen documents: every document it names exists, every
gold string of an answerable question is in that document's text form as the project's reader
gives it (Markdown and text read as they are), unanswerable ones name none, 15 % at least are
unanswerable, and SOURCE.md names the files, their versions and licenses. File reads and the
readers: no model, no index."""

from __future__ import annotations

from pathlib import Path

from eval.dataset import load_qa
from index.formats import extract
from tests.helpers import ROOT

CORPUS = ROOT / "eval" / "corpora" / "node_help" / "corpus"
GOLD = ROOT / "eval" / "gold" / "node_help_qa.jsonl"
FORMATS = {".md": "markdown", ".txt": "text"}


def _flat(text: str) -> str:
    return " ".join(text.split()).lower()


def _text(path: Path) -> str:
    return _flat(extract(path.read_bytes(), FORMATS[path.suffix]).text)


def test_every_gold_string_is_in_its_documents_text():
    docs = {p.name: _text(p) for p in CORPUS.iterdir()}
    items = load_qa(GOLD)
    assert len({i.id for i in items}) == len(items) >= 30
    assert sum(not i.answerable for i in items) >= 0.15 * len(items)
    for item in items:
        if not item.answerable:
            assert not item.answers and not item.doc_ids, item.id
            continue
        assert item.answers and item.doc_ids, item.id
        assert set(item.doc_ids) <= set(docs), (item.id, item.doc_ids)
        for gold in item.answers:
            assert any(_flat(gold) in docs[d] for d in item.doc_ids), (item.id, gold)


def test_the_source_names_each_file_its_version_and_license():
    source = (CORPUS.parent / "SOURCE.md").read_text(encoding="utf-8")
    for needle in ("12.4.0", "7.8.5", "20.20.2", "2.11.2", "4.0.2",
                   "MIT", "ISC", "GPL-2+", "LGPL-2.1+"):
        assert needle in source, needle
    for doc in CORPUS.iterdir():
        assert f"`{doc.name}`" in source, doc.name
