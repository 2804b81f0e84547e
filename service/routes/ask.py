"""POST /v1/ask."""

from __future__ import annotations

from fastapi import APIRouter

from rag.types import AskOptions
from service.deps import PipelineDep
from service.schemas import AskRequest, AskResponse, ErrorResponse

router = APIRouter(prefix="/v1", tags=["ask"])


@router.post(
    "/ask",
    response_model=AskResponse,
    responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    summary="Answer a question with citations, or refuse",
)
def ask(body: AskRequest, pipeline: PipelineDep) -> AskResponse:
    # A plain def: FastAPI runs it in the thread pool, so encoding never blocks the event loop.
    answer = pipeline.answers.answer(body.question, options=AskOptions(top_k=body.top_k))
    return AskResponse.model_validate(answer.to_public())
