"""Which versions of a document a changes question compares (rag.shapes.changes).

The versions of one document share their series (:func:`series_key`: the title and the file
name but for their years and version numbers: "Travel policy 2024" in travel-policy-2024.md and
"Travel policy 2025" in travel-policy-2025.md; two projects' "Release process" pages are no
versions of each other). They are ordered by :func:`when`: a stated date, else the period the
title states, else the version number the file name or title writes.

The pair compared (:func:`pairs`): the versions the question names ("between 4.2 and 5.1":
those two; "since 20.3": that one and the newest; "in 5.1": that one and the one before),
else each version with the one before it, newest first (a question about a part of the
document takes the newest pair that changed that part)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from index.dates import STATED
from rag.shapes.text import title_key
from rag.shapes.types import ShapeInput
from rag.types import Passage

_VERSION = re.compile(r"(?<![\w.])v?(\d+(?:\.\d+){1,3}|(?<=v)\d+)(?![\d.]*\d)", re.I)
# A version or year the question names: "4.2", "20.3", "v3", "2024".
_NAMED = re.compile(r"(?<![\w.])v?(\d+(?:\.\d+){1,3}|(?<=v)\d+|(?<=version )\d+|(?:19|20)\d\d)"
                    r"(?![\d.]*\d)", re.I)
_NAME_WORD = re.compile(r"[^\W\d_]+")
_V = r"v?(?:\d+(?:\.\d+){1,3}|(?<=v)\d+|(?:19|20)\d\d)(?![\d.]*\d)"
# The words that name versions: "between 4.2 and 5.1", "since 20.3", "in version 3", "v2".
_VERSION_WORDS = re.compile(
    rf"(?:\b(?:between|from)\s+(?:(?:the\s+)?versions?\s+)?{_V}\s+(?:and|to)\s+{_V}"
    rf"|\b(?:since|after|before|in|of|for|from|to)\s+(?:(?:the\s+)?version\s+(?:{_V}|\d+)|{_V})"
    rf"|\bversion\s+(?:{_V}|\d+)|(?<![\w.]){_V})", re.I)


def series_key(passage: Passage) -> str:
    """The title key (rag.shapes.text.title_key) and the file name's words without its numbers
    and extension's dot ("travel policy | travel policy md"); "" without a title key."""
    key = title_key(passage)
    name = passage.doc_id.rsplit("/", 1)[-1].lower()
    return f"{key} | {' '.join(_NAME_WORD.findall(name))}" if key else ""


def when(passage: Passage) -> str | None:
    """A key that orders versions: the document's stated date, else its period's last year,
    else the version number its file name or title writes ("README-5.0.1.md", "Handbook v3"),
    each part zero-padded so that the keys compare as the versions do."""
    if passage.date and passage.date_source in STATED:
        return passage.date
    if passage.period is not None:
        return f"{passage.period[1]:04d}"
    number = version_number(passage)
    return None if number is None else "v" + ".".join(f"{int(x):06d}" for x in number.split("."))


def version_number(passage: Passage) -> str | None:
    """The version number the file name (else the title) writes: "5.0.1", "3"."""
    m = _VERSION.search(passage.doc_id) or _VERSION.search(passage.title)
    return None if m is None else m.group(1)


def newest_first(passages: Sequence[Passage]) -> list[int]:
    """The order (indices into ``passages``) in which the versions of one series hold the
    places its passages hold, the newest version's first, the others' order kept: "Who
    decides when a Merger is removed?" reads the current governance page before the one of
    three releases ago. A series whose versions' order is not known (a version without a date,
    period or number, or dates beside numbers) keeps its order; a document of no series stays."""
    keys = [series_key(p) for p in passages]
    stamps = [when(p) for p in passages]
    members: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key:
            members.setdefault(key, []).append(i)
    order = list(range(len(passages)))
    for places in members.values():
        found = [stamps[i] for i in places]
        if len({passages[i].doc_id for i in places}) < 2 or None in found or \
                len({f[0] == "v" for f in found if f}) > 1:
            continue
        ranked = sorted(places, key=lambda i: (_flipped(stamps[i] or ""), i))
        for place, i in zip(places, ranked):
            order[place] = i
    return order


def _flipped(stamp: str) -> str:
    """A sort key putting later stamps first."""
    return "".join(chr(0x10FFFF - ord(c)) for c in stamp)


def newer_first(inp: ShapeInput, n: int, m: int) -> tuple[int, int, bool]:
    """The two passage numbers, the newer version first, and whether that order is known (a
    stated date or period) rather than retrieval's."""
    key_a, key_b = when(inp.passages[n - 1]), when(inp.passages[m - 1])
    if key_a is not None and key_b is not None and key_a != key_b and \
            key_a.startswith("v") == key_b.startswith("v"):  # a date with a date
        return (n, m, True) if key_a > key_b else (m, n, True)
    return n, m, False


def pairs(inp: ShapeInput) -> list[tuple[int, int, bool]]:
    """(newer, older, order known) for each pair of versions worth comparing, the best first:
    see the module's docstring."""
    members = list(dict.fromkeys(n for pair in inp.versions for n in pair))
    keys = [when(inp.passages[n - 1]) for n in members]
    if len(members) < 2:
        return []
    if None in keys or len({k[0] == "v" for k in keys if k}) > 1:  # no order: retrieval's
        return [newer_first(inp, n, m) for n, m in inp.versions]
    ordered = [n for _, n in sorted(zip(keys, members), reverse=True)]  # newest first
    named = _named(inp, ordered)
    if len(named) >= 2:
        newer, older = sorted(named, key=ordered.index)[:2]
        return [(newer, older, True)]
    if len(named) == 1:
        at = ordered.index(named[0])
        newer, older = (ordered[0], named[0]) if at > 0 else (ordered[0], ordered[1])
        return [(newer, older, True)]
    return [(a, b, True) for a, b in zip(ordered, ordered[1:])]


def _named(inp: ShapeInput, members: Sequence[int]) -> list[int]:
    """The versions the question names by their number ("4.2" names 4.2.16) or year."""
    asked = _NAMED.findall(inp.question)
    out = []
    for n in members:
        passage = inp.passages[n - 1]
        number = version_number(passage) or ""
        year = (when(passage) or "")[:4]
        if any(number == a or number.startswith(a + ".") or year == a for a in asked):
            out.append(n)
    return out


def without_versions(question: str) -> str:
    """The question without the words that name versions ("What changed in the organization
    of the Django project between 4.2 and 5.1?" -> "... of the Django project?"): which versions
    to compare, not what to find (their numbers would draw passages that hold the numbers)."""
    return " ".join(_VERSION_WORDS.sub(" ", question).split()).replace(" ?", "?")


def asked_document(passages: Sequence[Passage], question: str,
                   words: Callable[[str], frozenset[str]]) -> int:
    """The index of the passage whose document the question asks of: the best ranked one whose
    title the question names (every word of its title key, as ``words`` reads them) and that
    has another version among the passages and their versions, else the best ranked (0)."""
    asked = words(question)
    docs: dict[str, set[str]] = {}
    for p in passages:
        for v in (p, *p.versions):
            docs.setdefault(series_key(v), set()).add(v.doc_id)
    for i, passage in enumerate(passages):
        title = title_key(passage)
        if title and words(title) <= asked and (
                passage.versions or len(docs.get(series_key(passage), ())) > 1):
            return i
    return 0
