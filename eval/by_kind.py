"""An eval report's figures by the gold set's question kinds and tags.

``python -m eval.by_kind REPORT.json --qa GOLD.jsonl`` reads a report of ``rag eval`` (every
question's outcome) and the gold file it ran (each question's ``kind`` and ``tags``), and prints,
for every kind and tag: questions, the right document first (hit@1) and in the top 5, the gold
answer in the answer, answerable questions refused; for table questions, the share whose answer
states the gold figure *and* cites a passage holding it (the row); and, over the whole set,
refusal recall and the false-refusal rate. Nothing is fitted: the figures are the report's.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from eval.dataset import load_qa
from eval.metrics import contains_all_gold, contains_gold, hit_at_k, normalize


def _rate(values: Iterable[float]) -> float | None:
    values = list(values)
    return round(sum(values) / len(values), 4) if values else None


def _cites_gold(outcome: dict[str, Any]) -> bool:
    """A cited passage holds a gold answer (the row, for a table question)."""
    golds = [normalize(g) for g in outcome["gold_answers"] if g.strip()]
    return any(g and g in normalize(c["text"]) for c in outcome["cited"] for g in golds)


def _items(outcome: dict[str, Any]) -> bool:
    """A list or trend question: its gold strings are items the answer must all hold."""
    return bool({"list", "trend"} & set(outcome.get("tags") or ())) and \
        len(outcome["gold_answers"]) > 1


def _steps(outcome: dict[str, Any]) -> list[str]:
    """A procedure question's gold steps (``evidence.steps`` of its gold line), [] if none."""
    evidence = outcome.get("evidence") or {}
    return [s for s in evidence.get("steps") or () if s.strip()] if isinstance(evidence, dict) \
        else []


def figures(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [o for o in outcomes if o["answerable"]]
    unanswerable = [o for o in outcomes if not o["answerable"]]
    answered = [o for o in answerable if not o["refused"]]
    return {
        "questions": len(outcomes),
        "hit_at_1": _rate(hit_at_k(o["retrieved_doc_ids"], o["gold_doc_ids"], 1)
                          for o in answerable if o["gold_doc_ids"]),
        "hit_at_5": _rate(hit_at_k(o["retrieved_doc_ids"], o["gold_doc_ids"], 5)
                          for o in answerable if o["gold_doc_ids"]),
        "contains_gold": _rate(float(not o["refused"] and contains_gold(o["answer"],
                                                                        o["gold_answers"]))
                               for o in answerable),
        "states_and_cites_gold": _rate(float(not o["refused"] and _cites_gold(o) and
                                             contains_gold(o["answer"], o["gold_answers"]))
                                       for o in answerable),
        "all_items": _rate(float(not o["refused"] and contains_all_gold(o["answer"],
                                                                        o["gold_answers"]))
                           for o in answerable if _items(o)),
        "steps_held": _rate(float(not o["refused"] and contains_all_gold(o["answer"],
                                                                         _steps(o)))
                            for o in answerable if _steps(o)),
        "answerable_refused": _rate(float(o["refused"]) for o in answerable),
        "refusal_recall": _rate(float(o["refused"]) for o in unanswerable),
        "answered": len(answered),
    }


def by_kind(report: dict[str, Any], gold: Path) -> dict[str, dict[str, Any]]:
    kinds = {item.id: item.extra for item in load_qa(gold)}
    groups: dict[str, list[dict[str, Any]]] = {"all": []}
    for outcome in report["per_question"]:
        extra = kinds.get(outcome["id"], {})
        outcome = {**outcome, "evidence": extra.get("evidence")}
        groups["all"].append(outcome)
        names = {f"kind:{extra.get('kind', '?')}"} | {f"tag:{t}" for t in extra.get("tags", [])}
        for name in names:
            groups.setdefault(name, []).append(outcome)
    return {name: figures(group) for name, group in sorted(groups.items())}


def _cell(value: Any) -> str:
    return "-" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.by_kind", description=__doc__.split("\n")[0])
    p.add_argument("report", type=Path)
    p.add_argument("--qa", type=Path, required=True)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = p.parse_args(argv)
    table = by_kind(json.loads(args.report.read_text()), args.qa)
    if args.json:
        print(json.dumps(table, indent=2))
        return 0
    columns = ["questions", "hit_at_1", "hit_at_5", "contains_gold", "states_and_cites_gold",
               "all_items", "steps_held", "answerable_refused", "refusal_recall"]
    print("| group | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, row in table.items():
        print(f"| {name} | " + " | ".join(_cell(row[c]) for c in columns) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
