"""Releases over HTTP (admin key): list, show (JSON and the gate report's page), publish,
roll back; and the release policy of uploads and deletes.

Uploads and deletes stage a release. Under ``releases.policy = "always"`` (or with
``releases.upload_publish``, an interactive upload) it is published at once; under ``manual`` it
stays staged; under ``gate`` the release gate (releases/policy.py) runs the gold questions and
publishes or holds it, in the app of ``rag serve`` (``create_app(..., settle_uploads=True)``).
An app without it (``uvicorn --factory service.app:app_from_environment``, the workers of
``rag serve --workers N``) leaves it staged.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import HTMLResponse
from starlette.convertors import Convertor, register_url_convertor
from pydantic import BaseModel, ConfigDict, Field

from index.errors import NotFoundError
from index.ingest import SyncReport
from rag.factory import Pipeline
from releases.policy import publishes_at_once, settle  # noqa: F401 (publishes_at_once: uploads)
from releases.publishing import publish_release, rollback
from service.audit import note
from service.deps import PipelineDep, SettingsDep
from service.schemas import (ERRORS, PUBLISH_RELEASE, ROLLBACK, SHOW_RELEASE, WRITE_ERRORS,
                             json_errors, release_links, with_links)
from service.scoping import can_see, collection_of_key, require_every_collection
from service.security import AdminAccess, Principal



class ReleaseIdConvertor(Convertor[str]):
    """Release ids are ``r<N>``: so ``/v1/releases/rollback`` is never read as an id."""

    regex = "r[0-9]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


ReleaseId = Annotated[str, Path(pattern="^r[0-9]+$", description="A release id, e.g. r12.")]


class RollbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    release: str | None = Field(None, description="The release to go back to (default: the "
                                "newest older release that was published).")


def settle_release(app: FastAPI, pipeline: Pipeline, report: SyncReport) -> str:
    """What becomes of the release an upload or delete staged (module docstring)."""
    outcome = (settle(app.state.settings, pipeline, report, out=sys.stderr)
               if app.state.settle_uploads else report.outcome)
    if report.outcome == "staged" or outcome == "published":
        app.state.metrics.observe_release(outcome)
    return outcome


def list_releases(pipeline: PipelineDep, who: AdminAccess) -> dict[str, Any]:
    store = pipeline.store
    return {"published": store.releases.pointer(),
            "releases": [scoped_release(r.to_public(), who) for r in store.releases.list()]}


def scoped_release(data: dict[str, Any], who: Principal) -> dict[str, Any]:
    """A release as a key limited to some collections may see it: only the changed documents
    of its collections; no totals, note, summary or gate report (they cover every
    collection)."""
    if who.collections is None:
        return data
    changes = data.get("changes") or {}
    data["changes"] = {kind: [d for d in ids if can_see(who, collection_of_key(d))]
                       for kind, ids in changes.items()} if isinstance(changes, dict) else {}
    for key in ("documents", "chunks", "note", "summary", "scope", "gate"):
        if key in data:
            data[key] = None
    return data


def release_page(release_id: ReleaseId, pipeline: PipelineDep, who: AdminAccess) -> HTMLResponse:
    pipeline.store.releases.get(release_id)
    stored = pipeline.store.releases.report(release_id)
    if stored is None or not stored[1] or who.collections is not None:
        raise NotFoundError(f"release {release_id!r} has no gate report (it was published "
                            "without the gate)")
    return HTMLResponse(stored[1])


def show_release(release_id: ReleaseId, pipeline: PipelineDep, who: AdminAccess) -> dict[str, Any]:
    data = pipeline.store.releases.get(release_id).to_public()
    stored = pipeline.store.releases.report(release_id)
    data["report"] = ({k: v for k, v in stored[0].items() if k != "eval"}
                      if stored and stored[0].get("outcome") and who.collections is None
                      else None)
    return scoped_release(data, who)


def rollback_release(request: Request, pipeline: PipelineDep, settings: SettingsDep,
                     who: AdminAccess, body: RollbackRequest | None = None) -> dict[str, Any]:
    require_every_collection(who, "rolling back (the release covers every collection)")
    before = pipeline.store.releases.pointer()
    release = rollback(pipeline.store, pipeline.ingest.lock, body.release if body else None,
                       retain=settings.releases.retain, on_change=pipeline.ingest.on_change)
    note(request, who, "release.rollback", release.release_id, previous=before)
    return {"published": release.release_id, "previous": before}


def publish(release_id: ReleaseId, request: Request, pipeline: PipelineDep,
            settings: SettingsDep, who: AdminAccess,
            force: bool = Query(False, description="Publish a release the gate held.")
            ) -> dict[str, Any]:
    require_every_collection(who, "publishing a release (it covers every collection)")
    before = pipeline.store.releases.pointer()
    release = publish_release(pipeline.store, pipeline.ingest.lock, release_id, force=force,
                              retain=settings.releases.retain,
                              on_change=pipeline.ingest.on_change)
    note(request, who, "release.publish", release.release_id, previous=before, forced=force)
    return {"published": release.release_id, "previous": before}


# OpenAPI links (service/schemas.py): what follows from a publish and from a rollback.
_PREVIOUS, _PUBLISHED = "$response.body#/previous", "$response.body#/published"
_PUBLISH_LINKS = {
    "ShowPublished": {"operationId": SHOW_RELEASE, "parameters": {"release_id": _PUBLISHED},
                      "description": "The release just published."},
    "RollBack": {"operationId": ROLLBACK, "requestBody": {"release": _PREVIOUS},
                 "description": "Go back to the release published before."},
}
_ROLLBACK_LINKS = {
    **release_links("published"),
    "RollForward": {"operationId": PUBLISH_RELEASE, "parameters": {"release_id": _PREVIOUS},
                    "description": "Publish again the release published before the rollback."},
}


def build_router() -> APIRouter:
    """The routes (built by ``create_app``, after the ``release`` path convertor exists)."""
    register_url_convertor("release", ReleaseIdConvertor())
    router = APIRouter(prefix="/v1/releases", tags=["releases"])
    router.add_api_route("", list_releases, methods=["GET"], responses=ERRORS,
                         summary="Every retained release, oldest first")
    router.add_api_route("/rollback", rollback_release, methods=["POST"],
                         responses=with_links(WRITE_ERRORS, 200, _ROLLBACK_LINKS),
                         summary="Publish the previous (or the named) release again, instantly")
    router.add_api_route("/{release_id:release}.html", release_page, methods=["GET"],
                         response_class=HTMLResponse, responses=json_errors(401, 403, 404),
                         summary="A release's gate report, as a page")
    router.add_api_route("/{release_id:release}", show_release, methods=["GET"],
                         responses=ERRORS, summary="A release and its gate report")
    router.add_api_route("/{release_id:release}/publish", publish, methods=["POST"],
                         responses=with_links(WRITE_ERRORS, 200, _PUBLISH_LINKS),
                         summary="Publish a release")
    return router
