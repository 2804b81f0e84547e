"""``rag keys create|list|revoke``: named API keys (service.keys)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from index.errors import RagError


def add_key_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("keys", help="named API keys with a role and the collections they open")
    ksub = p.add_subparsers(dest="keys_command", required=True)
    c = ksub.add_parser("create", help="make a key and print it once")
    c.add_argument("--name", required=True, help="who or what the key is for (unique)")
    c.add_argument("--role", required=True, choices=["read", "admin"])
    scope = c.add_mutually_exclusive_group()
    scope.add_argument("--collections", metavar="A,B", help="the collections it opens")
    scope.add_argument("--all", action="store_true", help="every collection")
    ls = ksub.add_parser("list", help="the keys (never the secrets)")
    ls.add_argument("--json", action="store_true")
    r = ksub.add_parser("revoke", help="refuse a key from now on, in every worker")
    r.add_argument("name")


def _warn_missing(settings, collections) -> None:  # noqa: ANN001
    """A key may name a collection that does not exist yet (allowed: it opens it once made);
    say so, since it is often a typo."""
    if collections is None:
        return
    from cli.collection_commands import _registry

    known = set(_registry(settings).names())
    missing = [n for n in collections if n not in known]
    if missing:
        print(f"warning: no such collection yet: {', '.join(missing)} (the key will open it "
              "once it is created with 'rag collections create')", file=sys.stderr)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return "unknown"


def run_keys(args: argparse.Namespace, settings) -> int:  # noqa: ANN001
    from service.audit import AuditLog, audit_path
    from service.keys import KeyStore, keys_path, parse_collections

    store = KeyStore(keys_path(settings.data_dir))
    actor = f"cli:{_os_user()}"
    if args.keys_command == "create":
        if args.collections is None and not args.all:
            raise RagError("say which collections the key opens: --collections a,b or --all")
        collections = None if args.all else parse_collections(args.collections)
        key = store.create(args.name, args.role, collections)
        AuditLog(audit_path(settings.data_dir)).record(
            actor, "cli", "key.create", args.name, detail={
                "role": args.role, "collections": "all" if collections is None
                else list(collections)})
        print(key)
        _warn_missing(settings, collections)
        scope = "every collection" if collections is None else ", ".join(collections)
        print(f"created {args.role} key {args.name!r} for {scope}; it is shown only now",
              file=sys.stderr)
        return 0
    if args.keys_command == "list":
        records = [r.to_public() for r in store.list()]
        if args.json:
            print(json.dumps(records, indent=2))
        elif not records:
            print("no keys yet ('rag keys create')")
        for r in records if not args.json else []:
            scope = r["collections"] if r["collections"] == "all" else ",".join(r["collections"])
            state = f"revoked {r['revoked_at']}" if r["revoked_at"] else "active"
            print(f"{r['name']}\t{r['role']}\t{scope}\tcreated {r['created_at']}\t{state}")
        return 0
    record = store.revoke(args.name)
    AuditLog(audit_path(settings.data_dir)).record(actor, "cli", "key.revoke", args.name)
    print(f"revoked key {record.name!r}")
    return 0
