"""``GET /v1/files/{doc_id}``: the original file of a document of the published release, as
the PDF viewer (/viewer) and any client opens it (service/originals.py says where it is kept).

The route is ``/v1/files/ID`` rather than ``/v1/documents/ID/file``: document ids may contain
``/``, so a suffix would collide with a document whose id ends in ``/file``; a prefix cannot.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from service.deps import PipelineDep, SettingsDep
from service.originals import MEDIA_TYPES, OCTET_STREAM, download_name, media_type, original_bytes
from service.routes.documents import visible_record
from service.schemas import ERRORS
from service.security import ReadAccess

router = APIRouter(prefix="/v1/files", tags=["documents"])

_BINARY = {"schema": {"type": "string", "format": "binary"}}
_FILE_RESPONSES = {
    **ERRORS,
    200: {"description": "The original bytes of the indexed version, shown inline.",
          "content": {kind.split(";")[0]: _BINARY
                      for kind in {*MEDIA_TYPES.values(), OCTET_STREAM}}},
}
# Served on the service's own origin: a document's active content (an HTML file's scripts) must
# not run there, so every type but PDF is sandboxed (a PDF is shown by the browser's viewer, or
# drawn by pdf.js in /viewer, which runs none of its scripts).
_SANDBOX = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"


@router.get("/{doc_id:path}", response_class=Response, responses=_FILE_RESPONSES,
            summary="The original file of a document (the indexed version), inline")
def get_file(doc_id: str, pipeline: PipelineDep, settings: SettingsDep,
             who: ReadAccess) -> Response:
    """Only for a key that can see the document's collection; a document it cannot see, or one
    that does not exist, is the same 404. A file gone from disk or changed since indexing is a
    404 saying so: bytes that are not the indexed version are never served."""
    record = visible_record(pipeline, who, doc_id, pipeline.store.release_id())
    limit = int(settings.ingest.max_file_mb * 1_000_000)
    data = original_bytes(record, settings.data_dir, limit)
    kind = media_type(record)
    name = download_name(record)
    fallback = name.encode("ascii", "replace").decode().replace('"', "_").replace("\\", "_")
    headers = {
        "Content-Disposition": f"inline; filename=\"{fallback}\"; "
                               f"filename*=UTF-8''{quote(name, safe='')}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-cache",
        "ETag": f'"{record.file_hash}"',
    }
    if record.format != "pdf":
        headers["Content-Security-Policy"] = _SANDBOX
    return Response(content=data, media_type=kind, headers=headers)
