"""GET /v1/gaps: the knowledge-gap report (rag.gaps); admin only, since it shows what staff
asked. A key scoped to collections sees only questions asked over those collections."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, PlainTextResponse

from rag.gaps import DEFAULT_MAX_DISTANCE, find_gaps, find_group, gold_candidates, iso
from rag.gaps import parse_since
from service.deps import FeedbackDep, PipelineDep
from service.schemas import json_errors
from service.security import AdminAccess

router = APIRouter(prefix="/v1/gaps", tags=["gaps"])
_SINCE = Query(None, description="only answers given from this date (YYYY-MM-DD or ISO "
               "date-time, UTC)")
_DISTANCE = Query(DEFAULT_MAX_DISTANCE, gt=0.0, lt=2.0, description="how far apart (cosine "
                  "distance) the questions of one group may be on average")


# Plain defs: the SQLite read and the encoder run in FastAPI's thread pool.
@router.get("", response_class=JSONResponse, responses=json_errors(401, 403, 422, 503),
            summary="Refused and rated-down questions, grouped by meaning")
def gaps(pipeline: PipelineDep, store: FeedbackDep, who: AdminAccess, since: str | None = _SINCE,
         max_distance: float = _DISTANCE) -> JSONResponse:
    after = parse_since(since)
    misses = store.misses(after, who.collections)
    groups = find_gaps(misses, pipeline.embedder.embed, max_distance)
    return JSONResponse({"since": None if after is None else iso(after), "misses": len(misses),
                         "groups": [g.to_dict() for g in groups]})


@router.get("/{group_id}/export", response_class=PlainTextResponse,
            responses=json_errors(401, 403, 404, 422, 503),
            summary="One group's questions as gold candidates (qa.jsonl lines)")
def export(group_id: str, pipeline: PipelineDep, store: FeedbackDep, who: AdminAccess,
           since: str | None = _SINCE, max_distance: float = _DISTANCE) -> PlainTextResponse:
    groups = find_gaps(store.misses(parse_since(since), who.collections), pipeline.embedder.embed, max_distance)
    return PlainTextResponse(gold_candidates(find_group(groups, group_id)),
                             media_type="application/x-ndjson",
                             headers={"Content-Disposition":
                                      f'attachment; filename="gap-{group_id}.jsonl"'})
