"""Stage 6: the generator's draft, with markers ``[n]`` naming the passages."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rag.generators.base import Draft, Generator
from rag.prompts import PromptSet
from rag.stages.state import AnswerState


class Generate:
    """``generator`` None: the answer is the extractive one the evidence stage composed (the
    extractive generator's own answer, not computed twice). An LLM's tokens are passed on as
    they come when the caller streams."""

    name = "generate"

    def __init__(self, generator: Generator | None, prompts: PromptSet) -> None:
        self._generator = generator
        self._prompts = prompts

    def run(self, state: AnswerState) -> Iterable[str]:
        if self._generator is None:
            state.draft = state.evidence
            return ()
        if state.streaming:
            return self._stream(self._generator, state)
        state.draft = self._generator.generate(state.request)
        return ()

    def _stream(self, generator: Generator, state: AnswerState) -> Iterator[str]:
        pieces: list[str] = []
        for piece in generator.stream(state.request):
            pieces.append(piece)
            yield piece
        text = "".join(pieces)
        state.draft = Draft(text=text.strip(), support=0.0,
                            refused=self._prompts.is_refusal(text))
