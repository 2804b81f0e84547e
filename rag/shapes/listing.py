"""List ("which three ...", "list ...", "what are the <plural>"): every item, from a list block
(bulleted or numbered lines) whose heading or introducing line speaks of the question, from the
short answer when it is a list of entities ("New York, Chicago and Denver"), or from an
enumeration in one of the best sentences ("... three time points: before the intervention,
immediately after it, and at a three-month follow-up"). Each item cited. When the question
names a count ("which three") and fewer are found, the answer says so ("Only 2 found")."""

from __future__ import annotations

import re

from rag.shapes.text import blocks, coverage, section_at, terms
from rag.shapes.types import Piece, ShapeInput, Shaped, cite

PASSAGES = 3
SENTENCES = 5  # the best sentences read for an enumeration
BLOCK_COVERAGE = 0.6  # the share of key terms a block's heading and introduction must hold
ENUM_COVERAGE = 0.34
_SPLIT = re.compile(r"\s*(?:;|,)\s*(?:(?:and|or|as\s+well\s+as)\s+)?|\s+(?:and|or|as\s+well\s+as)\s+")
_LEADING = re.compile(r"^(?:the|a|an|from|in|at|of|to|for|with|by|on|include|includes|including"
                      r"|are|is|were|was)\s+", re.I)
_WORD = re.compile(r"\S+")


def _new(pieces: list[Piece], question: str) -> list[Piece]:
    """``pieces`` unless the question itself names them all: "TURBT, TURP and TUEP" read from
    a title that restates the question are its subject, not its answer ([] then)."""
    asked = terms(question, ())
    if sum(1 for p in pieces if terms(p.text, ()) - asked) < 2:
        return []
    return pieces


def build(inp: ShapeInput) -> Shaped | None:
    pieces = _new(_from_block(inp), inp.question) or _new(_from_short(inp), inp.question)
    prose = not pieces
    pieces = pieces or _from_sentences(inp)
    if not pieces:
        return None
    count = inp.kind.count
    note = f"Only {len(pieces)} found" if count is not None and len(pieces) < count else ""
    if prose or (inp.short is not None and pieces[0].passage == inp.short[1] and
                 pieces[0].text in inp.short[0]):
        # The short answer states the list and opens the answer, or the items were cut from a
        # sentence's enumeration: the answer keeps its sentences (the cut is a guess that broke
        # answers on covidqa: 300 questions, answer holds gold 0.4967 -> 0.4567), the items
        # ride in the shape.
        return Shaped("list", pieces, "", note=note)
    head = f"{note}:\n" if note else ""
    return Shaped("list", pieces, head + "\n".join(f"- {cite(p.text, p.passage)}"
                                                  for p in pieces), note=note)


def _from_block(inp: ShapeInput) -> list[Piece]:
    """The items of the list block whose heading and introducing line hold most of the
    question's key terms (at least BLOCK_COVERAGE of them), the first of equals."""
    wanted = terms(inp.question)
    best, pieces = BLOCK_COVERAGE - 1e-9, []
    for n in range(1, min(PASSAGES, len(inp.passages)) + 1):
        text = inp.passages[n - 1].text
        # The terms its document's title already holds name the subject ("the rhomboid flap
        # trial"), not the list asked for ("secondary outcome measures"): a block's heading
        # and introduction are judged by the others.
        focus = wanted - terms(inp.passages[n - 1].title, ()) or wanted
        for block in blocks(text):
            if len(block.items) < 2:
                continue
            intro = text[block.intro[0]:block.intro[1]] if block.intro else ""
            heading = section_at(text, block.items[0][0]).heading
            score = coverage(focus, f"{heading} {intro}")
            if score > best:
                best = score
                pieces = [Piece(_clean(text[a:b]), n, a, a + len(_clean(text[a:b])))
                          for a, b in block.items]
    return pieces


def _from_short(inp: ShapeInput) -> list[Piece]:
    if inp.short is None:
        return []
    text, n = inp.short
    items = [t for t in _SPLIT.split(text) if t.strip()]
    if len(items) < 2:
        return []
    passage = inp.passages[n - 1].text
    out, at = [], 0
    for item in items:
        where = passage.find(item)
        out.append(Piece(item, n, where, where + len(item)) if where >= 0 else
                   Piece(item, n, at, at))
        at = max(at, where)
    return out


def _from_sentences(inp: ShapeInput) -> list[Piece]:
    wanted = terms(inp.question)
    for s in inp.sentences[:SENTENCES]:
        a, _ = inp.where(s)
        if a < 0 or coverage(wanted, s.text) < ENUM_COVERAGE:
            continue
        items = _new([Piece(t, s.passage, a + i, a + i + len(t)) for i, t in enumeration(s.text)],
                     inp.question)
        if items:
            return items
    return []


def enumeration(sentence: str) -> list[tuple[int, str]]:
    """The items of "A, B and C" in ``sentence`` (after its colon, when it has one), each with
    its offset; [] when it enumerates nothing."""
    text = sentence.rstrip(" .;")
    colon = text.rfind(":")
    base = colon + 1 if colon >= 0 else 0
    part = text[base:]
    if "," not in part and ";" not in part and colon < 0:
        return []
    cuts = [(m.start(), m.end()) for m in _SPLIT.finditer(part)]
    if not cuts:
        return []
    spans, at = [], 0
    for s, e in cuts:
        spans.append((at, s))
        at = e
    spans.append((at, len(part)))
    items = [(base + a, part[a:b]) for a, b in spans if part[a:b].strip()]
    if colon < 0 and len(items) >= 2:  # "... from Leeds, York and Hull": the first is its tail
        longest = max(len(_WORD.findall(t)) for _, t in items[1:])
        offset, first = items[0]
        words = list(_WORD.finditer(first))[-longest:]
        items[0] = (offset + words[0].start(), first[words[0].start():])
    out = []
    for offset, item in items:
        lead = _LEADING.match(item)
        cut = lead.end() if lead and lead.end() < len(item) else 0
        out.append((offset + cut, item[cut:].strip()))
    return [(o, t) for o, t in out if t]


def _clean(item: str) -> str:
    return item.strip().rstrip(".;,")
