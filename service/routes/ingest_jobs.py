"""GET /v1/ingest/jobs/{sync_id}: the progress of a queued sync (``rag ingest --queue``,
index/queue.py), read from the job queue's Redis; admin only, like every ingest, with a key for every
collection."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from index.queue import tracker_status
from service.deps import SettingsDep
from service.schemas import json_errors
from service.scoping import require_every_collection
from service.security import AdminAccess

router = APIRouter(prefix="/v1/ingest", tags=["ingest"])
SyncId = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$", description="the sync's id, as "
                             "'rag ingest --queue' prints it")]


# A plain def: the Redis read runs in FastAPI's thread pool.
@router.get("/jobs/{sync_id}", response_class=JSONResponse,
            responses=json_errors(401, 403, 404, 422, 503),
            summary="A queued sync's jobs: how many, done, failed, running, redelivered, and "
            "its release")
def sync_jobs(sync_id: SyncId, settings: SettingsDep, who: AdminAccess) -> JSONResponse:
    # A queued sync may write any collection: only a key for all of them sees its progress.
    require_every_collection(who, "a queued sync's progress")
    return JSONResponse(tracker_status(settings.queue.broker_url, sync_id))
