"""The gold sets over documents in several versions (eval/gold/versions_qa.jsonl over
eval/corpora/versions, eval/gold/policies_qa.jsonl over eval/corpora/policies) stay true to
their frozen corpora: every document it names exists, every
gold string of a "what changed" question is written in one of the versions it names (a changed
or added statement in the newer, a removed one in the older) and not in both (or it did not
change), each file's package and version are named in SOURCE.md. Plain file reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.dataset import load_qa
from tests.helpers import ROOT

SETS = {"versions": "versions_qa.jsonl", "policies": "policies_qa.jsonl"}


@pytest.fixture(params=sorted(SETS))
def gold(request) -> tuple[Path, Path]:
    """(corpus folder, gold file) of one set."""
    return ROOT / "eval" / "corpora" / request.param / "corpus", \
        ROOT / "eval" / "gold" / SETS[request.param]


@pytest.fixture
def documents(gold) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in gold[0].iterdir()}


def _flat(text: str) -> str:
    return " ".join(text.split()).lower()


def test_each_document_is_named_with_its_version_and_license(gold, documents):
    source = (gold[0].parent / "SOURCE.md").read_text(encoding="utf-8")
    for name in documents:
        line = next((row for row in source.splitlines() if f"`{name}`" in row), None)
        assert line is not None, name
        assert any(ch.isdigit() for ch in line.split("|")[2]), (name, "no version")
    assert "license" in source.lower()


def test_a_changes_gold_string_is_in_one_version_only(gold, documents):
    items = load_qa(gold[1])
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
