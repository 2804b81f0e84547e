"""Administration over HTTP, for the admin page (/admin): named keys, collections, feedback.

Managing keys and collections needs an admin key that opens every collection (a bootstrap
admin key, or a named admin key made with ``--all``): a key scoped to some collections must not
mint keys for others. Feedback is listed for the collections the admin key sees.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from index.collections import COLLECTION_NAME_PATTERN, check_name
from index.errors import InputError
from service.audit import note
from service.deps import FeedbackDep, PipelineDep
from service.keys import KEY_NAME_PATTERN, KeyStore, parse_collections
from service.schemas import ERRORS, LIST_DOCUMENTS, WRITE_ERRORS, with_links
from service.scoping import require_every_collection
from service.security import AdminAccess, Principal

router = APIRouter(prefix="/v1", tags=["admin"])


def _everything(who: Principal) -> None:
    require_every_collection(who, "managing keys and collections")


def _keys(request: Request) -> KeyStore:
    return request.app.state.keys


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


# Documented in the schema, checked by check_name (whose message says what is allowed).
CollectionName = Annotated[str, Field(json_schema_extra={"pattern": COLLECTION_NAME_PATTERN})]


class KeyCreate(BaseModel):
    # The patterns are documented here and checked by the key store, whose messages say what
    # is allowed.
    name: str = Field(..., max_length=64, description="Who or what the key is for (unique).",
                      json_schema_extra={"pattern": KEY_NAME_PATTERN})
    role: str = Field(..., description="'read' or 'admin'.",
                      json_schema_extra={"enum": ["read", "admin"]})
    collections: list[CollectionName] | None = Field(
        None, min_length=1, description="The collections it opens; null for every collection.")


class CollectionCreate(BaseModel):
    # The pattern is documented, and checked by check_name (whose message says what is allowed).
    name: str = Field(..., max_length=64, description="1-63 lower-case letters, digits, '-' "
                      "and '_', starting with a letter or digit.",
                      json_schema_extra={"pattern": COLLECTION_NAME_PATTERN})


@router.get("/keys", responses=ERRORS, summary="The named keys (never a secret)")
def list_keys(request: Request, who: AdminAccess) -> dict[str, object]:
    _everything(who)
    return {"keys": [r.to_public() for r in _keys(request).list()]}


@router.post("/keys", status_code=201, responses=ERRORS,
             summary="Make a named key; the response holds the key, shown this once")
def create_key(body: KeyCreate, request: Request, who: AdminAccess) -> dict[str, object]:
    _everything(who)
    collections = (None if body.collections is None
                   else parse_collections(",".join(body.collections)))
    key = _keys(request).create(body.name, body.role, collections)
    note(request, who, "key.create", body.name, role=body.role,
         collections="all" if collections is None else list(collections))
    record = next(r for r in _keys(request).list() if r.name == body.name)
    return {"key": key, **record.to_public()}


@router.post("/keys/{name}/revoke", responses=ERRORS,
             summary="Refuse a key from the next request on, in every worker")
def revoke_key(name: str, request: Request, who: AdminAccess) -> dict[str, object]:
    _everything(who)
    record = _keys(request).revoke(name).to_public()
    note(request, who, "key.revoke", name)
    return record


@router.post("/collections", status_code=201, responses=with_links(WRITE_ERRORS, 201, {
    "ListDocuments": {"operationId": LIST_DOCUMENTS,
                      "parameters": {"collection": "$response.body#/name"},
                      "description": "The documents of the new collection."}}),
             summary="Create an empty collection")
def create_collection(body: CollectionCreate, pipeline: PipelineDep, request: Request,
                      who: AdminAccess) -> dict[str, object]:
    _everything(who)
    name = check_name(body.name)
    if not pipeline.store.collections.create(name):
        raise InputError(f"the collection {name!r} already exists")
    note(request, who, "collection.create", name, name)
    return {"name": name, "documents": 0}


@router.get("/feedback", responses=ERRORS,
            summary="The latest ratings with the answers they rate (the key's collections)")
def list_feedback(store: FeedbackDep, who: AdminAccess,
                  limit: int = Query(50, ge=1, le=500)) -> dict[str, object]:
    rated = store.recent(limit, who.collections)
    return {"feedback": [{"feedback_id": r.feedback_id, "date": _iso(r.created_at),
                          "rating": r.rating, "comment": r.comment, "answer_id": r.answer_id,
                          "question": r.question, "answer": r.answer, "refused": r.refused,
                          "doc_ids": list(r.doc_ids), "release": r.release,
                          "given_by": r.given_by, "asked_by": r.asked_by} for r in rated]}
