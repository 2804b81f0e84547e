"""Stage 10: the answer in the shape the question asks for (rag.shapes): steps, an
explanation, a yes/no verdict, the two sides of a comparison, a list's items, a trend's table.

The question's kind is read from its words and tags (rag.shapes.kinds); the builder of that
kind reads the passages and their scored sentences (the evidence stage's, best first). Each
piece it cites becomes a span of its citation (as the verified sentences' are), and assemble
puts the shape's text in place of the composed answer (an extractive answer only: an LLM's
verified answer is kept, the shape beside it).

:class:`ShapeException` is the refusal gate's exception (rag.stages.gate): a procedure
question the gate refused is answered when a section gives its steps and matches the
question's key terms well (rag.shapes.procedure.answers); a trend question, when a table row of
its measure states two of its periods or more (rag.shapes.trend_rows); a changes question, when
a passage and another version of it state one statement otherwise (rag.shapes.changes)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from rag import shapes
from rag.pages import page_of
from rag.question_typing import Nlp
from rag import time_scope
from rag.shapes import changes, listing, procedure, trend, trend_rows, versions
from rag.shapes.commands import subsections_end
from rag.shapes.text import section_at, terms
from rag.span_locator import SpanLocator
from rag.stages.state import AnswerState
from rag.types import Passage, Refusal, Span

WIDEN = 4000  # the most characters a passage grows on each side to its section
WIDENED = ("procedure", "list")  # the kinds whose passages are read grown to their sections
WHOLE = 60_000  # the longest document a changes question reads whole (characters; a longer
#                 one is read as its retrieved passage: difflib's cost grows with the square)


def shape_input(state: AnswerState, kind: shapes.QuestionKind,
                nlp: Nlp | None = None) -> shapes.ShapeInput:
    ranked = sorted(state.sentences, key=lambda s: (-s.score, s.order))
    short = None if state.short is None else (state.short.text, state.short.passage)
    read = None
    if state.verified is not None and state.verified.kept:
        support = max(state.verified.kept[0].supports, key=lambda s: s.score)
        read = (support.passage, support.span[0])
    return shapes.ShapeInput(state.standalone or state.question, kind, state.passages, ranked,
                             short, focus=terms(" ".join(state.focus)), read=read,
                             entities=None if nlp is None else lambda text: nlp.entities(text)[0])


def kind_of(nlp: Nlp, state: AnswerState) -> shapes.QuestionKind:
    if state.kind is None:
        question = state.standalone or state.question
        state.kind = shapes.question_kind(question, nlp.question_tags(question))
    return state.kind


def kind_name(nlp: Nlp, state: AnswerState) -> str:
    """The question's kind by name (rag.stages.retrieve re-reads for some kinds only)."""
    return kind_of(nlp, state).kind


def with_versions(passages: list[Passage], inp: shapes.ShapeInput,
                  locator: SpanLocator) -> tuple[list[Passage], shapes.ShapeInput]:
    """For a changes question: the passages with the other versions of the document asked of
    added (rag.shapes.versions.asked_document: the best ranked, or one whose title the question
    names), its near-duplicates in other documents and the other documents of its series (rag.shapes.versions.series_key) among the passages and their
    versions, and the shape input over them, every passage read as its whole document (a change
    stands anywhere in it), with the pairs of versions."""
    extended = list(passages)
    if not passages:
        return extended, inp
    at = versions.asked_document(passages, inp.question, changes.words)
    passage, n = passages[at], at + 1
    pairs: list[tuple[int, int]] = []
    for version in passage.versions:
        extended.append(version)
        pairs.append((n, len(extended)))
    # a version revised too much to be a near-duplicate of this passage: another retrieved
    # document (or another passage's version) of its series ("Travel policy 2024", "Travel
    # policy 2025"), one passage of each document
    key = versions.series_key(passage)
    seen = {passage.doc_id} | {v.doc_id for v in passage.versions}
    for other in [*passages, *(v for p in passages for v in p.versions)]:
        if key and other.doc_id not in seen and versions.series_key(other) == key:
            seen.add(other.doc_id)
            if other not in extended:
                extended.append(other)
            pairs.append((n, extended.index(other) + 1))
    whole = [whole_document(p, locator) for p in extended] if pairs else extended
    return extended, replace(inp, passages=whole, versions=tuple(pairs))


def whole_document(passage: Passage, locator: SpanLocator) -> Passage:
    """The passage's whole cleaned document (up to WHOLE characters), as one passage."""
    found = locator.in_document(passage)
    if found is None or len(found[0].text) > WHOLE:
        return passage
    clean = found[0]
    start, stop = clean.original_span(0, len(clean.text))
    return replace(passage, text=clean.text, start=start, end=stop)


class ShapeException:
    """Called by the gate on a refusal: True (answer after all) for a procedure question whose
    steps a section gives, or a trend question a table row answers for two periods or more
    with the question's measure (rag.shapes.trend_rows, at RESCUE_COVERAGE)."""

    RESCUE_COVERAGE = 0.67

    def __init__(self, nlp: Nlp, locator: SpanLocator) -> None:
        self._nlp = nlp
        self._locator = locator  # reads a changes question's versions whole

    def __call__(self, state: AnswerState) -> bool:
        kind = kind_of(self._nlp, state)
        if kind.kind not in ("procedure", "trend", "list", "changes") or not state.passages \
                or not state.sentences:
            return False
        inp = shape_input(state, kind)
        if kind.kind == "procedure":
            return procedure.answers(inp)
        if kind.kind == "changes":
            return self._changes(state, inp)
        if kind.kind == "list":
            return listing.answers(inp)
        return len(trend_rows.rows(inp, time_scope.asked(inp.question), trend.POOL,
                                   self.RESCUE_COVERAGE)) >= 2 or \
            self._changes(state, inp, strict=True)

    def _changes(self, state: AnswerState, inp: shapes.ShapeInput, strict: bool = False) -> bool:
        """Whether the best passage and another version of it state something otherwise, read
        as the shape stage reads them (whole), on copies: the state's passages are left as
        they are."""
        return changes.build(with_versions(state.passages, inp, self._locator)[1],
                             strict=strict) is not None


class Shape:
    name = "shape"

    def __init__(self, nlp: Nlp, locator: SpanLocator) -> None:
        self._nlp = nlp
        self._locator = locator

    def run(self, state: AnswerState) -> Iterable[str]:
        if state.verified is None:
            return ()
        kind = kind_of(self._nlp, state)
        shaped = None
        if state.sentences:
            inp = shape_input(state, kind, self._nlp)
            if kind.kind in WIDENED:
                # A chunk may cut a section's list or table: its steps (its items) are read from
                # the whole section, and the passages they come from are cited whole.
                inp = replace(inp, passages=[self._widened(p) for p in state.passages])
                if kind.kind == "procedure":
                    inp = replace(inp, grown=[self._widened(p, subsections=True)
                                              for p in state.passages])
            if kind.kind == "changes":
                inp = self._versions(state, inp)
                if not inp.versions:  # one version of the document: nothing to compare
                    state.shaped = shapes.Shaped("changes", refusal=Refusal(
                        "versions", state.passages[0].title))
                    return ()
            shaped = shapes.build(inp)
            if kind.kind == "trend" and (shaped is None or len(shaped.pieces) < 2):
                # "How has the travel policy changed?": no figure for two periods, but maybe
                # two versions of the policy: what they state otherwise (strict: documents of
                # one series must share their statements too, two yearly reports are no versions)
                inp = self._versions(state, inp)
                shaped = changes.build(inp, strict=True) or shaped
            if shaped is not None and (kind.kind in WIDENED or shaped.kind == "changes"):
                read = inp.grown if shaped.grown else inp.passages
                for n in {p.passage for p in shaped.pieces}:
                    state.passages[n - 1] = read[n - 1]
        state.shaped = shaped or shapes.Shaped(kind.kind)
        state.shaped.pieces = [self._cite(state, p) for p in state.shaped.pieces]
        if state.shaped.lead is not None:
            state.shaped.lead = self._cite(state, state.shaped.lead)
        return ()

    def _versions(self, state: AnswerState, inp: shapes.ShapeInput) -> shapes.ShapeInput:
        """:func:`with_versions`, the versions put among the state's passages (so a piece can
        cite one)."""
        state.passages[:], inp = with_versions(state.passages, inp, self._locator)
        return inp

    def _widened(self, passage: Passage, subsections: bool = False) -> Passage:
        """The passage grown to the whole sections it starts and ends in (at most WIDEN
        characters more on each side, whole lines), read from its cleaned document; with
        ``subsections``, the last one with its subsections (a procedure's "### Unix/macOS" and
        "### Windows" commands under the section saying what they do)."""
        found = self._locator.in_document(passage)
        if found is None:
            return passage
        clean, base = found
        doc, end = clean.text, base + len(passage.text)
        first, last = section_at(doc, base), section_at(doc, max(base, end - 1))
        last_end = subsections_end(doc, max(base, end - 1)) if subsections else last.end
        a, b = max(first.start, base - WIDEN), min(last_end, end + WIDEN)
        if a > first.start:
            a = doc.find("\n", a) + 1 or base
        if b < last_end:
            b = doc.rfind("\n", 0, b)
        a, b = min(a, base), max(b, end)
        b = max(end, a + len(doc[a:b].rstrip()))
        if (a, b) == (base, end):
            return passage
        start, stop = clean.original_span(a, b)
        return replace(passage, text=doc[a:b], start=start, end=stop)

    def _cite(self, state: AnswerState, piece: shapes.Piece) -> shapes.Piece:
        """The piece as a span of its citation (support 1.0: the shape quotes it), its offsets
        now the document's."""
        passage = state.passages[piece.passage - 1]
        if piece.end <= piece.start:
            return piece
        start, end = self._locator.locate(passage, piece.start, piece.end)
        spans = state.spans.setdefault(piece.passage, [])
        if all((x.start, x.end) != (start, end) for x in spans):
            page = page_of(passage, start, self._locator.document_text(passage)
                           if passage.page_end > passage.page_start else None)
            spans.append(Span(start=start, end=end, text=passage.text[piece.start:piece.end],
                              support=1.0, page=page))
        return replace(piece, start=start, end=end)
