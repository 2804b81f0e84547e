"""Stage 4: every sentence of the passages scored against the question, and the extractive
answer composed from the best (the answer of the extractive generator, the fallback of an LLM,
and what the refusal gate judges)."""

from __future__ import annotations

from collections.abc import Iterable

from rag.generators.extractive import ExtractiveGenerator
from rag.stages.state import AnswerState


class Evidence:
    name = "evidence"

    def __init__(self, extractive: ExtractiveGenerator) -> None:
        self._extractive = extractive

    def run(self, state: AnswerState) -> Iterable[str]:
        state.sentences = (self._extractive.score_sentences(state.request)
                           if state.passages else [])
        state.evidence = self._extractive.compose(state.standalone, state.sentences,
                                                  state.passages)
        return ()
