"""Stage 5: refuse, before any LLM is called, when the evidence does not answer the question
(see rag.answerability); a procedure question whose steps a section gives, or a trend question a
table row answers, is the exception
(rag.stages.shape.ShapeException), and so is a question whose passages state its value two ways
(a revised copy: rag.stages.sides.Disputed), answered with both sides."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rag import time_scope
from rag.answerability import RefusalGate
from rag.stages.state import AnswerState
from rag.types import Refusal


class Gate:
    name = "gate"

    def __init__(self, gate: RefusalGate,
                 exception: Callable[[AnswerState], bool] | None = None,
                 period_refusal: bool = True,
                 disputed: Callable[[AnswerState], bool] | None = None) -> None:
        self._gate = gate
        self._exception = exception  # rag.stages.shape.ShapeException: answer after all
        self._period_refusal = period_refusal
        self._disputed = disputed  # rag.stages.sides.Disputed: answer with both sides

    def run(self, state: AnswerState) -> Iterable[str]:
        assert state.evidence is not None
        state.relevance = self._gate.score(state.standalone, state.sentences, state.passages)
        scope = time_scope.asked(state.standalone) if self._period_refusal else None
        if scope is not None and time_scope.unmet(scope, [p.text for p in state.passages],
                                                  [p.period for p in state.passages]):
            # On the subject, but not of the asked period: say which period has no answer.
            state.refusal = Refusal("period", time_scope.describe(scope))
            state.refuse()
        elif state.evidence.refused or state.relevance < self._gate.threshold:
            if self._exception is not None and self._exception(state):
                state.rescued = True
                return ()
            if self._disputed is not None and self._disputed(state):
                state.disputed = True
                return ()
            state.refuse()
        return ()
