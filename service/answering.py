"""What the ask, stream and chat-completions routes share: limits, options and the answer shape."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from fastapi import Request

from index.errors import InputError
from rag.factory import Pipeline
from rag.feedback import FeedbackStore
from rag.answer_service import StreamDelta, StreamDone
from rag.settings import ServerSettings
from rag.types import Answer, AskOptions, Turn
from service.metrics import Metrics
from service.principal import Principal
from service.schemas import AskResponse
from service.streaming import OffLoopStream


def check_history(history: Sequence[Turn], server: ServerSettings) -> list[Turn]:
    """Enforce the conversation limits; a 422 says which one was passed and by how much."""
    if len(history) > server.max_history_turns:
        raise InputError(f"the history has {len(history)} turns; the limit is "
                         f"{server.max_history_turns}: start a new conversation")
    chars = sum(len(t.content) for t in history)
    if chars > server.max_history_chars:
        raise InputError(f"the history holds {chars} characters; the limit is "
                         f"{server.max_history_chars}: start a new conversation")
    return list(history)


def public(answer: Answer, answer_id: str) -> AskResponse:
    """The response body of an answer, including fields later stages add to ``Answer``."""
    body = answer.to_public()
    body.setdefault("standalone_question",
                    getattr(answer, "standalone_question", None) or answer.question)
    return AskResponse.model_validate({"answer_id": answer_id, **body})


def actor(who: Principal) -> str:
    """Who a record names: the person, else the key's name."""
    return who.user or who.name


def finish(answer: Answer, feedback: FeedbackStore, metrics: Metrics,
           collections: tuple[str, ...] | None = None,
           asked_by: str | None = None) -> AskResponse:
    """Record the answer with the collections it was asked over (so feedback can name it and
    only keys that see them can) and who asked, count it, and shape it. Blocking."""
    metrics.observe_answer(answer.timings_ms, answer.refused)
    return public(answer, feedback.record_answer(answer, collections, asked_by))


class AnswerStream:
    """``AnswerService.stream`` for one request, pulled off the event loop."""

    def __init__(self, request: Request, pipeline: Pipeline, question: str,
                 history: Sequence[Turn], options: AskOptions) -> None:
        metrics: Metrics = request.app.state.metrics
        self.request = request
        events: Iterator[StreamDelta | StreamDone] = pipeline.answers.stream(
            question, history, options)
        self.off_loop = OffLoopStream(events, request.is_disconnected, metrics.disconnects.inc)

    async def start(self) -> "AnswerStream":
        await self.off_loop.start()
        return self
