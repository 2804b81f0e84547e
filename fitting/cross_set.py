"""The refusal gate under domain shift: every set reported with weights fitted on the others.

``python -m fitting.cross_set --limit 150 --out out/cross_set.json --markdown out/cross_set.md``

For every set S among :data:`SETS`, the gate is fitted on the *other* sets, pooled so that no
set dominates (each set's answerable cases weigh as much in all as its unanswerable ones, and
every set as much as any other: :func:`set_weights`), its threshold chosen there (the highest
whose false-refusal rate, averaged over the fit sets, stays within ``--max-false-refusal``), and
the flags that refuse whatever the score (``hard``) chosen there too (a flag is hard when it
is set for at most ``--hard-bound`` of the fit sets' answerable cases, averaged over sets).
Nothing is fitted on S. S is then reported per kind of question (rag.shapes.kinds: procedure,
explanation, yes/no ...), per answer type (date, person, figure, other typed, untyped) and per
kind of unanswerable case (no-gold, swapped, the gold set's own): refusal recall and false-
refusal rate.

Four gates, same cases: ``today`` (the shipped ``rag/refusal_weights.json`` as it is: its
coefficients were fitted on one set, so on that set it is not held out), ``today_hard`` (the
same coefficients and threshold, the hard flags chosen on the other sets), ``base`` (today's
features, fitted the leave-one-out way) and ``per_kind`` (every feature of
rag.answerability.FEATURES, the per-kind ones of rag.kind_needs included). ``--write-weights``
stores the ``--ship`` gate with what it chooses made on every set.
The evidence is gathered by fitting.calibrate.measure_set and cached under data_dir/calibrate/.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fitting.calibrate import Measured, measure_set
from fitting.logistic import fit_logistic
from rag.answerability import DEFAULT_WEIGHTS, FEATURES, gate_scores, load_weights
from rag.linear import LinearModel

SETS = ("covidqa", "hotpotqa_dev500", "timeqa_train", "sample", "agency_reports",
        "trial_protocols", "project_docs")
BASE = FEATURES[:FEATURES.index("figure_missing") + 1]  # today's gate's features
HARD_CANDIDATES = ("figure_missing", "date_missing", "person_missing")
FLOOR = 1e-4  # the lowest threshold: a score a hard flag zeroed is below it
TYPE_GROUPS = {"date": "date", "time": "date", "person": "person", "count": "figure",
               "quantity": "figure", "money": "figure", "percent": "figure"}


@dataclass
class TaggedSet:
    """One set's cases and, per case, its question's kind and answer-type group."""

    name: str
    measured: Measured
    kinds: list[str]
    types: list[str]


def type_group(kind: str, typed: bool) -> str:
    """date, person, figure, typed (another entity type) or untyped."""
    return TYPE_GROUPS.get(kind, "typed" if typed else "untyped")


def tag(name: str, measured: Measured, nlp: object) -> TaggedSet:
    from rag.shapes.kinds import question_kind

    kinds, types = [], []
    for q in measured.questions:
        kinds.append(question_kind(q, nlp.question_tags(q)).kind)  # type: ignore[attr-defined]
        answer = nlp.classify(q)  # type: ignore[attr-defined]
        types.append(type_group(answer.kind, bool(answer.labels)))
    return TaggedSet(name, measured, kinds, types)


def set_weights(sets: Sequence[Measured]) -> np.ndarray:
    """Sample weights over the pooled cases: every set weighs 1 in all, half of it on its
    answerable cases, half on its unanswerable ones, split evenly between their kinds."""
    parts = []
    for m in sets:
        kinds = np.asarray(m.kinds)
        w = np.zeros(len(kinds))
        unanswerable = sorted({k for k in m.kinds if k != "answerable"})
        answerable = kinds == "answerable"
        w[answerable] = 0.5 / max(answerable.sum(), 1) if unanswerable else 1.0 / max(
            answerable.sum(), 1)
        for kind in unanswerable:
            these = kinds == kind
            w[these] = 0.5 / (len(unanswerable) * these.sum())
        parts.append(w)
    weights = np.concatenate(parts)
    return weights * len(weights) / weights.sum()


def choose_hard(sets: Sequence[Measured], bound: float,
                candidates: Sequence[str] = HARD_CANDIDATES) -> tuple[str, ...]:
    """The flags among ``candidates`` set for at most ``bound`` of the answerable cases,
    averaged over the sets."""
    hard = []
    for name in candidates:
        col = FEATURES.index(name)
        rates = [float((m.rows[m.labels == 1, col] == 1.0).mean()) for m in sets
                 if (m.labels == 1).any()]
        if rates and float(np.mean(rates)) <= bound:
            hard.append(name)
    return tuple(hard)


def choose_threshold(sets: Sequence[Measured], model: LinearModel, bound: float) -> float:
    """The highest threshold whose false-refusal rate, averaged over ``sets``, is within
    ``bound``."""
    scores = [gate_scores(model, m.rows) for m in sets]
    answerable = [s[m.labels == 1] for s, m in zip(scores, sets) if (m.labels == 1).any()]
    candidates = sorted({round(float(x), 4) for s in answerable for x in s if x > FLOOR}
                        | {FLOOR})
    best = FLOOR  # what a hard flag zeroes is refused at any threshold
    for t in candidates:
        if float(np.mean([(s < t).mean() for s in answerable])) <= bound:
            best = t
        else:
            break
    return best


def fit_pooled(sets: Sequence[Measured], names: tuple[str, ...], l2: float, bound: float,
               hard_bound: float) -> LinearModel:
    """A gate over ``names`` fitted on ``sets`` pooled (:func:`set_weights`), its hard flags
    (those of :data:`HARD_CANDIDATES` among ``names``) and threshold chosen on them too."""
    cols = [FEATURES.index(n) for n in names]
    rows = np.vstack([m.rows[:, cols] for m in sets])
    labels = np.concatenate([m.labels for m in sets])
    fitted = fit_logistic(rows, labels, names, l2=l2, sample_weight=set_weights(sets))
    hard = choose_hard(sets, hard_bound, [h for h in HARD_CANDIDATES if h in names])
    model = LinearModel(fitted.names, fitted.mean, fitted.scale, fitted.coef, fitted.bias,
                        {"hard": list(hard)})
    threshold = choose_threshold(sets, model, bound)
    return LinearModel(model.names, model.mean, model.scale, model.coef, model.bias,
                       {"hard": list(hard), "threshold": threshold})


def figures(refused: np.ndarray, labels: np.ndarray) -> dict[str, object]:
    answerable = labels == 1
    return {"answerable": int(answerable.sum()), "unanswerable": int((~answerable).sum()),
            "false_refusal": round(float(refused[answerable].mean()), 4)
            if answerable.any() else None,
            "recall": round(float(refused[~answerable].mean()), 4)
            if (~answerable).any() else None}


def evaluate(data: TaggedSet, model: LinearModel) -> dict[str, object]:
    """Refusal recall and false-refusal rate on one set: overall, per kind of unanswerable
    case, per question kind and per answer-type group."""
    m = data.measured
    refused = gate_scores(model, m.rows) < model.extra["threshold"]
    case_kinds = np.asarray(m.kinds)
    answerable = case_kinds == "answerable"
    out: dict[str, object] = {"all": figures(refused, m.labels), "case": {}, "kind": {},
                              "type": {}}
    for kind in sorted(set(m.kinds) - {"answerable"}):
        keep = answerable | (case_kinds == kind)
        out["case"][kind] = figures(refused[keep], m.labels[keep])  # type: ignore[index]
    for field, values in (("kind", data.kinds), ("type", data.types)):
        tags = np.asarray(values)
        for value in sorted(set(values)):
            keep = tags == value
            out[field][value] = figures(refused[keep], m.labels[keep])  # type: ignore[index]
    return out


def leave_one_out(data: Sequence[TaggedSet], names: tuple[str, ...], l2: float, bound: float,
                  hard_bound: float) -> dict[str, dict[str, object]]:
    """Every set reported with a gate fitted on the others."""
    report = {}
    for held in data:
        model = fit_pooled([d.measured for d in data if d.name != held.name], names, l2, bound,
                           hard_bound)
        report[held.name] = {"threshold": model.extra["threshold"],
                             "hard": model.extra["hard"], **evaluate(held, model)}
    return report


def summary(report: dict[str, dict[str, object]]) -> dict[str, float]:
    """Mean recall and false-refusal rate over the held-out sets (each set counts once)."""
    alls = [r["all"] for r in report.values()]
    recall = [a["recall"] for a in alls if a["recall"] is not None]  # type: ignore[index]
    false = [a["false_refusal"] for a in alls  # type: ignore[index]
             if a["false_refusal"] is not None]  # type: ignore[index]
    return {"mean_recall": round(float(np.mean(recall)), 4),
            "mean_false_refusal": round(float(np.mean(false)), 4),
            "worst_false_refusal": round(float(np.max(false)), 4)}


GATES = ("today", "today_hard", "base", "per_kind")


def _pair(f: dict[str, object] | None) -> str:
    if f is None:
        return "-"
    recall, false = f.get("recall"), f.get("false_refusal")
    return (f"{'-' if recall is None else f'{recall:.2f}'} / "
            f"{'-' if false is None else f'{false:.2f}'}")


def markdown(result: dict[str, dict[str, dict[str, object]]]) -> str:
    """The tables of docs/evaluation.md: per set, per case kind, per question kind and per
    answer type, each cell "refusal recall / false-refusal rate" for the three gates."""
    gates = [g for g in GATES if g in result]
    head = "| set | " + " | ".join(gates) + " |\n|---|" + "---|" * len(gates)
    lines = ["Cells: refusal recall / false-refusal rate (answerable cases refused).", "",
             "### Overall", "", head.replace("| set |", "| set | cases |").replace(
                 "|---|", "|---|---|", 1)]
    sets = list(result[gates[0]])
    for s in sets:
        a = result[gates[0]][s]["all"]
        lines.append(f"| {s} | {a['answerable']}+{a['unanswerable']} | " + " | ".join(
            _pair(result[g][s]["all"]) for g in gates) + " |")
    for field, title in (("case", "kind of unanswerable case"), ("kind", "kind of question"),
                         ("type", "answer type")):
        lines += ["", f"### Per {title}", "",
                  "| set | " + title + " | cases | " + " | ".join(gates) + " |",
                  "|---|---|---|" + "---|" * len(gates)]
        for s in sets:
            for value, f in result[gates[0]][s][field].items():  # type: ignore[union-attr]
                lines.append(f"| {s} | {value} | {f['answerable']}+{f['unanswerable']} | "
                             + " | ".join(_pair(result[g][s][field].get(value))  # type: ignore
                                          for g in gates) + " |")
    return "\n".join(lines) + "\n"


def _features_key() -> str:
    """Tagged cases are reused while the code computing their rows and tags is unchanged."""
    import hashlib

    import rag.answerability
    import rag.kind_needs
    import rag.question_typing
    import rag.shapes.kinds
    import rag.shapes.procedure

    h = hashlib.sha256()
    for module in (rag.answerability, rag.kind_needs, rag.question_typing, rag.shapes.kinds,
                   rag.shapes.procedure):
        h.update(Path(module.__file__ or "").read_bytes())
    return h.hexdigest()[:12]


def gather(settings: object, names: Sequence[str], limit: int, seed: int,
           max_docs: int | None) -> list[TaggedSet]:
    """Every set's cases (evidence cached by fitting.calibrate; the tagged rows too, under
    data_dir/calibrate/cross-*.pickle, while the feature code is unchanged)."""
    import pickle

    from rag.factory import build_nlp

    measuring = settings.model_copy(update={  # type: ignore[attr-defined]
        "retrieval": settings.retrieval.model_copy(  # type: ignore[attr-defined]
            update={"refusal": "threshold", "min_relevance": -1.0})})
    folder = Path(settings.data_dir) / "calibrate"  # type: ignore[attr-defined]
    nlp = build_nlp()
    out = []
    for name in names:
        path = folder / f"cross-{name}-{limit}-{seed}-{max_docs}-{_features_key()}.pickle"
        if path.is_file():  # plain fields: the class may be __main__'s under -m
            out.append(TaggedSet(**pickle.loads(path.read_bytes())))
            continue
        out.append(tag(name, measure_set(measuring, name, limit, seed, max_docs)[0], nlp))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(vars(out[-1])))
    return out


def with_hard(model: LinearModel, hard: Sequence[str]) -> LinearModel:
    """``model`` with another list of hard flags."""
    return LinearModel(model.names, model.mean, model.scale, model.coef, model.bias,
                       {**model.extra, "hard": list(hard)})


def run(data: Sequence[TaggedSet], l2: float, bound: float, hard_bound: float
        ) -> dict[str, dict[str, dict[str, object]]]:
    """The four gates of the module doc on every set: ``today`` as shipped, ``today_hard``
    (its coefficients, the hard flags chosen on the other sets), and ``base`` and ``per_kind``
    fitted on the other sets."""
    today = load_weights(DEFAULT_WEIGHTS)
    others = {d.name: [o.measured for o in data if o.name != d.name] for d in data}
    hard = {n: choose_hard(sets, hard_bound) for n, sets in others.items()}
    return {
        "today": {d.name: {"threshold": today.extra["threshold"], **evaluate(d, today)}
                  for d in data},
        "today_hard": {d.name: {"threshold": today.extra["threshold"], "hard": hard[d.name],
                                **evaluate(d, with_hard(today, hard[d.name]))} for d in data},
        "base": leave_one_out(data, BASE, l2, bound, hard_bound),
        "per_kind": leave_one_out(data, FEATURES, l2, bound, hard_bound),
    }


def shipped(data: Sequence[TaggedSet], gate: str, l2: float, bound: float,
            hard_bound: float) -> LinearModel:
    """The gate ``--write-weights`` stores, fitted on every set: ``today_hard`` (the shipped
    coefficients, hard flags chosen on all sets) or ``per_kind``."""
    sets = [d.measured for d in data]
    if gate == "today_hard":
        return with_hard(load_weights(DEFAULT_WEIGHTS), choose_hard(sets, hard_bound))
    return fit_pooled(sets, FEATURES, l2, bound, hard_bound)


def main(argv: list[str] | None = None) -> int:
    from rag.settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m fitting.cross_set",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS))
    parser.add_argument("--limit", type=int, default=150, help="questions sampled per shared "
                        "benchmark (the gold sets are taken whole)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--max-docs", type=int, default=1000)
    parser.add_argument("--l2", type=float, default=10.0)
    parser.add_argument("--max-false-refusal", type=float, default=0.05)
    parser.add_argument("--hard-bound", type=float, default=0.01, help="a flag refuses outright "
                        "when it is set for at most this share of the fit sets' answerable cases")
    parser.add_argument("--ship", choices=("today_hard", "per_kind"), default="today_hard",
                        help="the gate --write-weights stores (fitted on every set)")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--write-weights", nargs="?", type=Path, const=Path(str(DEFAULT_WEIGHTS)))
    args = parser.parse_args(argv)
    settings = load_settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    data = gather(settings, args.sets, args.limit, args.seed, args.max_docs or None)
    result = run(data, args.l2, args.max_false_refusal, args.hard_bound)
    summaries = {g: summary(r) for g, r in result.items()}
    command = "python -m fitting.cross_set " + " ".join(argv if argv is not None
                                                       else sys.argv[1:])
    payload = {"command": command, "summary": summaries, **result}
    for path, text in ((args.out, json.dumps(payload, indent=2)),
                       (args.markdown, markdown(result))):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if args.write_weights:
        from index.atomic_files import write_text_atomic

        model = shipped(data, args.ship, args.l2, args.max_false_refusal, args.hard_bound)
        calibration = dict(model.extra.get("calibration") or {})
        if args.ship == "per_kind":
            calibration = {"fit_on": [d.name for d in data]}
        calibration["cross_set"] = {"command": command, "gate": args.ship,
                                    "hard_chosen_on": [d.name for d in data],
                                    "held_out": summaries, args.ship: result[args.ship]}
        extra = {k: v for k, v in model.extra.items() if k != "calibration"}
        write_text_atomic(args.write_weights, json.dumps(
            model.to_json(**{**extra, "calibration": calibration}), indent=2) + "\n")
    print(json.dumps(summaries, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
