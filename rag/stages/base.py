"""The contract every stage keeps."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from rag.stages.state import AnswerState


class Stage(Protocol):
    """One step of answering. ``name`` is the key of its time in ``Answer.timings_ms``.

    ``run`` reads the fields earlier stages filled, fills its own, and returns the answer text it
    produced as it went (only a streaming generator produces any; every other stage returns
    ``()``). It may call ``state.refuse()``; the stages after it are then skipped.
    """

    name: str

    def run(self, state: AnswerState) -> Iterable[str]: ...
