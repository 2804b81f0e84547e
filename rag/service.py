"""AnswerService: the one path from a question to a cited answer (CLI, HTTP and eval use it)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from index.embedder import Embedder
from index.errors import InputError
from rag.citations import assemble
from rag.generators.base import GenerationRequest, Generator
from rag.prompts import PromptSet
from rag.retrieval import Retriever
from rag.types import Answer, AskOptions, Passage, Turn


@dataclass(frozen=True)
class StreamDelta:
    text: str


@dataclass(frozen=True)
class StreamDone:
    answer: Answer


StreamEvent = StreamDelta | StreamDone


class AnswerService:
    def __init__(self, embedder: Embedder, retriever: Retriever, generator: Generator,
                 prompts: PromptSet, top_k: int, min_relevance: float,
                 max_question_chars: int = 2000) -> None:
        self._embedder = embedder
        self._retriever = retriever
        self._generator = generator
        self._prompts = prompts
        self._top_k = top_k
        self._min_relevance = min_relevance
        self._max_question_chars = max_question_chars

    @property
    def prompt_version(self) -> str:
        return self._prompts.version

    def answer(self, question: str, history: Sequence[Turn] = (),
               options: AskOptions | None = None) -> Answer:
        """Answer ``question`` from the index, citing passages, or refuse."""
        question = self._validate(question)
        options = options or AskOptions()
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        query_vector = self._embedder.embed([question])[0]
        t1 = time.perf_counter()
        timings["embed"] = (t1 - t0) * 1000
        top_k = options.top_k or self._top_k
        retrieved = self._retriever.retrieve(question, query_vector,
                                             max(top_k, options.candidates), options.filters)
        passages = retrieved[:top_k]
        t2 = time.perf_counter()
        timings["retrieve"] = (t2 - t1) * 1000
        if not passages:
            return self._refusal(question, timings, retrieved)
        draft = self._generator.generate(GenerationRequest(question, query_vector, passages))
        timings["generate"] = (time.perf_counter() - t2) * 1000
        if draft.refused or draft.support < self._min_relevance:
            return self._refusal(question, timings, retrieved)
        text, citations = assemble(draft.text, passages)
        if not citations:
            return self._refusal(question, timings, retrieved)
        timings["total"] = (time.perf_counter() - t0) * 1000
        return Answer(question=question, answer=text, citations=citations, refused=False,
                      prompt_version=self._prompts.version, generator=self._generator.name,
                      timings_ms=_rounded(timings), retrieved=retrieved)

    def stream(self, question: str, history: Sequence[Turn] = (),
               options: AskOptions | None = None) -> Iterator[StreamEvent]:
        """Yield the answer text in pieces, then the complete :class:`Answer`."""
        answer = self.answer(question, history, options)
        for piece in _sentences_with_markers(answer.answer):
            yield StreamDelta(piece)
        yield StreamDone(answer)

    def _validate(self, question: str) -> str:
        if not isinstance(question, str) or not question.strip():
            raise InputError("the question is empty: send some text to ask about")
        question = question.strip()
        if len(question) > self._max_question_chars:
            raise InputError(
                f"the question is {len(question)} characters long; the limit is "
                f"{self._max_question_chars}"
            )
        return question

    def _refusal(self, question: str, timings: dict[str, float],
                 retrieved: list[Passage] | None = None) -> Answer:
        return Answer(question=question, answer=self._prompts.refusal, citations=[],
                      refused=True, prompt_version=self._prompts.version,
                      generator=self._generator.name, timings_ms=_rounded(timings),
                      retrieved=retrieved or [])


def _sentences_with_markers(text: str) -> Iterator[str]:
    import re

    pieces = re.split(r"(?<=\])\s+", text)
    for i, piece in enumerate(pieces):
        yield piece + (" " if i < len(pieces) - 1 else "")


def _rounded(timings: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in timings.items()}
