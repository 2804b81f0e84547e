"""The last stage, run whatever happened before: the public :class:`Answer`, its markers
renumbered 1..m to match the citation list (rag.citations), or the refusal."""

from __future__ import annotations

from collections.abc import Iterable

from rag.citations import assemble
from rag.prompts import PromptSet
from rag.stages.state import AnswerState
from rag.types import Answer, Citation, Verification


class Assemble:
    name = "assemble"

    def __init__(self, prompts: PromptSet, generator_name: str) -> None:
        self._prompts = prompts
        self._generator_name = generator_name

    def run(self, state: AnswerState) -> Iterable[str]:
        verified = state.verified
        if not state.refused and verified is not None:
            text, citations = assemble(verified.text, state.passages, state.spans)
            if citations:
                verification = Verification(
                    checked=len(verified.sentences) + len(verified.dropped),
                    dropped=tuple(verified.dropped), flagged=tuple(verified.flagged),
                    removed_markers=verified.removed_markers, fallback=state.fallback)
                state.answer = self._answer(state, text, citations, verification)
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
                      verification=verification, relevance=state.relevance)
