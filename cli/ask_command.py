"""``rag ask QUESTION``: one answer from the index, with its citations (or the same JSON as
``POST /v1/ask``)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from index.errors import NotFoundError
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.types import Citation


def add_ask_command(sub: Any) -> None:
    p = sub.add_parser("ask", help="answer a question from the index")
    p.add_argument("question")
    p.add_argument("--top-k", type=int, help="passages to consider")
    p.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                   help="answer only from matching documents (repeatable; all must hold): "
                   "doc_id=ID (repeat for several), path=PREFIX, title=TEXT, "
                   "modified_after/modified_before/indexed_after/indexed_before/dated_after/"
                   "dated_before=YYYY-MM-DD (dated: the document's own date)")
    p.add_argument("--collection", action="append", default=[], metavar="NAME",
                   help="answer only from this collection (repeatable; default: every one)")
    p.add_argument("--json", action="store_true", help="print the same JSON as POST /v1/ask")


def run_ask(args: argparse.Namespace, settings: Settings) -> int:
    import dataclasses

    from index.collections import check_name
    from rag.factory import build_pipeline
    from rag.filters import parse_cli_filters
    from rag.types import AskOptions, RetrievalFilters

    # Checked before the model loads, so a mistyped filter fails at once.
    filters = parse_cli_filters(args.filter)
    if args.collection:
        names = tuple(dict.fromkeys(check_name(n) for n in args.collection))
        filters = dataclasses.replace(filters or RetrievalFilters(), collections=names)
    pipeline = build_pipeline(settings)
    if filters is not None and filters.collections:
        unknown = [n for n in filters.collections if not pipeline.store.collections.exists(n)]
        if unknown:
            raise NotFoundError(f"no such collection: {unknown[0]!r} (see 'rag collections "
                                "list')")

    options = AskOptions(top_k=args.top_k, filters=filters)
    answer = pipeline.answers.answer(args.question, options=options)
    if args.json:
        print(json.dumps(answer.to_public(), indent=2, ensure_ascii=False))
    else:
        print(answer.answer)
        for c in answer.citations:
            print(f"  [{c.n}] {c.doc_id} ({c.start}-{c.end}) {c.title}{pages_label(c)}")
    return 0


def pages_label(c: Citation) -> str:
    """ " p. 12" or " pp. 12-13" for a passage of a PDF, else nothing."""
    if c.page_start <= 0:
        return ""
    if c.page_end > c.page_start:
        return f" pp. {c.page_start}-{c.page_end}"
    return f" p. {c.page_start}"
