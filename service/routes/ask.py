"""POST /v1/ask and POST /v1/ask/stream (Server-Sent Events)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from rag.answer_service import StreamDelta, StreamDone
from service.answering import AnswerStream, actor, check_history, finish
from service.deps import FeedbackDep, MetricsDep, PipelineDep, SettingsDep
from service.errors import error_body
from service.schemas import ERRORS, AskRequest, AskResponse
from service.scoping import asked_over, scoped_options
from service.security import ReadAccess
from service.streaming import sse

router = APIRouter(prefix="/v1", tags=["ask"])

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.post("/ask", response_model=AskResponse, responses=ERRORS,
             summary="Answer a question with citations, or refuse")
def ask(body: AskRequest, pipeline: PipelineDep, feedback: FeedbackDep, metrics: MetricsDep,
        settings: SettingsDep, who: ReadAccess) -> Response:
    # A plain def: FastAPI runs it in the thread pool, so encoding never blocks the event loop.
    # The body is serialised here too, by the AskResponse model that was just built (the JSON
    # FastAPI would make from response_model, which still documents it): FastAPI would
    # validate the model again and serialise it on the event loop, which every request shares.
    history = check_history([t.to_turn() for t in body.history], settings.server)
    options = scoped_options(body.ask_options(), who, body.collections, pipeline.store)
    answer = pipeline.answers.answer(body.question, history, options)
    shaped = finish(answer, feedback, metrics, asked_over(options), actor(who))
    return Response(shaped.model_dump_json(), media_type="application/json")


@router.post(
    "/ask/stream", responses={**ERRORS, 200: {"content": {"text/event-stream": {}}}},
    summary="Answer as Server-Sent Events: 'delta' pieces, then 'citations', then 'done'",
    response_class=StreamingResponse,
)
async def ask_stream(body: AskRequest, request: Request, pipeline: PipelineDep,
                     feedback: FeedbackDep, metrics: MetricsDep, settings: SettingsDep,
                     who: ReadAccess) -> StreamingResponse:
    """Events: ``delta`` ``{"text"}`` as the answer grows; ``citations`` ``{"citations"}``;
    ``done`` with the whole ``/v1/ask`` response body (its ``short_answer`` and ``shape``
    included); or ``error`` ``{"error": {...}}``.
    A client that disconnects stops the work."""
    history = check_history([t.to_turn() for t in body.history], settings.server)
    options = await run_in_threadpool(scoped_options, body.ask_options(), who, body.collections,
                                      pipeline.store)
    stream = await AnswerStream(request, pipeline, body.question, history, options).start()

    async def events() -> AsyncIterator[str]:
        try:
            async for event in stream.off_loop.events():
                match event:
                    case StreamDelta(text=text):
                        yield sse("delta", {"text": text})
                    case StreamDone(answer=answer):
                        done = await run_in_threadpool(finish, answer, feedback, metrics,
                                                       asked_over(options), actor(who))
                        payload = done.model_dump()
                        yield sse("citations", {"citations": payload["citations"]})
                        yield sse("done", payload)
        except Exception as exc:  # the 200 is sent: say what went wrong in the stream itself
            yield sse("error", error_body(exc))

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)
