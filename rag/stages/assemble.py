"""The last stage, run whatever happened before: the public :class:`Answer`, its markers
renumbered 1..m to match the citation list (rag.citations), or the refusal. An exact answer
(stage short_answer) opens the text, cited, before the sentences that state it; an answer
shaped for its question (stage shape: steps, a verdict, sides, items, a trend) is that shape's
text instead, and the shape rides beside it (``Answer.shape``); a list whose items were cut from
a sentence's enumeration keeps the composed answer, opened by that sentence whole."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from index.dates import STATED

from rag.citations import assemble
from rag.grounding import VerifiedDraft
from rag.prompts import PromptSet
from rag.shapes.public import public_shape
from rag.shapes.types import Piece
from rag.stages.state import AnswerState, ShortPick
from rag.types import Answer, Citation, Passage, ShortAnswer, Side, Verification

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def newest_first(sides: Sequence[ShortPick], passages: Sequence[Passage]) -> list[ShortPick]:
    """The sides of a disagreement, those whose documents state a date newest first, then the
    undated in the order found (the short answer's first)."""
    def key(pick: ShortPick) -> tuple[int, str]:
        p = passages[pick.passage - 1]
        return (0, _inverted(p.date)) if p.date and p.date_source in STATED else (1, "")
    return sorted(sides, key=key)


def disagreement_text(sides: Sequence[ShortPick], passages: Sequence[Passage]) -> str:
    """"The sources disagree: 3 hours [2] (Border talks, 8 Feb 2024); more than two hours [1]
    (Officials meet, 7 Feb 2024)." Each side cited; a date only where its document states one,
    and the first side (``sides`` come newest first) called the newer (newest) when two or more
    state dates and its own is later than the next one's."""
    parts = []
    dated = [passages[x.passage - 1].date[:10] for x in sides
             if passages[x.passage - 1].date and passages[x.passage - 1].date_source in STATED]
    for i, pick in enumerate(sides):
        p = passages[pick.passage - 1]
        about = [(p.title or p.doc_id).rstrip(". ")]
        if p.date and p.date_source in STATED:
            about.append(_day(p.date))
            if i == 0 and len(dated) > 1 and dated[0] > dated[1]:
                about.append("the newest" if len(dated) > 2 else "the newer")
        parts.append(f"{pick.text.rstrip(' .')} [{pick.passage}] ({', '.join(about)})")
    return "The sources disagree: " + "; ".join(parts) + "."


def with_lead(verified: VerifiedDraft, lead: Piece) -> str:
    """The verified draft opened by a list's whole sentence (its enumeration gave the items), the
    draft's sentences that are pieces of it (a PDF line it quoted) left out."""
    whole = " ".join(lead.text.split()).lower()
    parts = [f"{lead.text.strip()} [{lead.passage}]"]
    for s in verified.sentences:
        if " ".join(s.text.split()).rstrip(" .").lower() in whole:
            continue
        parts.append(s.text + "".join(f" [{sup.passage}]" for sup in s.supports))
    return " ".join(parts)


def _day(iso: str) -> str:
    year, month, day = iso[:10].split("-")
    return f"{int(day)} {_MONTHS[int(month) - 1]} {year}"


def _inverted(iso: str) -> str:
    """A key that sorts ISO dates newest first."""
    return "".join(chr(0x10FFFF - ord(c)) for c in iso[:10])


class Assemble:
    name = "assemble"

    def __init__(self, prompts: PromptSet, generator_name: str) -> None:
        self._prompts = prompts
        self._generator_name = generator_name

    def run(self, state: AnswerState) -> Iterable[str]:
        verified = state.verified
        shaped = state.shaped
        # the shape's text replaces an extractive answer (an LLM's verified one is kept)
        shaped_text = (shaped is not None and bool(shaped.text)
                       and (state.draft is state.evidence or state.fallback))
        listed = shaped is not None and shaped.kind == "list" and bool(shaped.pieces)
        if state.rescued and not (shaped_text or listed):
            state.refuse()  # answered past the gate for its steps (its items) only
        if state.disputed and not state.sides:
            state.refuse()  # answered past the gate for its disagreement only
        if shaped is not None and shaped.kind == "changes" and not shaped.pieces and \
                not state.refused:
            # "What's new in X?" over one version of X: nothing to compare it with; or no
            # change about the part asked of
            state.refusal = shaped.refusal
            state.refuse()
        if not state.refused and verified is not None:
            short = state.short
            draft = verified.text
            sides = [] if shaped_text else newest_first(state.sides, state.passages)
            if shaped_text:
                assert shaped is not None
                draft = shaped.text
            elif sides:
                draft = f"{disagreement_text(sides, state.passages)} {draft}"
            else:
                if shaped is not None and shaped.lead is not None:
                    draft = with_lead(verified, shaped.lead)
                if short is not None:
                    stop = "" if short.text.rstrip().endswith((".", "!", "?")) else "."
                    draft = f"{short.text}{stop} [{short.passage}] {draft}"
                if shaped is not None and shaped.note:  # "Only 2 found"
                    draft = f"{shaped.note}: {draft}"
            text, citations = assemble(draft, state.passages, state.spans, state.tables)
            if citations:
                verification = Verification(
                    checked=len(verified.sentences) + len(verified.dropped),
                    dropped=tuple(verified.dropped), flagged=tuple(verified.flagged),
                    removed_markers=verified.removed_markers, fallback=state.fallback)
                state.answer = self._answer(state, text, citations, verification)
                chunk = None if short is None else state.passages[short.passage - 1].chunk_id
                n = next((c.n for c in citations if c.chunk_id == chunk), None)
                if short is not None and n is not None:
                    state.answer.short_answer = ShortAnswer(short.text, n, short.start,
                                                            short.end)
                if shaped is not None:
                    state.answer.shape = public_shape(shaped, state.passages, citations)
                state.answer.disagreement = [self._side(pick, state, citations)
                                             for pick in sides]
                return ()
        state.refuse()
        refusal = (self._prompts.refusal if state.refusal is None else
                   self._prompts.refusal_for(state.refusal.reason, state.refusal.detail))
        state.answer = self._answer(state, refusal, [], Verification())
        state.answer.refusal = state.refusal
        return ()

    @staticmethod
    def _side(pick: ShortPick, state: AnswerState, citations: list[Citation]) -> Side:
        passage = state.passages[pick.passage - 1]
        n = next(c.n for c in citations if c.chunk_id == passage.chunk_id)
        return Side(text=pick.text, citation=n, start=pick.start, end=pick.end,
                    doc_id=passage.doc_id, date=passage.date, date_source=passage.date_source)

    def _answer(self, state: AnswerState, text: str, citations: list[Citation],
                verification: Verification) -> Answer:
        return Answer(question=state.question, answer=text, citations=citations,
                      refused=state.refused, prompt_version=self._prompts.version,
                      generator=self._generator_name, retrieved=state.retrieved,
                      standalone_question=state.standalone or state.question,
                      verification=verification, relevance=state.relevance,
                      release=state.release, release_date=state.release_date,
                      answer_type=None if state.answer_type is None else state.answer_type.name)
