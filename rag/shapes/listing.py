"""List ("which three ...", "list ...", "what are the <plural>"): every item, from a list block
(bulleted or numbered lines) whose heading or introducing line speaks of the question, from the
short answer when it is a list of entities ("New York, Chicago and Denver"), or from an
enumeration in one of the best sentences, read whole where a PDF's line breaks cut it ("...
three time points: before the intervention, immediately after it, and at a three-month
follow-up"), else in a sentence of the passages that names what the question asks for ("time
points"). Each item cited; an enumerating sentence opens the answer whole (``Shaped.lead``).
The Shape stage hands this builder each passage grown to its whole sections (as it does for
procedures: rag.stages.shape), so a list that chunking cut is read whole. When the question
names a count ("which three") and fewer are found, the answer says so ("Only 2 found")."""

from __future__ import annotations

import re

from rag.sentences import one_spaced, split_sentences
from rag.shapes.kinds import count_of
from rag.shapes.text import Block, blocks, coverage, section_at, terms, unwrapped
from rag.shapes.types import Piece, ShapeInput, Shaped, cite

PASSAGES = 5  # the passages whose list blocks are read
SENTENCES = 8  # the best sentences read for an enumeration
BLOCK_COVERAGE = 0.6  # the share of key terms a block's heading and introduction must hold
ENUM_COVERAGE = 0.34
OPENING = 3  # the first words of an item that may name what the list asks for
RESCUE_COVERAGE = 0.8  # the gate's exception: the share a block's heading must hold
_SPLIT = re.compile(r"\s*(?:;|,)\s*(?:(?:and|or|as\s+well\s+as)\s+)?|\s+(?:and|or|as\s+well\s+as)\s+")
_LEADING = re.compile(r"^(?:(?:the|a|an|from|in|at|of|to|for|with|by|on|include|includes"
                      r"|including|are|is|were|was)\s+)+", re.I)  # "at a three-month ..."
_WORD = re.compile(r"\S+")
_BRACKETED = re.compile(r"\(([^()]*[,;]\s[^()]*)\)")
_MARK_DIGITS = re.compile(r"\d+")
_INLINE_BULLET = re.compile(r"\s[•▪●■◦]\s+")
_FOOTNOTE = re.compile(r"(?<=[a-z]{3})\d{1,2}\b")  # "Feasibility measures7": a PDF's note mark


def _new(pieces: list[Piece], question: str) -> list[Piece]:
    """``pieces`` unless the question itself names them all: "TURBT, TURP and TUEP" read from
    a title that restates the question are its subject, not its answer ([] then)."""
    asked = terms(question, ())
    if sum(1 for p in pieces if terms(p.text, ()) - asked) < 2:
        return []
    return pieces


def build(inp: ShapeInput) -> Shaped | None:
    pieces = _new(_from_block(inp), inp.question) or _new(_from_short(inp), inp.question)
    sentence = None
    if not pieces:
        pieces, sentence = _from_sentences(inp)
    if not pieces:
        pieces, sentence = _from_passages(inp)
    if not pieces:
        return None
    count = inp.kind.count
    note = f"Only {len(pieces)} found" if count is not None and len(pieces) < count else ""
    if sentence is not None or (inp.short is not None and pieces[0].passage == inp.short[1] and
                                pieces[0].text in inp.short[0]):
        # The short answer states the list and opens the answer, or the items were cut from a
        # sentence's enumeration: the answer keeps its sentences (the cut is a guess that broke
        # answers on covidqa: 300 questions, answer holds gold 0.4967 -> 0.4567), the items
        # ride in the shape, and the enumerating sentence, whole, opens the answer.
        return Shaped("list", pieces, "", note=note, lead=sentence)
    head = f"{note}:\n" if note else ""
    return Shaped("list", pieces, head + "\n".join(f"- {cite(p.text, p.passage)}"
                                                  for p in pieces), note=note)


def _from_block(inp: ShapeInput) -> list[Piece]:
    return _best_block(inp)[1]


def answers(inp: ShapeInput) -> bool:
    """The gate's exception for list questions: a list block's heading or introduction holds at
    least RESCUE_COVERAGE of what the question asks (its focus, or the noun run it asks for), or
    one of the best sentences enumerates two things or more the question does not name and
    holds that share of its key terms, the count it asks for left out ("Meeting rooms are on
    the first, second and third floors." for "On which four floors are the meeting rooms?":
    the count is what the answer's "Only 3 found" speaks to, not a topic)."""
    if _best_block(inp)[0] >= RESCUE_COVERAGE:
        return True
    wanted = frozenset(t for t in inp.asked if count_of(t) is None)  # the count left out
    for s in inp.sentences[:SENTENCES]:
        whole = inp.piece(s)
        if whole is not None and coverage(wanted, whole.text) >= RESCUE_COVERAGE and \
                _new([Piece(t, whole.passage, i, i + len(t))
                      for i, t in enumeration(whole.text)], inp.question):
            return True
    return False


def _best_block(inp: ShapeInput) -> tuple[float, list[Piece]]:
    """The list block whose heading and introducing line hold most of the question's key terms
    (at least BLOCK_COVERAGE of them), the longest of equals, with its score. A block is judged
    by the question's focus (its words beyond naming the top document: the study's name, its
    title, its opening), or by the noun run the list asks for ("secondary outcome measures"),
    whichever it holds more of."""
    wanted = terms(inp.question)
    head = terms(inp.kind.head)
    best, pieces = BLOCK_COVERAGE - 1e-9, []
    tie: tuple[float, int] = (-1.0, 0)
    for n in range(1, min(PASSAGES, len(inp.passages)) + 1):
        text = inp.passages[n - 1].text
        # Without a focus: the terms the passage's title does not hold.
        focus = inp.focus or wanted - terms(inp.passages[n - 1].title, ()) or wanted
        runs = [run for block in blocks(text) for run in _runs(text, block)] + _inline(text)
        for intro, items in runs:
            heading = section_at(text, items[0][0]).heading
            said = _FOOTNOTE.sub("", f"{heading} {text[intro[0]:intro[1]] if intro else ''}")
            if head and 2 * sum(_opens_with(head, text[a:b]) for a, b in items) >= len(items):
                said += f" {inp.kind.head}"  # its items name what is asked ("Exploits that ...")
            score = max(coverage(focus, said), coverage(head, said) if head else 0.0)
            # of equals the one introduced by more of the question's words, then the longer
            # (a protocol's synopsis lists fewer than its section)
            rank = (coverage(wanted, said), len(items))
            if score > best + 1e-9 or (score > best - 1e-9 and rank > tie):
                best, tie = score, rank
                pieces = [_piece(text, n, a, b) for a, b in items]
    return (best if pieces else 0.0), pieces


Run = tuple[tuple[int, int] | None, list[tuple[int, int]]]


def _opens_with(head: frozenset[str], item: str) -> bool:
    """Whether the item's first words name what the list asks for ("Exploits that only affect
    local development" for "Which exploits ...")."""
    return coverage(head, " ".join(_WORD.findall(item)[:OPENING])) == 1.0


def _runs(text: str, block: Block) -> list[Run]:
    """The lists of ``block`` (two items at least), each with its introducing span: the block
    itself, each list indented under one of its items (``Block.nested``), and each run of items
    of another marker under one of its items, which introduces them (a PDF's second level,
    unindented: "• Feasibility measures" then "o Recruitment rate: ...")."""
    out_nested: list[Run] = []
    own = list(block.items)  # each item's own text, without the list under it
    for i, nested in block.nested.items():
        cut = text.rfind("\n", block.items[i][0], nested[0][0])
        own[i] = (own[i][0], cut if cut > 0 else nested[0][0])
        if len(nested) >= 2:  # introduced by the item's own text
            out_nested.append((own[i], nested))
    out: list[Run] = [(block.intro, own)] if len(block.items) >= 2 else []
    out.extend(out_nested)
    marks = [_MARK_DIGITS.sub("#", text[text.rfind("\n", 0, a) + 1:a].strip())
             for a, _ in block.items]
    top, parent, run = marks[0], None, []
    for item, mark in [*zip(block.items, marks), (None, None)]:
        if mark is not None and mark != top:
            run.append(item)
            continue
        if parent is not None and len(run) >= 2:
            out.append((parent, run))
        parent, run = item, []
    return out


def _inline(text: str) -> list[Run]:
    """Lists written on one line ("4 US sites • University of Iowa • NIH • ..."; a PDF's table
    cell), the text before the first bullet introducing them."""
    out: list[Run] = []
    at = 0
    for line in text.split("\n"):
        cuts = list(_INLINE_BULLET.finditer(line))
        if len(cuts) >= 2:
            ends = [c.start() for c in cuts[1:]] + [len(line.rstrip())]
            items = [(at + c.end(), at + e) for c, e in zip(cuts, ends) if line[c.end():e].strip()]
            if len(items) >= 2:
                out.append(((at, at + cuts[0].start()), items))
        at += len(line) + 1
    return out


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


def _from_sentences(inp: ShapeInput) -> tuple[list[Piece], Piece | None]:
    """The items of an enumeration in the whole sentence (a PDF's line breaks do not cut it)
    holding one of the best sentences, with that sentence: of the SENTENCES best, the one whose
    whole sentence holds most of the question's key terms (at least ENUM_COVERAGE) and
    enumerates something the question does not name."""
    wanted = inp.asked
    found: list[tuple[float, int, list[Piece], Piece]] = []
    for rank, s in enumerate(inp.sentences[:SENTENCES]):
        whole = inp.piece(s)
        if whole is None or (score := coverage(wanted, whole.text)) < ENUM_COVERAGE:
            continue
        a = whole.start
        items = _new([Piece(t, whole.passage, a + i, a + i + len(t))
                      for i, t in enumeration(whole.text)], inp.question)
        if items:
            found.append((score, -rank, items, whole))
    if not found:
        return [], None
    _, _, items, whole = max(found, key=lambda f: f[:2])
    return items, whole


def _from_passages(inp: ShapeInput) -> tuple[list[Piece], Piece | None]:
    """No best sentence enumerates: the first sentence of the passages (best first, each in
    document order; the Shape stage grows them to their sections) that holds every word of the
    noun run the question asks for, two words at least ("time points": "Data collection occurred
    at three time points: before ...") and enumerates two things the question does not name."""
    head = terms(inp.kind.head, ())
    if len(head) < 2:  # one word ("visits") is too little to tell the sentence that lists them
        return [], None
    for n, passage in enumerate(inp.passages[:PASSAGES], 1):
        text = unwrapped(passage.text)
        for s in split_sentences(text):
            if coverage(head, s.text) < 1.0:
                continue
            items = _new([Piece(t, n, s.start + i, s.start + i + len(t))
                          for i, t in enumeration(s.text)], inp.question)
            if items:
                return items, Piece(s.text, n, s.start, s.end)
    return [], None


def enumeration(sentence: str) -> list[tuple[int, str]]:
    """The items of "A, B and C" in ``sentence`` (after its colon, when it has one), each with
    its offset; [] when it enumerates nothing."""
    text = sentence.rstrip(" .;")
    colon = text.rfind(":")
    base = colon + 1 if colon >= 0 else 0
    part = text[base:]
    if "," not in part and ";" not in part and colon < 0:
        return []
    inner = _BRACKETED.search(part)
    if inner and not re.search(r"[,;]\s", part[:inner.start()] + part[inner.end():]):
        # "sutured in three layers (gluteal fascia with 2/0 Vicryl, subcutaneous fat with 3/0
        # Vicryl, and the skin with 4/0 Prolene)": the brackets hold the enumeration
        base, part, colon = base + inner.start(1), inner.group(1), 0  # its start is given
    cuts = [(m.start(), m.end()) for m in _SPLIT.finditer(part)
            if not _inside(part, m.start(), m.end())]
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
        rest = item[cut:]  # its offset is where the kept text starts, past any space
        out.append((offset + cut + len(rest) - len(rest.lstrip()), rest.strip()))
    return [(o, t) for o, t in out if t]


def _inside(text: str, at: int, end: int) -> bool:
    """Whether the separator ``text[at:end]`` falls inside a word ("t(4;14)", "1,000"): no
    space on either side, so nothing is cut there."""
    return end - at == 1 and 0 < at and end < len(text) and not text[at - 1].isspace() \
        and not text[end].isspace()


def _clean(item: str) -> str:
    return item.strip().rstrip(".;,")


def _piece(text: str, n: int, a: int, b: int) -> Piece:
    """The item ``text[a:b]`` cleaned, its offsets those of what is kept (a leading space
    stripped moved the end one character short: "0 afte" cited for "0 after"); its wrapped
    lines read as one (a list under it keeps its lines)."""
    item = _clean(text[a:b])
    start = a + text[a:b].find(item) if item else a
    return Piece(one_spaced(unwrapped(item)), n, start, start + len(item))
