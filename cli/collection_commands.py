"""``rag collections list|create|delete`` (index/collections.py, docs/collections.md)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from index.errors import InputError, NotFoundError


def add_collection_commands(sub: Any) -> None:
    p = sub.add_parser("collections", help="the collections documents are kept in")
    csub = p.add_subparsers(dest="collections_command", required=True)
    ls = csub.add_parser("list", help="every collection and its document count")
    ls.add_argument("--json", action="store_true")
    c = csub.add_parser("create", help="make an empty collection")
    c.add_argument("name")
    d = csub.add_parser("delete", help="remove a collection (an empty one, unless --force)")
    d.add_argument("name")
    d.add_argument("--force", action="store_true", help="also delete its documents (as one "
                   "release)")


def _registry(settings: Any) -> Any:
    from index.collections import CollectionRegistry
    from index.store import make_client

    s = settings.store
    client = make_client(s.mode, settings.data_dir, s.host, s.port, s.ssl, s.headers,
                         s.timeout_seconds)
    return CollectionRegistry(client, f"{s.collection}__collections")


def run_collections(args: argparse.Namespace, settings: Any) -> int:
    from index.collections import check_name
    from rag.factory import open_existing_store

    store = open_existing_store(settings)
    registry = store.collections if store is not None else _registry(settings)
    if args.collections_command == "list":
        counts = (store.collection_counts() if store is not None
                  else {n: 0 for n in registry.names()})
        if args.json:
            print(json.dumps([{"name": n, "documents": c} for n, c in sorted(counts.items())],
                             indent=2))
        else:
            for name, count in sorted(counts.items()):
                print(f"{name}\t{count} documents")
        return 0
    name = check_name(args.name)
    if args.collections_command == "create":
        if not registry.create(name):
            raise InputError(f"the collection {name!r} already exists")
        print(f"created collection {name!r}; add documents with "
              f"'rag ingest PATH --collection {name}'")
        return 0
    if name == "default":
        raise InputError("the collection 'default' cannot be deleted (it may be empty)")
    if not registry.exists(name):
        raise NotFoundError(f"no such collection: {name!r} (see 'rag collections list')")
    docs = sorted(k for k, r in (store.documents() if store is not None else {}).items()
                  if r.collection == name)
    if docs and not args.force:
        raise InputError(f"the collection {name!r} holds {len(docs)} documents: delete them "
                         f"first, or run 'rag collections delete {name} --force' to delete them "
                         "with it (as one release)")
    if docs:
        from cli.releases_commands import describe_outcome, settle, stage_for_policy
        from rag.factory import build_pipeline

        pipeline = build_pipeline(settings)
        report = pipeline.ingest.delete_ids(docs, publish=stage_for_policy(settings))
        outcome = settle(settings, pipeline, report)
        print(f"deleted {len(report.deleted)} documents of {name!r}")
        print(describe_outcome(report.release, outcome))
        if outcome not in ("published", "unchanged"):
            print(f"the collection {name!r} is kept until that release is published")
            return 3 if outcome == "held" else 0
    registry.remove(name)
    print(f"deleted collection {name!r}")
    return 0
