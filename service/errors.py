"""One JSON error shape, ``{"error": {"type", "message"}}``, and the status of each error."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.errors import (
    ConfigError,
    IndexBusyError,
    IndexMismatchError,
    InputError,
    NotFoundError,
    RagError,
    StoreUnavailableError,
)
from service.logs import current_request_id

log = logging.getLogger("rag.service")

STATUS: dict[type[RagError], int] = {
    InputError: 422,
    NotFoundError: 404,
    IndexMismatchError: 409,
    IndexBusyError: 409,
    StoreUnavailableError: 503,
    ConfigError: 500,
}


class ApiError(Exception):
    """An HTTP-level refusal (auth, limits, media type) with its status and error type."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind


def error_response(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"type": kind, "message": message}})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RagError)
    async def _rag_error(_: Request, exc: RagError) -> JSONResponse:
        status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 500)
        return error_response(status, type(exc).__name__, str(exc))

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        response = error_response(exc.status, exc.kind, str(exc))
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
            problems.append(f"{where}: {err.get('msg')}")
        return error_response(422, "InvalidRequest", "; ".join(problems))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, "HTTPError", str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_response(500, "InternalError", "the service failed unexpectedly; the log "
                              f"has the details under request id {current_request_id()}")
