"""Changes ("what changed in the travel policy since last year?", "what's new in the 2025
handbook?"): the statements two versions of one document state differently, each cited in the
version that states it.

Retrieval keeps one passage of a set of near-duplicates, the newest version, and carries the
others beside it (``Passage.versions``, rag.fusion): this year's policy and last year's, a notice
and its correction. The stage (rag.stages.shape) puts the versions of the document asked of
among the passages (its near-duplicates and the documents of its series), reads them whole (the
document, not the chunk) and tells the builder which passages are versions
(``ShapeInput.versions``); which two are compared is rag.shapes.versions'. The two texts are
lined up statement by statement (difflib over their sentences; headings, front matter and
markup left out): a statement of the older one that the newer one states otherwise is
**changed** (both cited: the new wording, then "was" the old), one the newer adds is **added**,
one it drops is **removed**. A replaced statement counts as changed when the two share most
words (``SIMILAR``), else as one removed and one added. Two near-duplicates of other series
must state a third of their statements alike or changed (``VERSIONS``): two tellings of one
story are near-duplicates as well.

A document found in a single version is refused (the stage's shape is then empty, its refusal
``versions``); versions that state nothing different about the part asked of are refused too
(``unchanged``). At most ``MAX_CHANGES`` changes are listed, in the newer version's order, and
the note says how many there were."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from index.analysis import Analyzer
from index.dates import STATED, front_matter
from rag.sentences import STOPWORDS, reflowed, split_sentences
from rag.shapes import versions
from rag.shapes.versions import series_key
from rag.shapes.types import Piece, ShapeInput, Shaped, cite
from rag.time_scope import without_scope
from rag.types import Passage, Refusal

MAX_CHANGES = 12
SIMILAR = 0.5  # share of words two statements must share to be one statement changed
# Share of statements two near-duplicates must state alike or changed (not added or removed) to
# be versions of one text: two outlets' tellings of one story are near-duplicates too, and
# their diff would list every sentence. Documents of one title but for the years need none.
VERSIONS = 0.34
_SKIPPED = re.compile(r"^\s*(?:#{1,6}\s|[-=]{3,}\s*$|[A-Za-z_]+:\s+\S+\s*$)")
_WORD = re.compile(r"\w+")
_EXPLICIT = re.compile(r"\.\.\s+(?:_|\[|\|?[\w-]+(?:\|\s+[\w-]+)?::|$)|\.\.\s*$")
_UNDERLINE = re.compile(r"([=\-~^\"'#*+])\1{2,}\s*$")
# The words that ask what changed, not what of: "What has changed since the last version?"
_CHANGE_WORDS = (
    "change changed changes new different difference differences update updated updates "
    "revise revised revision revisions amend amended amendment version versions since last "
    "year previous latest current older newer compared now before readme document doc docs "
    "file page text md txt pdf between")


@dataclass(frozen=True)
class Statement:
    """A sentence of a version, its offsets in the passage text (as reflowed, same offsets)."""

    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        return " ".join(self.text.split()).lower()


@dataclass(frozen=True)
class Change:
    """``kind``: changed, added or removed; ``new``/``old``: the statement in each version."""

    kind: str
    new: Statement | None
    old: Statement | None


def statements(text: str) -> list[Statement]:
    """The sentences of ``text`` that state something: not a heading, a front-matter field or a
    rule line."""
    out = []
    _, end = front_matter(text)
    if end:  # blanked, not cut: the offsets stay the text's
        text = " " * end + text[end:]
    for sentence in split_sentences(reflowed(_markup_blanked(text))):
        body = sentence.text.strip()
        if len(_WORD.findall(body)) < 3 or any(_SKIPPED.match(line) for line in
                                                body.splitlines()[:1]):
            continue
        out.append(Statement(sentence.text, sentence.start, sentence.end))
    return out


def _markup_blanked(text: str) -> str:
    """``text`` with its underlined headings ("Release process" over "=====") and its
    reStructuredText explicit markup (".. _label:", ".. note::", link targets, with their
    indented lines) blanked: no statements. Same length, same offsets."""
    rows = text.split("\n")
    blank = [False] * len(rows)
    markup = False
    for i, row in enumerate(rows):
        if _EXPLICIT.match(row):
            markup = blank[i] = True
        elif markup and row[:1] in (" ", "\t"):
            blank[i] = True
        elif row.strip():
            markup = False
        if _UNDERLINE.match(row) and i and 0 < len(rows[i - 1].strip()) <= len(row.strip()):
            blank[i] = blank[i - 1] = True
    return "\n".join(" " * len(r) if b else r for r, b in zip(rows, blank))


def _similar(a: Statement, b: Statement) -> bool:
    x, y = _WORD.findall(a.key), _WORD.findall(b.key)
    return SequenceMatcher(None, x, y, autojunk=False).ratio() >= SIMILAR


def diff(old_text: str, new_text: str) -> list[Change]:
    """What ``new_text`` states otherwise than ``old_text``, in the new text's order."""
    return compared(old_text, new_text)[0]


def compared(old_text: str, new_text: str) -> tuple[list[Change], float]:
    """:func:`diff`, and the share of the longer text's statements the two state alike or
    changed (not added nor removed): how much the two are versions of one text."""
    old, new = statements(old_text), statements(new_text)
    matcher = SequenceMatcher(None, [s.key for s in old], [s.key for s in new], autojunk=False)
    changes: list[Change] = []
    alike = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            alike += i2 - i1
            continue
        before, after = old[i1:i2], new[j1:j2]
        while before and after:
            a, b = before[0], after[0]
            if _similar(a, b):
                changes.append(Change("changed", b, a))
                before, after = before[1:], after[1:]
            elif len(before) >= len(after):
                changes.append(Change("removed", None, a))
                before = before[1:]
            else:
                changes.append(Change("added", b, None))
                after = after[1:]
        changes += [Change("removed", None, a) for a in before]
        changes += [Change("added", b, None) for b in after]
    alike += sum(c.kind == "changed" for c in changes)
    return changes, alike / max(len(old), len(new), 1)


def build(inp: ShapeInput, strict: bool = False) -> Shaped | None:
    """The changes between two versions of the document asked of (rag.shapes.versions.pairs:
    the first pair that states anything otherwise), or None when no two passages are versions.
    When the question asks of a part of the document ("How has the meal allowance changed?":
    words beyond the document's title and the words of change), only the changes about that
    part are listed (:func:`about_part`); when the versions speak of it but state nothing
    different about it, or state nothing different at all, a shape without pieces whose
    refusal says so ("unchanged"). ``strict``: documents of one series must be versions by
    their statements too (a trend question's fallback: two yearly reports of one title are no
    versions of one text)."""
    unchanged = None
    for new_n, old_n, known in versions.pairs(inp):
        new, old = inp.passages[new_n - 1], inp.passages[old_n - 1]
        found, alike = compared(old.text, new.text)
        if alike < VERSIONS and (strict or not series_key(new) == series_key(old) != ""):
            continue  # two tellings of a story, not two versions of one text
        asked = _about(inp, new_n, old_n)
        used = asked & (words(old.text) | words(new.text))
        kept = about_part(found, used) if asked else found
        if kept:
            return _shaped(inp, new_n, old_n, known, kept)
        if used == asked:  # every word asked of in the versions, or none asked: said alike
            unchanged = unchanged or Shaped("changes", refusal=Refusal(
                "unchanged", new.title or new.doc_id))
    return unchanged


def about_part(found: Sequence[Change], about: frozenset[str]) -> list[Change]:
    """The changes about the part of the document the words ``about`` name (the words of the
    question the versions use: "handling" in "pip's handling of vendoring updates" is the
    question's, not the documents'): those whose statement holds the most of them, more than
    half ("the approval of claims": approval and claims, not claims alone; "the code of
    conduct": no change holding "code" alone), in their order; none when no word is left."""
    def held(change: Change) -> int:
        return max(len(about & words(s.text)) for s in (change.new, change.old) if s)
    most = max(map(held, found), default=0)
    return [c for c in found if 2 * most > len(about) and held(c) == most]


def _about(inp: ShapeInput, *numbers: int) -> frozenset[str]:
    """The question's key words beyond naming the documents and asking what changed."""
    named = frozenset().union(*(words(f"{inp.passages[n - 1].title} "
                                       f"{inp.passages[n - 1].doc_id}") for n in numbers))
    return words(without_scope(inp.question)) - named - words(_CHANGE_WORDS)


def words(text: str) -> frozenset[str]:
    """Snowball stems of the words of ``text`` (split at any mark: "redis-py-README-5.0.1.md" is
    redis, py, readme, md; "approval" and "approved" are one), no stopword, figure or version
    number."""
    kept = " ".join(w for w in _WORD.findall(text.lower()) if w not in STOPWORDS)
    return frozenset(t for t in _analyzer().terms(kept) if len(t) > 1 and not t.isdigit())


@functools.cache
def _analyzer() -> Analyzer:
    return Analyzer("english")


def _piece(passage: int, statement: Statement, label: str) -> Piece:
    return Piece(" ".join(statement.text.split()), passage, statement.start, statement.end,
                 label=label)


def _shaped(inp: ShapeInput, new_n: int, old_n: int, known: bool,
            found: Sequence[Change]) -> Shaped:
    new, old = inp.passages[new_n - 1], inp.passages[old_n - 1]
    pieces, lines = [], []
    for change in found[:MAX_CHANGES]:
        if change.new is not None:
            pieces.append(_piece(new_n, change.new, change.kind))
        if change.old is not None:
            pieces.append(_piece(old_n, change.old, "was" if change.new else change.kind))
        if change.kind == "changed":
            lines.append(f"- Changed: {_cited(pieces[-2])} Was: {_cited(pieces[-1])}")
        else:
            lines.append(f"- {change.kind.capitalize()}: {_cited(pieces[-1])}")
    what = (f"From {_named(old, new)} to {_named(new, old)}" if known
            else f"Between {_named(new, old)} and {_named(old, new)}")
    counted = f"{len(found)} change{'s' if len(found) != 1 else ''}"
    note = f"{what}: {counted}" + (f", the first {MAX_CHANGES} shown." if len(found) >
                                   MAX_CHANGES else ".")
    return Shaped("changes", pieces, text="\n".join([note, *lines]), note=note)


def _cited(piece: Piece) -> str:
    return cite(piece.text, piece.passage)


def _named(passage: Passage, other: Passage) -> str:
    """The version's title (its file name when both versions have one title), and its stated
    date."""
    name = passage.title or passage.doc_id
    if name == (other.title or other.doc_id):
        name = passage.doc_id
    return f"{name} ({passage.date[:10]})" if passage.date and passage.date_source in STATED \
        else name
