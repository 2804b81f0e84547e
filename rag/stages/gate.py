"""Stage 5: refuse, before any LLM is called, when the evidence does not answer the question
(see rag.answerability); a procedure question whose steps a section gives is the exception
(rag.stages.shape.ProcedureException)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rag.answerability import RefusalGate
from rag.stages.state import AnswerState


class Gate:
    name = "gate"

    def __init__(self, gate: RefusalGate,
                 exception: Callable[[AnswerState], bool] | None = None) -> None:
        self._gate = gate
        self._exception = exception  # rag.stages.shape.ProcedureException: answer after all

    def run(self, state: AnswerState) -> Iterable[str]:
        assert state.evidence is not None
        state.relevance = self._gate.score(state.standalone, state.sentences, state.passages)
        if state.evidence.refused or state.relevance < self._gate.threshold:
            if self._exception is not None and self._exception(state):
                state.rescued = True
                return ()
            state.refuse()
        return ()
