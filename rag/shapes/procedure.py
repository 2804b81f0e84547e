"""Procedure ("how do I ...", "what are the steps to ..."): the steps in order from one section,
keeping the document's list structure: its numbered or bulleted lines, or the command lines of
a code block; a section without a list but a reference table's row that speaks of the
question (``| rag releases rollback [ID] | ... |``) gives that row; a README's walk-through
(code blocks of one command, each introduced by its own text: "first go to its root
directory:" ``cd ...``, "Use `configure` for that:" ``node-gyp configure``) gives each
introduction and its command, in order; else the section's sentences in order. Each step is
cited.

The section is the best passage's: among the sections of the first passages that hold a list of
at least two steps, the one whose heading, introducing line and steps hold most of the
question's key terms, the one holding the best sentence preferred (the document's title as a
heading counts for none: it names the document, not the section). Of a reference list (items
opening with a bold label, a table's rows) the items holding most key terms are the steps, not
all of them, and so is an item holding half as many and one of the best scored sentences.
The Shape stage hands this builder each passage grown to its whole sections
(rag.stages.shape), so a chunk that cuts a list gives its steps whole. :func:`answers` is the
refusal gate's exception: a procedure question is answered when such a section matches the
question's key terms well, even when no sentence scored high enough."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.sentences import asks, split_sentences
from rag.shapes.commands import per_subsection, walked, walkthrough
from rag.shapes.text import (Block, Section, blocks, coverage, is_reference, joined_coverage,
                             sections, unwrapped)
from rag.shapes.types import Piece, ShapeInput, Shaped, cite

MIN_STEPS = 2
PASSAGES = 3  # the first passages whose sections are read
MAX_SENTENCES = 6  # a section without a list: its first sentences
RESCUE_COVERAGE = 0.8  # the gate's exception: the share of key terms the section must hold
RESCUE_HEADING = 0.5  # ... and its heading (or introducing line)
ROW_SENTENCES = 8  # the best sentences looked at for a reference table's row
ROW_COVERAGE = 0.5  # the share of key terms that row must hold
HELD = 5  # the best scored sentences an item of a reference list is also kept for holding
INTRODUCED = 2  # the best scored sentences whose introducing a list answers for the gate
OTHER_WAYS = 2  # the most items other reference lists add (the command beside the HTTP route)
_WORDY = re.compile(r"[^\W_]")
_LISTED = re.compile(r"^\s*(?:[-*+•]\s|\d{1,2}[.)]\s|\|)")  # a list item's or a table row's line
_MD_ROW = re.compile(r"^\s*\|.*\|.*\|\s*$")
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")


@dataclass(frozen=True)
class Found:
    passage: int
    section: Section
    block: Block
    score: float
    whole: float  # key-term coverage of heading, introduction and steps
    heading: float  # of the heading and introduction alone
    items: tuple[tuple[int, int], ...] = ()  # the steps taken: the block's, or its rows asked


def asked_items(wanted: frozenset[str], text: str, block: Block,
                held: Sequence[int] = ()) -> list[tuple[int, int]]:
    """The steps of ``block``: all its items, in order; of a reference block (a command table's
    rows, bold-labelled bullets) the items holding most of the question's key terms (ties all
    kept) and those holding half as many and one of the best scored sentences (``held``: where
    each starts in ``text``), in order; none when no item holds any key term."""
    if not is_reference(text, block):
        return list(block.items)
    scores = [coverage(wanted, text[a:b]) for a, b in block.items]
    top = max(scores, default=0.0)
    if top <= 0:
        return []
    return [(a, b) for (a, b), c in zip(block.items, scores)
            if c >= top - 1e-9 or (c >= top / 2 and any(a <= at < b for at in held))]


def held_sentences(inp: ShapeInput, n: int, best: int = HELD) -> list[int]:
    """Where each of the ``best`` best scored sentences starts in passage ``n`` (a passage grown
    to its section holds its neighbours' sentences too): the evidence stage's scores say which
    items of a long reference list speak of the question when key terms alone do not ("leak"
    in an item about leak tests outscoring the item that says how to revoke a key)."""
    return [at for at in (inp.where(s, n)[0] for s in inp.sentences[:best]) if at >= 0]


def best_section(inp: ShapeInput) -> Found | None:
    wanted = inp.asked
    best_at = inp.where(inp.sentences[0]) if inp.sentences else (-1, -1)
    best_passage = inp.sentences[0].passage if inp.sentences else 1
    order = [best_passage] + [n for n in range(1, len(inp.passages) + 1) if n != best_passage]
    found: list[Found] = []
    for rank, n in enumerate(order[:PASSAGES]):
        passage = inp.passages[n - 1]
        text = passage.text
        held = held_sentences(inp, n)
        for section in sections(text):
            # The document's title names what all of it is about, not which section says how.
            head = section.heading or (passage.title if section.start == 0 else "")
            if head.strip().lower() == passage.title.strip().lower():
                head = ""
            for block in blocks(text, section.start, section.end):
                if len(block.items) < MIN_STEPS and not _one_command(inp, n, block):
                    continue
                items = asked_items(wanted, text, block, held)
                if not items:
                    continue
                intro = text[block.intro[0]:block.intro[1]] if block.intro else ""
                steps = " ".join(text[a:b] for a, b in items)
                whole = coverage(wanted, f"{head} {intro} {steps}")
                heading = coverage(wanted, f"{head} {intro}")
                holds = n == best_passage and section.start <= best_at[0] < section.end
                score = whole + heading + (0.5 if holds else 0.0) - 0.1 * rank
                found.append(Found(n, section, block, score, whole, heading, tuple(items)))
    return max(found, key=lambda f: f.score, default=None)


def answers(inp: ShapeInput) -> bool:
    """Whether a section gives the steps and matches the question's key terms well (at least
    two of them, or the only one), or gives them right after the best scored sentence, which
    introduces them ("To share one index between replicas, run a server and point the service
    at it:") and half the key terms: the gate's exception for procedure questions."""
    found = best_section(inp)
    wanted = inp.asked
    if found is None or not wanted:
        return False
    if found.whole >= RESCUE_COVERAGE and found.heading >= RESCUE_HEADING:
        return True
    intro = found.block.intro
    return intro is not None and found.whole >= RESCUE_HEADING and any(
        intro[0] <= at < intro[1] for at in held_sentences(inp, found.passage, INTRODUCED))


def build(inp: ShapeInput) -> Shaped | None:
    found = best_section(inp)
    if found is not None and (found.whole >= 0.5 or found.heading >= 0.5) and \
            not _outscored(inp, found):
        text = inp.passages[found.passage - 1].text
        pieces = [Piece(text[a:b], found.passage, a, b, label=str(i))
                  for i, (a, b) in enumerate(found.items, 1)]
        if is_reference(text, found.block):  # the rows asked: each says how, whole
            return _reference(inp, pieces)
        if len(pieces) == 1 and found.block.intro is not None:
            walk = walkthrough(text, found.passage, found.section, found.block)
            if len(walk) > 1:  # "first go to its root directory: cd ...", "Use configure ..."
                return walked(walk, found.passage)
            return _introduced(text, found.passage, found.block.intro, pieces[0])
    elif (row := _table_row(inp)) is not None:
        # A reference table's row says how (a command, a route): it is the answer, whole.
        return _reference(inp, [row])
    elif (platforms := per_subsection(inp)) is not None:
        return platforms  # the section says what; its subsections' commands say how, each
    else:
        pieces = _sentences(inp)
    if len(pieces) < MIN_STEPS:
        return None
    body = "\n".join(f"{p.label}. {cite(p.text, p.passage)}" for p in pieces)
    return Shaped("procedure", pieces, body)


def _outscored(inp: ShapeInput, found: Found) -> bool:
    """Whether the best scored sentence, outside the list's section, holds more of the question's
    key terms than the list's heading, introduction and steps do ("You can alter the location
    of the Cargo home by setting the CARGO_HOME environmental variable." for "How do I change
    where the Cargo home is located?", not the list of what to cache in CI): its section's
    sentences say how, not that list."""
    if not inp.sentences:
        return False
    best = inp.sentences[0]
    at = inp.where(best, found.passage)[0]
    if found.section.start <= at < found.section.end:
        # in the list's section but in its prose after the list: the sentence says how when it
        # holds as much of the question as the list and it together ("If the coordinator
        # itself dies, rerun ...", after the list of what makes a dead worker harmless)
        text = inp.passages[found.passage - 1].text
        line = text[text.rfind("\n", 0, at) + 1:at + 1]
        last = found.block.items[-1][1] if found.block.items else at
        return at >= last and not _LISTED.match(line) and \
            coverage(inp.asked, best.text) >= found.whole - 1e-9
    return coverage(inp.asked, best.text) > found.whole + 1e-9


def _introduced(text: str, n: int, intro: tuple[int, int], command: Piece) -> Shaped:
    """One command and the text introducing it, which says what it does ("..., regenerate the
    baseline and commit it with the change:" then "scripts/update-eval-baseline.sh")."""
    lead = Piece(text[intro[0]:intro[1]], n, *intro)
    return Shaped("procedure", [lead, command],
                  f"{cite(lead.text, n)}\n1. {cite(command.text, command.passage)}")


def _one_command(inp: ShapeInput, n: int, block: Block) -> bool:
    """A code block of one line whose introducing text holds one of the INTRODUCED best
    scored sentences: a help page's "To rebuild the index, run:" and the command."""
    if block.kind != "code" or len(block.items) != 1 or block.intro is None:
        return False
    a, b = block.intro
    return any(a <= at < b for at in held_sentences(inp, n, INTRODUCED))


def _reference(inp: ShapeInput, pieces: list[Piece]) -> Shaped:
    """Reference items as the answer, each whole, with the other ways of doing it."""
    pieces = pieces + other_ways(inp, pieces)
    return Shaped("procedure", pieces, "\n".join(cite(p.text, p.passage) for p in pieces))


def other_ways(inp: ShapeInput, pieces: Sequence[Piece]) -> list[Piece]:
    """Items of the other reference lists (a table's rows, bold-labelled bullets) of the first
    passages that say how too: a documentation set states one task in several references (the
    command in the CLI table, the route in the HTTP table). Of each other list, its item
    holding one of the HELD best scored sentences and at least half the key terms the answer's
    best item holds (a word joining two the question writes apart holds both: "rollback"), the
    best covered; at most OTHER_WAYS, best covered first."""
    wanted = inp.asked

    def held(text: str) -> float:  # "rollback" holds "roll back"
        return joined_coverage(wanted, inp.question, text)

    top = max((held(p.text) for p in pieces), default=0.0)
    extra: list[tuple[float, int, Piece]] = []
    for n in range(1, min(PASSAGES, len(inp.passages)) + 1):
        text = inp.passages[n - 1].text
        best = held_sentences(inp, n)
        for block in blocks(text, rows=True):
            if not block.items:
                continue
            first, last = block.items[0][0], block.items[-1][1]
            if not is_reference(text, block) or any(
                    p.passage == n and first <= p.start < last for p in pieces):
                continue  # the list already answering
            ways = [(held(text[a:b]), a, b) for a, b in block.items  # at its line's start
                    if any(text.rfind("\n", 0, a) < at < b for at in best)]
            ways = [w for w in ways if w[0] > 0 and w[0] >= top / 2]
            if ways:
                c, a, b = max(ways, key=lambda w: w[0])
                extra.append((c, -len(extra), Piece(text[a:b], n, a, b)))
    extra.sort(reverse=True, key=lambda e: (e[0], e[1]))
    seen = {" ".join(p.text.split()) for p in pieces}  # overlapping passages repeat a list
    out = []
    for _, _, p in extra:
        if len(out) < OTHER_WAYS and (flat := " ".join(p.text.split())) not in seen:
            seen.add(flat)
            out.append(p)
    return out


def _sentences(inp: ShapeInput) -> list[Piece]:
    """No list: the sentences of the best sentence's section, in order; from the best
    sentence's paragraph when the best sentence stands past the first MAX_SENTENCES (a long
    section, or a page whose one heading is its title: an FAQ's opening answers nothing)."""
    if not inp.sentences:
        return []
    best = inp.sentences[0]
    a, _ = inp.where(best)
    if a < 0:
        return []
    text = inp.passages[best.passage - 1].text
    section = next(s for s in reversed(sections(text)) if s.start <= a)
    body_start = section.start
    if section.heading:
        body_start = text.find("\n", section.start) + 1 or section.end
    said = split_sentences(unwrapped(text)[body_start:section.end])
    if sum(body_start + s.end <= a for s in said) >= MAX_SENTENCES:
        body_start = max(body_start, text.rfind("\n\n", body_start, a) + 2)
        said = split_sentences(unwrapped(text)[body_start:section.end])
    out = []
    for s in said:
        if len(out) == MAX_SENTENCES:
            break
        if asks(s.text) and out:  # an FAQ's next question: its answer is another's
            break
        # a table's cells, a setext heading's underline ("-----") and a question are no
        # sentences of the steps
        if s.text.lstrip().startswith("|") or not _WORDY.search(s.text) or asks(s.text):
            continue
        start = body_start + s.start
        out.append(Piece(s.text, best.passage, start, start + len(s.text), label=str(len(out) + 1)))
    return out


def _table_row(inp: ShapeInput) -> Piece | None:
    """The Markdown table row (``| command | what it does |``) holding one of the best
    sentences and most of the question's key terms, the best covered; None when no such row."""
    wanted = inp.asked
    best: tuple[float, Piece] | None = None
    for rank, s in enumerate(inp.sentences[:ROW_SENTENCES]):
        a, _ = inp.where(s)
        if a < 0:
            continue
        text = inp.passages[s.passage - 1].text
        start = text.rfind("\n", 0, a) + 1
        end = text.find("\n", a)
        line = text[start: end if end >= 0 else len(text)]
        if not _MD_ROW.match(line) or _MD_RULE.match(line):
            continue
        score = coverage(wanted, line) - 0.02 * rank
        if score >= ROW_COVERAGE and (best is None or score > best[0]):
            lead = len(line) - len(line.lstrip(" |"))
            body = line.strip().strip("|").strip()
            best = (score, Piece(body, s.passage, start + lead, start + lead + len(body),
                                 label="1"))
    return None if best is None else best[1]
