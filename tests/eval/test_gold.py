"""The sample-corpus gold set is well-formed and every gold answer is really in its documents."""

from __future__ import annotations

from pathlib import Path

from eval.dataset import load_qa
from eval.metrics import normalize

GOLD = Path(__file__).resolve().parents[2] / "eval" / "gold" / "sample_qa.jsonl"


def _documents(corpus_dir: Path) -> dict[str, str]:
    return {p.name: normalize(p.read_text(encoding="utf-8")) for p in corpus_dir.iterdir()}


def test_gold_answers_occur_in_their_documents(corpus_dir):
    docs = _documents(corpus_dir)
    for item in load_qa(GOLD):
        if not item.answerable:
            assert not item.doc_ids and not item.answers, item.id
            continue
        assert item.answers and item.doc_ids, item.id
        texts = [docs[d] for d in item.doc_ids]  # KeyError names a doc id that does not exist
        for gold in item.answers:
            assert any(normalize(gold) in t for t in texts), (item.id, gold)
        for doc_id, text in zip(item.doc_ids, texts):
            assert any(normalize(g) in text for g in item.answers), (item.id, doc_id)


def test_gold_set_covers_what_the_issue_asks(corpus_dir):
    items = load_qa(GOLD)
    ids = {i.id for i in items}
    assert len(items) >= 40 and len(ids) == len(items)
    assert sum(not i.answerable for i in items) * 4 >= len(items)
    assert {d for i in items for d in i.doc_ids} == set(_documents(corpus_dir))
    tags = [t for i in items for t in i.extra.get("tags", [])]
    for tag in ("number", "name", "two_docs", "paraphrase", "follow_up"):
        assert tags.count(tag) >= 3, tag
    assert all(len(i.doc_ids) >= 2 for i in items if "two_docs" in i.extra.get("tags", []))
    for item in items:
        if "follow_up" in item.extra.get("tags", []):
            assert item.extra["follow_up_of"] in ids
            assert [t["role"] for t in item.extra["history"]] == ["user", "assistant"]
