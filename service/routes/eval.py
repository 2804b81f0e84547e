"""GET /v1/eval/latest: the report of the last `rag eval` (or `rag ingest --eval`) run."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from index.errors import NotFoundError
from service.schemas import ErrorResponse

router = APIRouter(prefix="/v1/eval", tags=["eval"])


def _latest(request: Request, suffix: str) -> Path:
    path: Path = request.app.state.settings.latest_eval_report.with_suffix(suffix)
    if not path.is_file():
        raise NotFoundError("no eval report yet: run `rag eval` or `rag ingest --eval` with "
                            "this data_dir")
    return path


@router.get("/latest", response_class=JSONResponse, responses={404: {"model": ErrorResponse}},
            summary="The latest eval report (JSON: metrics, run information, per question)")
def latest(request: Request) -> JSONResponse:
    # A plain def: the file is read in the thread pool. It is replaced atomically by the writer.
    return JSONResponse(json.loads(_latest(request, ".json").read_text(encoding="utf-8")))


@router.get("/latest.html", response_class=HTMLResponse,
            responses={404: {"model": ErrorResponse}}, summary="The latest eval report as HTML")
def latest_html(request: Request) -> HTMLResponse:
    return HTMLResponse(_latest(request, ".html").read_text(encoding="utf-8"))
