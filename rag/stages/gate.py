"""Stage 5: refuse, before any LLM is called, when the evidence does not answer the question
(see rag.answerability)."""

from __future__ import annotations

from collections.abc import Iterable

from rag.answerability import RefusalGate
from rag.stages.state import AnswerState


class Gate:
    name = "gate"

    def __init__(self, gate: RefusalGate) -> None:
        self._gate = gate

    def run(self, state: AnswerState) -> Iterable[str]:
        assert state.evidence is not None
        state.relevance = self._gate.score(state.standalone, state.sentences, state.passages)
        if state.evidence.refused or state.relevance < self._gate.threshold:
            state.refuse()
        return ()
