"""Stage 1: a follow-up becomes a question of its own (see rag.conversation)."""

from __future__ import annotations

from collections.abc import Iterable

from rag.conversation import Condenser
from rag.stages.state import AnswerState


class Condense:
    name = "condense"

    def __init__(self, condenser: Condenser) -> None:
        self._condenser = condenser

    def run(self, state: AnswerState) -> Iterable[str]:
        state.standalone = (self._condenser.condense(state.question, state.history)
                            if state.history else state.question)
        return ()
