"""The full-page chat at /, the embeddable widget script at /widget.js, the admin page at
/admin, and the PDF viewer of citations at /viewer (with pdf.js at /pdfjs/, vendored in
service/static/pdfjs/: no CDN)."""

from __future__ import annotations

import atexit
import re
from contextlib import ExitStack
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from index.errors import NotFoundError

# The pages ship in the installed package (service/static/), read through importlib.resources.
STATIC: Traversable = resources.files("service") / "static"
_extracted = ExitStack()  # temporary copies when the package is not on disk (e.g. a zip)
atexit.register(_extracted.close)
router = APIRouter(include_in_schema=False)


@cache
def static_file(name: str) -> Path:
    """A real file holding ``STATIC/name``, as ``FileResponse`` needs one (the file itself when
    the package is on disk; else a copy kept for the life of the process)."""
    return _extracted.enter_context(resources.as_file(STATIC / name))


def _serve(path: str, name: str, media_type: str, headers: dict[str, str] | None = None) -> None:
    """GET ``path``: the static file ``name`` as ``media_type``."""
    def serve() -> FileResponse:
        return FileResponse(static_file(name), media_type=media_type, headers=headers)

    router.add_api_route(path, serve, methods=["GET"], name=name)


for _path, _name, _kind, _headers in (
    ("/", "index.html", "text/html", None),
    ("/admin", "admin.html", "text/html", None),
    ("/admin.js", "admin.js", "text/javascript", None),
    ("/widget.js", "widget.js", "text/javascript", {"Cache-Control": "public, max-age=300"}),
    ("/viewer.mjs", "viewer.mjs", "text/javascript", None),
    ("/viewer.css", "viewer.css", "text/css", None),
):
    _serve(_path, _name, _kind, _headers)


# The viewer's scripts, styles, worker and the PDF's bytes all come from this service; it may be
# framed by the service's own pages and by the pages allowed to embed the widget (CORS origins).
_VIEWER_POLICY = ("default-src 'none'; script-src 'self'; worker-src 'self'; connect-src 'self'; "
                  "style-src 'self'; img-src 'self' data: blob:; font-src 'self' data:; "
                  "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
PDFJS_FILES = ("pdf.min.mjs", "pdf.worker.min.mjs")


_ORIGIN = re.compile(r"\*|https?://[A-Za-z0-9.\-\[\]:*]+")


def viewer_policy(request: Request) -> str:
    """The viewer's Content-Security-Policy: frame-ancestors names the CORS origins (those that
    look like origins: nothing else can reach into the policy)."""
    origins = [o for o in request.app.state.settings.server.cors_origins if _ORIGIN.fullmatch(o)]
    return " ".join([_VIEWER_POLICY, *origins])


@router.get("/viewer")
def viewer_page(request: Request) -> FileResponse:
    return FileResponse(static_file("viewer.html"), media_type="text/html", headers={
        "Content-Security-Policy": viewer_policy(request), "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer"})


@router.get("/pdfjs/{name}")
def pdfjs_file(name: str) -> FileResponse:
    """pdf.js's two built files (module scripts), cached for a day: they change only with the
    pinned version (scripts/update-pdfjs.sh)."""
    if name not in PDFJS_FILES:
        raise NotFoundError(f"no such pdf.js file: {name!r}")
    return FileResponse(static_file(f"pdfjs/{name}"), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})
