"""GET /v1/eval/latest: the report of the last `rag eval` (or `rag ingest --eval`) run."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse

from index.errors import NotFoundError
from rag.settings import Settings
from service.deps import SettingsDep
from service.schemas import ErrorResponse, json_errors
from service.security import Principal, ReadAccess

router = APIRouter(prefix="/v1/eval", tags=["eval"])
_ERRORS = {401: {"model": ErrorResponse}, 403: {"model": ErrorResponse},
           404: {"model": ErrorResponse}}


def _latest(settings: Settings, suffix: str) -> Path:
    path = settings.latest_eval_report.with_suffix(suffix)
    if not path.is_file():
        raise NotFoundError("no eval report yet: run `rag eval` or `rag ingest --eval` with "
                            "this data_dir")
    return path


def _unscoped(who: Principal) -> None:
    """The eval report covers the gold set of every collection: a key limited to some
    collections gets the 404 of a data_dir without a report."""
    if who.collections is not None:
        raise NotFoundError("no eval report yet: run `rag eval` or `rag ingest --eval` with "
                            "this data_dir")


# Plain defs: FastAPI reads the files in the thread pool. Writers replace them atomically.
@router.get("/latest", response_class=JSONResponse, responses=_ERRORS,
            summary="The latest eval report (JSON: metrics, run information, per question)")
def latest(settings: SettingsDep, who: ReadAccess) -> JSONResponse:
    _unscoped(who)
    return JSONResponse(json.loads(_latest(settings, ".json").read_text(encoding="utf-8")))


@router.get("/latest.html", response_class=HTMLResponse, responses=json_errors(401, 403, 404),
            summary="The latest eval report as a page")
def latest_html(settings: SettingsDep, who: ReadAccess) -> HTMLResponse:
    _unscoped(who)
    return HTMLResponse(_latest(settings, ".html").read_text(encoding="utf-8"))
