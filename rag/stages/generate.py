"""Stage 6: the generator's draft, with markers ``[n]`` naming the passages."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rag.errors import GeneratorUnavailableError
from rag.generators.base import Draft, Generator
from rag.prompts import PromptSet
from rag.stages.state import AnswerState


class Generate:
    """``generator`` None: the answer is the extractive one the evidence stage composed (the
    extractive generator's own answer, not computed twice). An LLM's tokens are passed on as
    they come when the caller streams."""

    name = "generate"

    def __init__(self, generator: Generator | None, prompts: PromptSet,
                 on_error: str = "error") -> None:
        self._generator = generator
        self._prompts = prompts
        self._on_error = on_error

    def run(self, state: AnswerState) -> Iterable[str]:
        if self._generator is None:
            state.draft = state.evidence
            return ()
        if state.streaming:
            return self._stream(self._generator, state)
        try:
            state.draft = self._generator.generate(state.request)
        except GeneratorUnavailableError as exc:
            self._fall_back(state, exc)
        return ()

    def _fall_back(self, state: AnswerState, error: GeneratorUnavailableError) -> None:
        """The backend failed: the extractive answer (verified next) when configured, else the
        error goes to the caller (503, or an 'error' event in a stream)."""
        if self._on_error != "extractive":
            raise error
        state.draft, state.fallback = state.evidence, True

    def _stream(self, generator: Generator, state: AnswerState) -> Iterator[str]:
        pieces: list[str] = []
        try:
            for piece in generator.stream(state.request):
                pieces.append(piece)
                yield piece
        except GeneratorUnavailableError as exc:
            self._fall_back(state, exc)  # the pieces sent so far are superseded by the final answer
            return
        text = "".join(pieces)
        state.draft = Draft(text=text.strip(), support=0.0,
                            refused=self._prompts.is_refusal(text))
