"""GET /v1/collections: the collections the caller's key can see, with their document counts."""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import PipelineDep
from service.schemas import ERRORS, CollectionList, CollectionOut
from service.scoping import can_see
from service.security import ReadAccess

router = APIRouter(prefix="/v1", tags=["collections"])


@router.get("/collections", response_model=CollectionList, responses=ERRORS,
            summary="The collections the key can see and how many documents each holds")
def list_collections(pipeline: PipelineDep, who: ReadAccess) -> CollectionList:
    counts = pipeline.store.collection_counts()
    return CollectionList(collections=[CollectionOut(name=n, documents=c)
                                       for n, c in sorted(counts.items()) if can_see(who, n)])
