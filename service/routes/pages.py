"""The full-page chat at /, the embeddable widget script at /widget.js, the admin page at
/admin."""

from __future__ import annotations

import atexit
from contextlib import ExitStack
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

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


@router.get("/")
def chat_page() -> FileResponse:
    return FileResponse(static_file("index.html"), media_type="text/html")


@router.get("/admin")
def admin_page() -> FileResponse:
    return FileResponse(static_file("admin.html"), media_type="text/html")


@router.get("/admin.js")
def admin_script() -> FileResponse:
    return FileResponse(static_file("admin.js"), media_type="text/javascript")


@router.get("/widget.js")
def widget_script() -> FileResponse:
    return FileResponse(static_file("widget.js"), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=300"})
