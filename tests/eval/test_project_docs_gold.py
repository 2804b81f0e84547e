"""The how-to gold sets stay well-formed and true to their frozen corpora: the set over the
project's own documentation (eval/gold/project_docs_qa.jsonl over eval/corpora/project_docs) and
the held-out set over third-party help pages (eval/gold/help_docs_qa.jsonl over
eval/corpora/help_docs). For each: every document it names exists, every gold string of an
answerable question is written in one of its documents, and every procedure's gold section
exists and holds its steps. Plain file reads: no model, no index."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from eval.dataset import load_qa
from tests.helpers import ROOT

KINDS = {"procedure", "explanation", "yes_no", "comparison", "list", "fact", "unanswerable"}
# The file types the loaders read as text and that these corpora hold.
_SUFFIXES = {".md", ".txt", ".html"}
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)\s*$")
_NOT_A_TITLE = re.compile(r"^(\s{4,}|\s*([-*+]|\d+[.)])\s|\s*[|>#])")
_VERSION = re.compile(r"\b\d+(?:[.+~:-]\w+)+")  # 1.2.4, 248+deb12u1, 1:3.19.0-1


def _names_its_commit(source: str, documents: dict[str, str]) -> None:
    assert re.search(r"\b[0-9a-f]{40}\b", source), "SOURCE.md must name the commit it was copied from"


def _names_each_package_and_version(source: str, documents: dict[str, str]) -> None:
    """Every document is named on a line of SOURCE.md that also gives its package's version."""
    lines = source.splitlines()
    for name in documents:
        naming = [line for line in lines if name in line]
        assert naming, f"SOURCE.md does not name {name}"
        assert any(_VERSION.search(line) for line in naming), f"SOURCE.md gives no version for {name}"
    assert "license" in source.lower()


@dataclass(frozen=True)
class GoldSet:
    name: str
    gold: Path
    source: Path  # beside the corpus, not in it
    required: frozenset[str]  # documents the corpus must hold
    at_least: dict[str, int]  # what the set promises: at least this many questions of each kind
    names_origin: Callable[[str, dict[str, str]], None]
    corpus: Path = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "corpus", self.source.parent / "corpus")


SETS = [
    # issue 25, item 5
    GoldSet("project_docs", ROOT / "eval" / "gold" / "project_docs_qa.jsonl",
            ROOT / "eval" / "corpora" / "project_docs" / "SOURCE.md",
            frozenset({"README.md", "releases.md", "collections.md", "ingestion.md"}),
            {"procedure": 25, "explanation": 8, "yes_no": 6, "comparison": 4, "list": 4},
            _names_its_commit),
    # held out: written before any tuning, reported only
    GoldSet("help_docs", ROOT / "eval" / "gold" / "help_docs_qa.jsonl",
            ROOT / "eval" / "corpora" / "help_docs" / "SOURCE.md",
            frozenset({"pip-configuration.md", "python-dotenv.md", "redis.md", "xz-faq.txt",
                       "valgrind-quick-start.html"}),
            {"procedure": 25, "explanation": 8, "yes_no": 8, "comparison": 5, "list": 5},
            _names_each_package_and_version),
]


def _flat(text: str) -> str:
    """Lower case, every run of whitespace one space: a phrase wrapped over lines still matches."""
    return " ".join(text.split()).lower()


def _setext_title(lines: list[str], j: int) -> bool:
    """Line ``j`` is the text of a setext heading when the next line underlines it: a one-line
    paragraph (after a blank line or at the top) that is not a list item, table row, quote,
    ATX heading, indented code or a fence."""
    line = lines[j]
    return (bool(line.strip()) and not _NOT_A_TITLE.match(line) and not _FENCE.match(line)
            and (j == 0 or not lines[j - 1].strip()))


def _sections(text: str) -> dict[str, str]:
    """Each Markdown heading's text -> its section (up to the next heading of its level or a
    higher one). ATX headings ('## Title') and setext ones (a title underlined with '===' for
    level 1 or '---' for level 2); lines inside fenced code blocks are never headings (shell
    comments start '#')."""
    lines = text.splitlines()
    heads: list[tuple[int, int, str]] = []
    fenced = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
        elif fenced:
            continue
        elif m := _HEADING.match(line):
            heads.append((i, len(m.group(1)), m.group(2)))
        elif (m := _SETEXT_UNDERLINE.match(line)) and i > 0 and _setext_title(lines, i - 1):
            heads.append((i - 1, 1 if m.group(1).startswith("=") else 2, lines[i - 1].strip()))
    out = {}
    for n, (start, level, title) in enumerate(heads):
        end = next((i for i, lv, _ in heads[n + 1:] if lv <= level), len(lines))
        out[title] = "\n".join(lines[start:end])
    return out


@pytest.fixture(scope="module", params=SETS, ids=lambda s: s.name)
def gold_set(request) -> GoldSet:
    return request.param


@pytest.fixture(scope="module")
def items(gold_set):
    return load_qa(gold_set.gold)


@pytest.fixture(scope="module")
def documents(gold_set) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(gold_set.corpus.iterdir())
            if p.is_file() and p.suffix in _SUFFIXES}


def test_the_set_has_the_size_and_mix_it_promises(gold_set, items):
    assert len(items) >= 60
    assert len({i.id for i in items}) == len(items)
    kinds = Counter(i.extra["kind"] for i in items)
    assert set(kinds) <= KINDS
    for kind, least in gold_set.at_least.items():
        assert kinds[kind] >= least, (kind, kinds[kind])
    unanswerable = [i for i in items if not i.answerable]
    assert len(unanswerable) >= 0.15 * len(items)
    assert all(i.extra["kind"] == "unanswerable" for i in unanswerable)
    assert all(i.answerable for i in items if i.extra["kind"] != "unanswerable")


def test_the_corpus_is_a_frozen_copy_that_names_where_it_came_from(gold_set, documents):
    assert gold_set.required <= set(documents)
    assert "SOURCE.md" not in documents  # not indexed as a document of the corpus
    source = gold_set.source.read_text(encoding="utf-8")
    gold_set.names_origin(source, documents)
    assert "before" in source.lower() and "tuning" in source.lower()


def test_unanswerable_questions_name_no_answer_or_document(items):
    for item in items:
        if not item.answerable:
            assert not item.answers and not item.doc_ids, item.id
            assert any(t.startswith("shape:") for t in item.extra.get("tags", [])), item.id


def test_every_gold_string_is_written_in_its_documents(items, documents):
    for item in (i for i in items if i.answerable):
        assert item.answers and item.doc_ids, item.id
        assert "SOURCE.md" not in item.doc_ids, item.id
        missing = [d for d in item.doc_ids if d not in documents]
        assert not missing, (item.id, missing)
        texts = [_flat(documents[d]) for d in item.doc_ids]
        for gold in item.answers:
            assert any(_flat(gold) in t for t in texts), (item.id, gold)
        for doc_id, text in zip(item.doc_ids, texts):
            assert any(_flat(g) in text for g in item.answers), (item.id, doc_id)


def test_every_procedure_names_a_real_section_that_holds_its_steps(items, documents):
    procedures = [i for i in items if i.extra["kind"] == "procedure"]
    for item in procedures:
        evidence = item.extra["evidence"]
        assert evidence["doc_id"] in item.doc_ids, item.id
        sections = _sections(documents[evidence["doc_id"]])
        assert evidence["section"] in sections, (item.id, evidence["section"])
        section = _flat(sections[evidence["section"]])
        assert evidence["steps"], item.id
        for step in evidence["steps"]:
            assert _flat(step) in section, (item.id, step)
        # the gold answer is stated in the gold section itself, not only elsewhere in the doc
        assert any(_flat(g) in section for g in item.answers), item.id


def test_list_and_comparison_questions_carry_every_part(items, documents):
    for item in items:
        kind = item.extra["kind"]
        if kind == "list":
            assert len(item.extra["items"]) >= 3 and set(item.extra["items"]) == set(item.answers)
        if kind == "comparison":
            sides = item.extra["sides"]
            assert len(sides) >= 2, item.id
            text = " ".join(_flat(documents[d]) for d in item.doc_ids)
            assert all(_flat(s) in text for s in sides.values()), item.id


def test_the_section_reader_skips_code_fences():
    text = "# A\nx\n## B\n```bash\n# a shell comment\n```\ny\n## C\nz\n"
    sections = _sections(text)
    assert set(sections) == {"A", "B", "C"}
    assert "a shell comment" in sections["B"] and "y" in sections["B"]
    assert "z" not in sections["B"] and "z" in sections["A"]


def test_the_section_reader_reads_setext_headings():
    text = ("Intro\n=====\n\nx\n\nBuild it\n--------\n\n    % make\n\n- item\n---\n\n"
            "| a | b |\n|---|---|\n\nRun it:\n---\ny\n\nOther\n===\nz\n")
    sections = _sections(text)
    assert set(sections) == {"Intro", "Build it", "Run it:", "Other"}
    assert "% make" in sections["Build it"] and "- item" in sections["Build it"]
    assert "y" in sections["Run it:"] and "z" not in sections["Run it:"]
    assert "Build it" in sections["Intro"] and "z" not in sections["Intro"]
