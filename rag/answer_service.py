"""AnswerService: the one path from a question to a cited answer (CLI, HTTP and eval use it).

It checks the question, runs the stages the factory gave it in order (``rag.stages``:
condense → embed → retrieve → evidence → gate → generate → verify → spans), stops early when a
stage refuses, and always ends with ``assemble``, which builds the :class:`Answer` or the
refusal. Every stage's time is recorded under its name in ``timings_ms``, with ``total``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from index.errors import InputError
from rag import markers
from rag.stages import AnswerState, Stage
from rag.input_checks import text_problem
from rag.types import Answer, AskOptions, Turn


@dataclass(frozen=True)
class StreamDelta:
    text: str


@dataclass(frozen=True)
class StreamDone:
    answer: Answer


StreamEvent = StreamDelta | StreamDone


class AnswerService:
    """Runs ``stages`` then ``assemble`` for each question; built by ``rag.factory`` only."""

    def __init__(self, stages: Sequence[Stage], assemble: Stage, *, prompt_version: str,
                 generator_name: str, max_question_chars: int) -> None:
        names = [s.name for s in stages]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names must be distinct (their timings' keys): {names}")
        self._stages = tuple(stages)
        self._assemble = assemble
        self._max_question_chars = max_question_chars
        self.prompt_version = prompt_version
        self.generator_name = generator_name

    @property
    def stage_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self._stages) + (self._assemble.name,)

    def answer(self, question: str, history: Sequence[Turn] = (),
               options: AskOptions | None = None) -> Answer:
        """Answer ``question`` (a follow-up of ``history``) from the index, citing, or refuse."""
        state = self._start(question, history, options, streaming=False)
        for _ in self._run(state):
            pass
        assert state.answer is not None
        return state.answer

    def stream(self, question: str, history: Sequence[Turn] = (),
               options: AskOptions | None = None) -> Iterator[StreamEvent]:
        """Yield the answer text in pieces as it is produced, then the verified :class:`Answer`.

        An LLM's tokens are passed on as they come; verification can only judge whole sentences,
        so the final :class:`StreamDone` answer is authoritative (its ``verification`` says what
        was dropped or replaced). An answer no stage streamed (the extractive one, a refusal) is
        sent a cited sentence at a time once it is complete and verified.
        """
        state = self._start(question, history, options, streaming=True)
        streamed = False
        for piece in self._run(state):
            streamed = True
            yield StreamDelta(piece)
        assert state.answer is not None
        if not streamed:
            for piece in markers.pieces(state.answer.answer):
                yield StreamDelta(piece)
        yield StreamDone(state.answer)

    def evidence(self, question: str, history: Sequence[Turn] = (),
                 options: AskOptions | None = None) -> AnswerState:
        """The stages up to ``evidence`` without the gate: the standalone question, the
        retrieved passages and their sentences scored (``fitting.calibrate`` fits the gate on
        these)."""
        state = self._start(question, history, options, streaming=False)
        for _ in self._run(state, until="evidence"):
            pass
        return state

    def _start(self, question: str, history: Sequence[Turn], options: AskOptions | None,
               streaming: bool) -> AnswerState:
        return AnswerState(question=self._validate(question, history), history=history,
                           options=options or AskOptions(), streaming=streaming)

    def _run(self, state: AnswerState, until: str | None = None) -> Iterator[str]:
        t0 = time.perf_counter()
        for stage in self._stages:
            if state.refused:
                break
            t = time.perf_counter()
            yield from stage.run(state)
            state.timings[stage.name] = (time.perf_counter() - t) * 1000
            if stage.name == until:
                return
        t = time.perf_counter()
        yield from self._assemble.run(state)
        state.timings[self._assemble.name] = (time.perf_counter() - t) * 1000
        state.timings["total"] = (time.perf_counter() - t0) * 1000
        assert state.answer is not None
        state.answer.timings_ms = {k: round(v, 2) for k, v in state.timings.items()}

    def _validate(self, question: str, history: Sequence[Turn]) -> str:
        if not isinstance(question, str) or not question.strip():
            raise InputError("the question is empty: send some text to ask about")
        for what, text in [("the question", question)] + [
                (f"history turn {i}", t.content) for i, t in enumerate(history)]:
            problem = text_problem(text)
            if problem:
                raise InputError(f"{what} {problem}")
        question = question.strip()
        if len(question) > self._max_question_chars:
            raise InputError(
                f"the question is {len(question)} characters long; the limit is "
                f"{self._max_question_chars}"
            )
        return question
