"""The last stage, run whatever happened before: the public :class:`Answer`, its markers
renumbered 1..m to match the citation list (rag.citations), or the refusal. An exact answer
(stage short_answer) opens the text, cited, before the sentences that state it."""

from __future__ import annotations

from collections.abc import Iterable

from rag.citations import assemble
from rag.prompts import PromptSet
from rag.stages.state import AnswerState
from rag.types import Answer, Citation, ShortAnswer, Verification


class Assemble:
    name = "assemble"

    def __init__(self, prompts: PromptSet, generator_name: str) -> None:
        self._prompts = prompts
        self._generator_name = generator_name

    def run(self, state: AnswerState) -> Iterable[str]:
        verified = state.verified
        if not state.refused and verified is not None:
            short = state.short
            draft = verified.text
            if short is not None:
                stop = "" if short.text.rstrip().endswith((".", "!", "?")) else "."
                draft = f"{short.text}{stop} [{short.passage}] {draft}"
            text, citations = assemble(draft, state.passages, state.spans)
            if citations:
                verification = Verification(
                    checked=len(verified.sentences) + len(verified.dropped),
                    dropped=tuple(verified.dropped), flagged=tuple(verified.flagged),
                    removed_markers=verified.removed_markers, fallback=state.fallback)
                state.answer = self._answer(state, text, citations, verification)
                if short is not None:
                    chunk = state.passages[short.passage - 1].chunk_id
                    n = next(c.n for c in citations if c.chunk_id == chunk)
                    state.answer.short_answer = ShortAnswer(short.text, n, short.start,
                                                            short.end)
                return ()
        state.refuse()
        state.answer = self._answer(state, self._prompts.refusal, [], Verification())
        return ()

    def _answer(self, state: AnswerState, text: str, citations: list[Citation],
                verification: Verification) -> Answer:
        return Answer(question=state.question, answer=text, citations=citations,
                      refused=state.refused, prompt_version=self._prompts.version,
                      generator=self._generator_name, retrieved=state.retrieved,
                      standalone_question=state.standalone or state.question,
                      verification=verification, relevance=state.relevance,
                      release=state.release, release_date=state.release_date,
                      answer_type=None if state.answer_type is None else state.answer_type.name)
