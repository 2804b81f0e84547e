"""Documents: upload (multipart), list (paged), read (metadata and text), delete."""

from __future__ import annotations

import dataclasses
import tempfile
import unicodedata
from pathlib import Path, PurePosixPath
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.types import Message
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.attachments import MARK
from index.collections import check_name, key_for
from index.errors import NotFoundError
from index.ingest import SyncReport
from index.loaders import load_document
from index.disk_space import storage_full
from index.store import DocumentRecord
from index.types import Document
from rag.factory import Pipeline
from rag.settings import ServerSettings
from rag.input_checks import text_problem
from service.audit import note
from service.deps import PipelineDep, SettingsDep
from service.errors import ApiError
from service.originals import UPLOAD_PREFIX, keep_upload
from service.schemas import (
    ERRORS,
    WRITE_ERRORS,
    DocumentOut,
    DocumentPage,
    DocumentText,
    FileOutcome,
    UploadResult,
    release_links,
    with_links,
)
from service.routes.releases import publishes_at_once, settle_release
from service.scoping import can_see, collection_of_key, no_such_collection
from service.security import AdminAccess, Principal, ReadAccess

router = APIRouter(prefix="/v1/documents", tags=["documents"])

_UPLOAD_SCHEMA = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"], "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                  "description": "One or more files; each one's document id is its file name.",
                  "examples": [["# Parking rules\n\nStaff may park in lot C after 6 pm.\n"]]},
        "path": {"type": "string", "description": "The document id to use instead of the file "
                 "name (one file only). Uploading the same id again replaces the document.",
                 "examples": ["policies/parking.md"]},
        "collection": {"type": "string", "description": "The collection to put the files in "
                       "(default 'default'; it must exist: 'rag collections create NAME').",
                       "examples": ["hr"]},
    }}}}}}


def valid_doc_id(doc_id: str) -> str:
    """A document id as a relative POSIX path: no '..' or '.' or empty segment, no absolute
    path, no backslash or control character."""
    if (not doc_id or len(doc_id) > 512 or "\\" in doc_id or text_problem(doc_id)
            or any(part in ("", ".", "..") for part in doc_id.split("/"))):
        raise ApiError(422, "InvalidDocumentId", f"{doc_id!r} is not a valid document id: use a "
                       "relative path like 'policies/leave.md' (no '..' or '.' segments, no "
                       "leading, trailing or double '/')")
    return doc_id


async def _read_form(request: Request,
                     server: ServerSettings) -> tuple[list[UploadFile], str | None, str]:
    length = int(request.headers.get("content-length") or 0)
    ceiling = server.max_upload_bytes * server.max_upload_files + 1_000_000
    if length > ceiling:
        raise ApiError(413, "PayloadTooLarge", f"the upload is {length} bytes; at most "
                       f"{server.max_upload_files} files of {server.max_upload_bytes} bytes each "
                       "are accepted")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(415, "UnsupportedMediaType", "send the files as multipart/form-data in "
                       "the field 'files'")
    try:
        form = await _bounded(request, ceiling, server).form(max_files=server.max_upload_files,
                                                     max_fields=10)
    except StarletteHTTPException as exc:  # Starlette's parser refused the body
        if "Too many files" in str(exc.detail):
            raise ApiError(413, "PayloadTooLarge", f"more than {server.max_upload_files} files "
                           f"sent; the limit is {server.max_upload_files} per request") from None
        raise ApiError(422, "InvalidRequest", f"the multipart body could not be read "
                       f"({exc.detail}): send the files in the field 'files'") from None
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
    path = form.get("path")
    if not files:
        raise ApiError(422, "InvalidRequest", "no files: send one or more in the field 'files'")
    for f in files:
        if (f.size or 0) > server.max_upload_bytes:
            raise ApiError(413, "PayloadTooLarge", f"{f.filename} is {f.size} bytes; the limit "
                           f"is {server.max_upload_bytes}")
    if path is not None and not isinstance(path, str):
        raise ApiError(422, "InvalidRequest", "'path' must be a text field")
    if path and len(files) > 1:
        raise ApiError(422, "InvalidRequest", "'path' names one document: send one file with it")
    collection = form.get("collection") or "default"
    if not isinstance(collection, str):
        raise ApiError(422, "InvalidRequest", "'collection' must be a text field")
    return files, path or None, collection


def _bounded(request: Request, ceiling: int, server: ServerSettings) -> Request:
    """The request with its body counted as it arrives: past ``ceiling`` bytes it is refused
    (413) at once, so a body sent without a Content-Length (chunked) is never read to its end."""
    received = 0

    async def receive() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > ceiling:
                raise ApiError(413, "PayloadTooLarge", f"the upload is over {ceiling} bytes; at "
                               f"most {server.max_upload_files} files of "
                               f"{server.max_upload_bytes} bytes each are accepted")
        return message

    return Request(request.scope, receive)


def _temp_name(filename: str) -> str:
    """A file name to load the upload under: its own name when the file system takes it (the
    suffix helps recognise the format, the stem may become the title), else shortened."""
    name = PurePosixPath(filename).name or "upload"
    suffix = PurePosixPath(name).suffix
    suffix = suffix if len(suffix) <= 16 else ""
    stem = name[: len(name) - len(suffix)]
    while len((stem + suffix).encode("utf-8", "replace")) > 200:
        stem = stem[:-1]
    return (stem or "upload") + suffix


def _ingest(pipeline: Pipeline, uploads: list[tuple[str, str, bytes]], publish: bool,
            collection: str = "default", data_dir: Path | None = None) -> SyncReport:
    """Load each upload with the CLI's loaders from a temp file, keep the bytes of each one
    read (service/originals.py: GET /v1/files serves them), then index them together."""
    docs: list[Document] = []
    failed: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="rag-upload-") as tmp:
        for i, (doc_id, filename, data) in enumerate(uploads):
            folder = Path(tmp) / str(i)
            folder.mkdir()
            path = folder / _temp_name(filename)
            try:
                path.write_bytes(data)
                doc = load_document(path, folder)
            except (ValueError, OSError) as exc:
                failed[doc_id] = str(exc)
                continue
            if data_dir is not None:
                keep_upload(data_dir, data)
            docs.append(dataclasses.replace(doc, doc_id=doc_id,
                                            source_path=f"{UPLOAD_PREFIX}{doc_id}"))
    report = pipeline.ingest.add_documents(docs, publish=publish, collection=collection)
    report.failed.update({key_for(collection, d): reason for d, reason in failed.items()})
    return report


@router.post("", response_model=UploadResult,
             responses=with_links(with_links({**WRITE_ERRORS, 207: {"model": UploadResult}},
                                             207, release_links()), 200, release_links()),
             openapi_extra=_UPLOAD_SCHEMA,
             summary="Upload and index files (re-uploading an id replaces the document)")
async def upload(request: Request, pipeline: PipelineDep, settings: SettingsDep,
                 who: AdminAccess) -> Any:
    """200 when every file was indexed, 207 when some failed (each file says why), and 415 or
    422 when none could be indexed."""
    files, path, collection = await _read_form(request, settings.server)
    check_name(collection)
    if not (can_see(who, collection)
            and await run_in_threadpool(pipeline.store.collections.exists, collection)):
        raise no_such_collection(collection)
    uploads = []
    for f in files:
        filename = f.filename or "upload"
        # One id per name however it is typed: "café" composed (Linux, Windows) or decomposed
        # (macOS) names the same document, so a re-upload replaces it instead of adding a twin.
        doc_id = valid_doc_id(unicodedata.normalize("NFC", path or filename))
        if any(doc_id == seen for seen, _, _ in uploads):
            raise ApiError(422, "InvalidRequest", f"{doc_id!r} is sent twice: each document "
                           "id may appear once per upload")
        uploads.append((doc_id, filename, await f.read()))
    try:
        report = await run_in_threadpool(_ingest, pipeline, uploads, publishes_at_once(settings),
                                         collection, settings.data_dir)
    except Exception as exc:
        full = storage_full(exc, settings.data_dir)  # 507, saying the disk is full
        if full is None:
            raise
        raise full from exc
    outcome = await run_in_threadpool(settle_release, request.app, pipeline, report)
    outcomes = [_outcome(key_for(collection, doc_id), filename, report)
                for doc_id, filename, _ in uploads]
    result = UploadResult(added=len(report.added), updated=len(report.updated),
                          unchanged=len(report.unchanged), failed=len(report.failed),
                          chunks_written=report.chunks_written, files=outcomes,
                          release=report.release, release_outcome=outcome)
    await run_in_threadpool(
        note, request, who, "document.upload", ", ".join(key_for(collection, d) for d, _, _ in uploads),
        collection, release=report.release, added=len(report.added),
        updated=len(report.updated), failed=len(report.failed))
    if all(o.status == "failed" for o in outcomes):
        reasons = "; ".join(f"{o.filename}: {o.reason}" for o in outcomes)
        unsupported = all("unsupported" in (o.reason or "") for o in outcomes)
        raise ApiError(415 if unsupported else 422,
                       "UnsupportedFileType" if unsupported else "UnreadableFile",
                       f"nothing was indexed: {reasons}")
    return JSONResponse(result.model_dump(), status_code=207 if report.failed else 200)


def _outcome(doc_id: str, filename: str, report: SyncReport,
             attachments: bool = True) -> FileOutcome:
    """What became of one uploaded file, and of each attachment when it is a mail
    (index/attachments.py: their ids are the mail's, MARK and their names)."""
    kids = []
    if attachments:
        prefix = doc_id + MARK
        ids = {d for bucket in (report.added, report.updated, report.unchanged, report.failed)
               for d in bucket if d.startswith(prefix)}
        kids = [_outcome(d, d[len(prefix):], report, attachments=False) for d in sorted(ids)]
    if doc_id in report.failed:
        return FileOutcome(doc_id=doc_id, filename=filename, status="failed",
                           reason=report.failed[doc_id], attachments=kids)
    status = ("added" if doc_id in report.added else "updated" if doc_id in report.updated
              else "unchanged")
    return FileOutcome(doc_id=doc_id, filename=filename, status=status, attachments=kids)


def _public(record: DocumentRecord) -> dict[str, Any]:
    return {k: getattr(record, k) for k in DocumentOut.model_fields}


def visible_record(pipeline: Pipeline, who: Principal, doc_id: str,
                   release: str | None = None) -> DocumentRecord:
    """The record of ``doc_id``, or the very 404 a missing document gets when it is in a
    collection the key cannot see (the message does not repeat the id either way)."""
    missing = NotFoundError("no document with that id in the index (GET /v1/documents lists "
                            "the documents your key can see)")
    try:
        record = pipeline.store.document(doc_id, release)
    except NotFoundError:
        raise missing from None
    if not can_see(who, record.collection):
        raise missing
    return record


@router.get("", response_model=DocumentPage, responses=ERRORS,
            summary="List the documents of the collections the key can see, paged")
def list_documents(pipeline: PipelineDep, who: ReadAccess,
                   offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=500),
                   collection: str | None = Query(None, description="Only this collection.")
                   ) -> DocumentPage:
    if collection is not None:
        check_name(collection)
        if not (can_see(who, collection) and pipeline.store.collections.exists(collection)):
            raise no_such_collection(collection)
    records = sorted((r for r in pipeline.store.documents().values()
                      if can_see(who, r.collection)
                      and (collection is None or r.collection == collection)),
                     key=lambda r: r.doc_id)
    page = [DocumentOut(**_public(r)) for r in records[offset : offset + limit]]
    return DocumentPage(total=len(records), offset=offset, limit=limit, documents=page)


@router.get("/{doc_id:path}", response_model=DocumentText, responses=ERRORS,
            summary="A document's metadata and text (citation offsets index into the text)")
def get_document(doc_id: str, pipeline: PipelineDep, who: ReadAccess) -> DocumentText:
    release = pipeline.store.release_id()  # record and text of one release
    record = visible_record(pipeline, who, doc_id, release)
    return DocumentText(**_public(record), text=pipeline.store.document_text(doc_id, release))


@router.delete("/{doc_id:path}", responses=with_links(WRITE_ERRORS, 200, release_links()),
               summary="Remove a document from the index")
def delete_document(doc_id: str, request: Request, pipeline: PipelineDep,
                    settings: SettingsDep, who: AdminAccess) -> dict[str, object]:
    if who.collections is not None:
        visible_record(pipeline, who, doc_id)
    # Through IngestService: takes the write lock, stages a release without the document and
    # refreshes the keyword index, like `rag documents delete`; then the release policy.
    report = pipeline.ingest.delete_ids([doc_id], publish=publishes_at_once(settings))
    outcome = settle_release(request.app, pipeline, report)
    note(request, who, "document.delete", doc_id, collection_of_key(doc_id),
         release=report.release)
    return {"doc_id": doc_id, "deleted": True, "release": report.release,
            "release_outcome": outcome}
