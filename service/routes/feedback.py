"""POST /v1/feedback: thumbs up or down on an answer, with an optional comment."""

from __future__ import annotations

from fastapi import APIRouter

from index.errors import InputError
from service.answering import actor
from service.deps import FeedbackDep, MetricsDep, SettingsDep
from service.schemas import ERRORS, FeedbackCreated, FeedbackRequest
from service.security import ReadAccess

router = APIRouter(prefix="/v1", tags=["feedback"])


@router.post("/feedback", status_code=201, response_model=FeedbackCreated, responses=ERRORS,
             summary="Rate an answer (export the ratings with 'rag feedback export')")
def post_feedback(body: FeedbackRequest, store: FeedbackDep, metrics: MetricsDep,
                  settings: SettingsDep, who: ReadAccess) -> FeedbackCreated:
    limit = settings.server.max_feedback_chars
    if len(body.comment) > limit:
        raise InputError(f"the comment is {len(body.comment)} characters long; the limit is {limit}")
    feedback_id = store.add_feedback(body.answer_id, body.rating, body.comment,
                                     who.collections, actor(who))
    metrics.feedback.labels(rating=body.rating).inc()
    return FeedbackCreated(feedback_id=feedback_id)
