"""GET /v1/overview: what the caller's key can ask about, for the chat page's greeting."""

from __future__ import annotations

import time

from fastapi import APIRouter

from service.deps import FeedbackDep, PipelineDep
from service.schemas import ERRORS, CollectionSummary, Overview
from service.scoping import can_see
from service.security import ReadAccess

router = APIRouter(prefix="/v1", tags=["overview"])
EXAMPLES = 4


def _iso(ts: float | None) -> str | None:
    return None if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


@router.get("/overview", response_model=Overview, responses=ERRORS,
            summary="The collections the key can see, their size and last update, and example "
            "questions (recent well-rated ones)")
def overview(pipeline: PipelineDep, feedback: FeedbackDep, who: ReadAccess) -> Overview:
    store = pipeline.store
    records = [r for r in store.documents().values() if can_see(who, r.collection)]
    names = [n for n in store.collections.names() if can_see(who, n)]
    collections = []
    for name in names:
        mine = [r.indexed_at for r in records if r.collection == name]
        collections.append(CollectionSummary(name=name, documents=len(mine),
                                             updated=_iso(max(mine, default=None))))
    updated = _iso(max((r.indexed_at for r in records), default=None))
    return Overview(collections=collections, documents=len(records), updated=updated,
                    examples=feedback.liked_questions(EXAMPLES, who.collections))
