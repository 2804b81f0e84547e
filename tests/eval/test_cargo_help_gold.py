"""The held-out help-page set over HTML (eval/gold/cargo_help_qa.jsonl over
eval/corpora/cargo_help) stays true to its frozen pages: every document it names exists, every gold
string of an answerable question is in that page's text form as the HTML reader gives it (entities
decoded, markup gone), unanswerable ones name none, 15 % at least are unanswerable, and SOURCE.md
names the pages, their version and license. File reads and the HTML reader: no model, no index."""

from __future__ import annotations

from eval.dataset import load_qa
from index.formats import extract_html
from tests.helpers import ROOT

CORPUS = ROOT / "eval" / "corpora" / "cargo_help" / "corpus"
GOLD = ROOT / "eval" / "gold" / "cargo_help_qa.jsonl"


def _flat(text: str) -> str:
    return " ".join(text.split()).lower()


def test_every_gold_string_is_in_its_pages_text():
    pages = {p.name: _flat(extract_html(p.read_bytes()).text) for p in CORPUS.iterdir()}
    items = load_qa(GOLD)
    assert len({i.id for i in items}) == len(items) >= 25
    assert sum(not i.answerable for i in items) >= 0.15 * len(items)
    for item in items:
        if not item.answerable:
            assert not item.answers and not item.doc_ids, item.id
            continue
        for gold in item.answers:
            assert any(_flat(gold) in pages[d] for d in item.doc_ids), (item.id, gold)


def test_the_source_names_each_page_its_version_and_license():
    source = (CORPUS.parent / "SOURCE.md").read_text(encoding="utf-8")
    assert "1.95.0" in source and "Apache-2.0" in source
    for page in CORPUS.iterdir():
        assert f"`{page.name}`" in source, page.name
