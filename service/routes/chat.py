"""POST /v1/chat/completions: the OpenAI chat-completions protocol, answered from the documents.

The last message must be the user's question; earlier user and assistant messages are the
history, system messages are ignored. The extra ``top_k``, ``filters`` and ``collections``
fields narrow retrieval exactly as in ``/v1/ask``. The answer is the message content (with its ``[n]``
markers); the citations, the refusal flag and the answer id ride in extra top-level fields
(``citations``, ``refused``, ``answer_id``, ``release``), and in the final chunk when
streaming.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from index.errors import InputError
from rag.answer_service import StreamDelta, StreamDone
from rag.types import Turn
from service.answering import AnswerStream, actor, check_history, finish
from service.deps import FeedbackDep, MetricsDep, PipelineDep, SettingsDep
from service.errors import error_body
from service.routes.ask import SSE_HEADERS
from service.schemas import ERRORS, AskResponse, ChatCompletionRequest
from service.scoping import asked_over, scoped_options
from service.security import ReadAccess

router = APIRouter(prefix="/v1", tags=["openai"])


def split_messages(body: ChatCompletionRequest) -> tuple[str, list[Turn]]:
    turns = [Turn(role=m.role, content=m.text()) for m in body.messages
             if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise InputError("the last message must be the user's question (role 'user')")
    return turns[-1].content, turns[:-1]


def _extras(done: AskResponse) -> dict[str, Any]:
    return {"citations": [c.model_dump() for c in done.citations], "refused": done.refused,
            "answer_id": done.answer_id, "standalone_question": done.standalone_question,
            "short_answer": None if done.short_answer is None else done.short_answer.model_dump(),
            "release": done.release, "release_date": done.release_date,
            "disagreement": [side.model_dump() for side in done.disagreement]}


@router.post("/chat/completions",
             responses={**ERRORS, 200: {"description": "A chat.completion (JSON), or with "
                                        "stream=true chat.completion.chunk events",
                                        "content": {"text/event-stream": {}}}},
             summary="OpenAI-compatible chat completion (streaming with stream=true)")
async def chat_completions(body: ChatCompletionRequest, request: Request, pipeline: PipelineDep,
                           feedback: FeedbackDep, metrics: MetricsDep, settings: SettingsDep,
                           who: ReadAccess) -> Any:
    question, history = split_messages(body)
    history = check_history(history, settings.server)
    options = await run_in_threadpool(scoped_options, body.ask_options(), who, body.collections,
                                      pipeline.store)
    ident = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    if not body.stream:
        answer = await run_in_threadpool(pipeline.answers.answer, question, history, options)
        done = await run_in_threadpool(finish, answer, feedback, metrics, asked_over(options),
                                       actor(who))
        return {
            "id": ident, "object": "chat.completion", "created": created, "model": body.model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": done.answer}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            **_extras(done),
        }
    stream = await AnswerStream(request, pipeline, question, history, options).start()

    def chunk(delta: dict[str, str], finish_reason: str | None = None,
              **extra: Any) -> str:
        import json

        payload = {"id": ident, "object": "chat.completion.chunk", "created": created,
                   "model": body.model,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
                   **extra}
        return f"data: {json.dumps(payload, ensure_ascii=False, separators=(',', ':'))}\n\n"

    async def events() -> AsyncIterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        try:
            async for event in stream.off_loop.events():
                match event:
                    case StreamDelta(text=text):
                        yield chunk({"content": text})
                    case StreamDone(answer=answer):
                        done = await run_in_threadpool(finish, answer, feedback, metrics,
                                                       asked_over(options), actor(who))
                        yield chunk({}, "stop", **_extras(done))
        except Exception as exc:  # the 200 is sent: say what went wrong in the stream itself
            yield chunk({}, "error", **error_body(exc))
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)
