"""One JSON error shape, ``{"error": {"type", "message"}}``, and the status of each error."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from index.errors import (
    ConfigError,
    IndexBusyError,
    IndexMismatchError,
    InputError,
    NotFoundError,
    RagError,
    StorageFullError,
    StoreUnavailableError,
)
from service.logs import current_request_id

log = logging.getLogger("rag.answer_service")

STATUS: dict[type[RagError], int] = {
    InputError: 422,
    NotFoundError: 404,
    IndexMismatchError: 409,
    IndexBusyError: 409,
    StoreUnavailableError: 503,
    StorageFullError: 507,
    ConfigError: 500,
}


class ApiError(Exception):
    """An HTTP-level refusal (auth, limits, media type) with its status and error type."""

    def __init__(self, status: int, kind: str, message: str,
                 extra: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.extra = extra or {}  # more fields of the error object (e.g. a sign-in URL)


def error_response(status: int, kind: str, message: str,
                   headers: dict[str, str] | None = None,
                   extra: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status,
                        content={"error": {"type": kind, "message": message, **(extra or {})}},
                        headers=headers)


def _problem(err: dict) -> str:
    """One validation problem as 'where: what', e.g. 'history.0.role: Input should be ...'."""
    if err.get("type") == "json_invalid":
        return (f"the body is not valid JSON ({err.get('ctx', {}).get('error', 'decode error')} "
                f"at character {err.get('loc', ('body', 0))[-1]})")
    where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
    return f"{where}: {err.get('msg')}"


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path, for the Allow header of a 405 (Starlette's
    names only the first matching route's methods)."""
    routes = request.app.router.routes
    return [method for method in METHODS
            if any(route.matches({**request.scope, "method": method})[0] is Match.FULL
                   for route in routes)]


def store_unreachable(exc: BaseException) -> StoreUnavailableError | None:
    """The error to report when ``exc`` says the Chroma server cannot be reached (its HTTP
    client's connection errors surface as they are), else None. Reported as a 503 that says so;
    the client reconnects by itself, so once the server is back requests work again."""
    import httpx

    if not isinstance(exc, httpx.TransportError):
        return None
    return StoreUnavailableError(
        f"the vector store (Chroma server) cannot be reached ({type(exc).__name__}: "
        f"{' '.join(str(exc).split())[:200]}); retry when it is back, the service needs no "
        "restart")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RagError)
    async def _rag_error(_: Request, exc: RagError) -> JSONResponse:
        status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 500)
        return error_response(status, type(exc).__name__, str(exc))

    import httpx

    @app.exception_handler(httpx.TransportError)
    async def _store_unreachable(request: Request, exc: httpx.TransportError) -> JSONResponse:
        mapped = store_unreachable(exc)
        assert mapped is not None
        return await _rag_error(request, mapped)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        response = error_response(exc.status, exc.kind, str(exc), extra=exc.extra)
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "InvalidRequest", "; ".join(map(_problem, exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # the body could not be parsed: a bad request like any other
            return error_response(422, "InvalidRequest", f"the request body could not be read "
                                  f"({exc.detail}): send UTF-8 JSON with 'Content-Type: "
                                  "application/json', or multipart/form-data for uploads")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return error_response(exc.status_code, "HTTPError", str(exc.detail), headers or None)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return error_response(500, *unexpected(exc))


def error_body(exc: Exception) -> dict[str, dict[str, str]]:
    """The error shape of ``exc`` for a stream already under way (its status is sent): a
    RagError says what was wrong, anything else is logged and named by the request id."""
    exc = store_unreachable(exc) or exc
    kind, message = ((type(exc).__name__, str(exc)) if isinstance(exc, RagError)
                     else unexpected(exc))
    return {"error": {"type": kind, "message": message}}


def unexpected(exc: Exception) -> tuple[str, str]:
    """Log an unexpected error with its traceback; the error type and message to send."""
    log.error("unexpected error", exc_info=exc)
    return "InternalError", ("the service failed unexpectedly; the log has the details under "
                             f"request id {current_request_id()}")
