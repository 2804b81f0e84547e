"""The gold set over documents in two versions (eval/gold/versions_qa.jsonl over
eval/corpora/versions) stays true to its frozen corpus: every document it names exists, every
gold string of a "what changed" question is written in one of the versions it names (a changed
or added statement in the newer, a removed one in the older) and not in both (or it did not
change), each file's package and version are named in SOURCE.md. Plain file reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.dataset import load_qa
from tests.helpers import ROOT

CORPUS = ROOT / "eval" / "corpora" / "versions" / "corpus"
GOLD = ROOT / "eval" / "gold" / "versions_qa.jsonl"


@pytest.fixture(scope="module")
def documents() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in CORPUS.iterdir()}


def _flat(text: str) -> str:
    return " ".join(text.split()).lower()


def test_each_document_is_named_with_its_version_and_license(documents):
    source = (CORPUS.parent / "SOURCE.md").read_text(encoding="utf-8")
    for name in documents:
        line = next((row for row in source.splitlines() if f"`{name}`" in row), None)
        assert line is not None, name
        assert any(ch.isdigit() for ch in line.split("|")[2]), (name, "no version")
    assert "license" in source.lower()


def test_a_changes_gold_string_is_in_one_version_only(documents):
    items = load_qa(GOLD)
    asked = [i for i in items if i.extra.get("kind") == "changes"]
    assert len(asked) >= 6 and sum(not i.answerable for i in items) >= 3
    for item in items:
        assert all(d in documents for d in item.doc_ids), item.id
        if not item.answerable:
            assert not item.answers and not item.doc_ids, item.id
            continue
        if item.extra.get("kind") != "changes":
            continue
        for gold in item.answers:
            held = [d for d in item.doc_ids if _flat(gold) in _flat(documents[d])]
            assert len(held) == 1, (item.id, gold, held)  # stated by one version: a change
