"""Conflicts that are real (issue #25 item 4): edited copies of real passages, and the false
disagreements of unedited corpora.

``python -m eval.conflicts edited --corpus DIR --qa GOLD.jsonl --out OUT`` builds cases from a
real corpus and its gold set: for a gold question whose answer (a figure, an amount, a share, a
count, a date, a person's or organisation's name) occurs in its gold document, a copy of that
document is written as a separate report (``<name>.edited-<case>.txt``, its own title and stated date,
newer than the original for even cases, older for odd ones) with that value changed
(eval.edits). The corpus of originals and copies is written under OUT (never into the shared
corpus), ingested, every case's question asked, and each answer scored: both values named and
each side cited to its own document, the edited value alone, the original alone, neither; when
both documents state dates, whether the newer side comes first. ``unedited`` asks a seeded
sample of a gold set over its unedited corpus and counts the answers that report a
disagreement (each one a false disagreement unless the corpus really holds one). ``real`` asks
real revision pairs (a later report restating an earlier year's figure otherwise: see
eval/gold/agency_revisions.jsonl) over their unedited corpus.

Both write ``OUT/report.json`` and ``OUT/report.md``. ``--from-index DIR`` copies an existing
index of the original corpus first (e.g. ``data/eval/<key>`` of ``rag eval``) so only the copies
are embedded. Everything is seeded: the same arguments build the same cases.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eval.dataset import QAItem, load_qa
from eval.edits import (NAMED, core, editable, edited_value, replace_value, shifted_iso,
                        whole_value, with_front_matter)
from index.dates import STATED
from index.loaders import discover, load_document
from rag.types import Answer

CONTEXT = 3000  # characters either side of the answer read for other names of its label
WINDOW = 300  # characters either side of an answer's occurrence compared with the question
PER_DOCUMENT = 3  # cases (edited copies) of one original document, at most
_NAME_LABELS = {"person": "PERSON", "organisation": "ORG"}


@dataclass
class Case:
    id: str
    question: str
    kind: str
    doc_id: str  # the original document
    copy_id: str  # its edited copy
    original: str  # the value the original states (the gold answer as written there)
    edited: str  # the value the copy states instead
    variant: str  # "newer": the copy is dated after the original; "older": before
    copy_date: str
    original_date: str = ""  # the original's stated date, "" when it states none
    outcome: dict[str, Any] = field(default_factory=dict)


def _occurs(item: QAItem, texts: dict[str, str]) -> tuple[str, str] | None:
    """The first gold document and gold answer string that occurs in it, as written there."""
    for doc_id in item.doc_ids:
        text = texts.get(doc_id)
        for answer in item.answers:
            if text and answer and replace_value(text, answer, answer)[1]:
                return doc_id, answer
    return None


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)


def _names(nlp: Any, text: str, answer: str, label: str) -> list[str]:
    """Other names of ``label`` near ``answer`` in its document (the swap's candidates)."""
    at = max(0, text.find(answer))
    entities, _ = nlp.entities(text[max(0, at - CONTEXT):at + CONTEXT])
    return [e.text for e in entities if e.label == label and 2 <= len(e.text.split()) <= 4
            and all(w[:1].isupper() for w in e.text.split())]


def build_cases(items: list[QAItem], docs: dict[str, Any], nlp: Any, seed: int,
                limit: int | None = None) -> tuple[list[Case], dict[str, str]]:
    """The cases (one per document, in a seeded order) and each copy's text by its id."""
    rng = random.Random(seed)
    order = list(items)
    rng.shuffle(order)
    texts = {d: doc.text for d, doc in docs.items()}
    cases: list[Case] = []
    copies: dict[str, str] = {}
    for item in order:
        if limit is not None and len(cases) >= limit:
            break
        found = _occurs(item, texts) if item.answerable else None
        kind = nlp.classify(item.question).kind
        if found is None or not editable(kind, found[1]) or \
                kind not in NAMED and edited_value(kind, found[1], rng) is None:
            continue
        doc_id, answer = found
        if kind in NAMED and answer not in _names(nlp, texts[doc_id], answer,
                                                  _NAME_LABELS[kind]):
            continue  # the recogniser does not read it as a name of that kind there
        copy_id = f"{Path(doc_id).stem}.edited-{_slug(item.id)}.txt"
        if sum(c.doc_id == doc_id for c in cases) >= PER_DOCUMENT:
            continue  # other copies of it state this case's original value: a few at most
        names = _names(nlp, texts[doc_id], answer, _NAME_LABELS[kind]) if kind in NAMED else ()
        new = edited_value(kind, answer, rng, names)
        if new is None or new == answer:
            continue
        case = _case(item, kind, docs[doc_id], copy_id, answer, new, len(cases))
        body = _excerpt(docs[doc_id], answer_at(item, docs[doc_id], answer))
        title = replace_value(docs[doc_id].title, answer, new)[0]
        copies[copy_id] = with_front_matter(replace_value(body, answer, new)[0],
                                            f"{title} (revised)", case.copy_date)
        cases.append(case)
    return cases, copies


def _case(item: QAItem, kind: str, doc: Any, copy_id: str, answer: str, new: str,
          n: int) -> Case:
    stated = doc.date if doc.date_source in STATED and doc.date else ""
    variant = "newer" if n % 2 == 0 else "older"
    base = stated or "2024-06-01"
    copy_date = shifted_iso(base, 120 if variant == "newer" else -120)
    return Case(id=item.id, question=item.question, kind=kind, doc_id=doc.doc_id,
                copy_id=copy_id, original=answer, edited=new, variant=variant,
                copy_date=copy_date, original_date=stated[:10])


def answer_at(item: QAItem, doc: Any, answer: str) -> int:
    """Where in ``doc`` the gold answer answers the question: of the answer's whole-word
    occurrences (on the gold pages when the gold line names them, ``pages``), the one whose
    surroundings (WINDOW characters either side) hold most of the question's and the gold
    evidence's words; the first on a tie. "78%" first stands in a chart of health-plan
    satisfaction, 34 pages before the table row that answers "What percent of customers were
    satisfied with overall retirement services in FY 2014?": a copy cut around the first
    occurrence would not restate the asked fact at all."""
    spots = [m.start() for m in whole_value(answer).finditer(doc.text)]
    if not spots:
        return max(0, doc.text.find(answer))
    pages = {int(p) for p in item.extra.get("pages") or () if str(p).isdigit()}
    if pages and doc.page_starts:
        spots = [a for a in spots if doc.page_at(a) in pages] or spots
    evidence = item.extra.get("evidence")
    wanted = _terms(f"{item.question} {evidence if isinstance(evidence, str) else ''}")
    return max(spots, key=lambda a: (len(wanted & _terms(
        doc.text[max(0, a - WINDOW):a + WINDOW])), -a))


def _terms(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


def _excerpt(doc: Any, at: int) -> str:
    """The copy's text: the whole document, or for a paged one (a PDF) the pages around the
    answer's occurrence at ``at`` (a re-issued excerpt; a 200-page report copied whole would
    be most of the run's embedding)."""
    if len(doc.page_starts) <= 1:
        return doc.text
    starts = list(doc.page_starts) + [len(doc.text)]
    page = max(i for i, s in enumerate(starts[:-1]) if s <= at)
    return doc.text[starts[max(0, page - 1)]:starts[min(len(starts) - 1, page + 2)]]


def _named(value: str, text: str) -> bool:
    """``value`` stands whole in ``text`` ("108" is not in "1081"), case and spacing aside."""
    value, text = " ".join(value.lower().split()), " ".join(text.lower().split())
    return whole_value(value).search(text) is not None


def score_case(case: Case, answer: Answer, newer_doc: str | None) -> dict[str, Any]:
    """Both values named (their figures: eval.edits.core) and each side cited to a document
    stating it; one alone; neither; the
    newer side first when both documents state dates (``newer_doc``)."""
    text = "" if answer.refused else answer.answer
    old, new = core(case.kind, case.original), core(case.kind, case.edited)
    original, edited = _named(old, text), _named(new, text)
    sides = [(s.doc_id, s.text) for s in answer.disagreement]
    # the true side may come from the original or from another case's copy of it, which
    # states this case's value unchanged; the edited side must be this case's copy
    cited = (any(d != case.copy_id and _named(old, t) for d, t in sides)
             and any(d == case.copy_id and _named(new, t) for d, t in sides))
    out = {"both_named": original and edited, "both_sides": bool(cited),
           "edited_alone": edited and not original, "original_alone": original and not edited,
           "neither": not original and not edited, "refused": answer.refused,
           "sides": [asdict(s) for s in answer.disagreement], "answer": text[:600]}
    if cited and newer_doc is not None:
        out["newer_first"] = answer.disagreement[0].doc_id == newer_doc
    return out


def write_corpus(source: Path, out: Path, copies: dict[str, str]) -> Path:
    """OUT/corpus: the source's files (byte copies, times kept) and the edited copies."""
    corpus = out / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    for path in discover(source):
        target = corpus / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    for name, text in copies.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return corpus


def _pipeline(out: Path, from_index: Path | None) -> Any:
    from rag.factory import build_pipeline
    from rag.settings import Settings

    data = out / "index"
    if from_index is not None and not data.exists():
        shutil.copytree(from_index, data)
    return build_pipeline(Settings().model_copy(update={"data_dir": data}))


def run_edited(args: argparse.Namespace) -> dict[str, Any]:
    from rag.factory import build_nlp

    items = load_qa(args.qa)
    wanted = {d for i in items for d in i.doc_ids}
    docs = {d: load_document(args.corpus / d, args.corpus) for d in sorted(wanted)
            if (args.corpus / d).is_file()}
    cases, copies = build_cases(items, docs, build_nlp(), args.seed, args.limit)
    corpus = write_corpus(args.corpus, args.out, copies)
    pipeline = _pipeline(args.out, args.from_index)
    report = pipeline.ingest.sync(corpus)
    if report.failed:
        raise SystemExit(f"ingest failed: {report.failed}")
    for case in cases:
        newer = None
        if case.original_date:
            newer = case.copy_id if case.variant == "newer" else case.doc_id
        case.outcome = score_case(case, pipeline.answers.answer(case.question), newer)
    return {"mode": "edited", "corpus": str(args.corpus), "qa": str(args.qa),
            "seed": args.seed, "summary": summarise(cases), "cases": [asdict(c) for c in cases]}


def summarise(cases: list[Case]) -> dict[str, Any]:
    n = len(cases)
    share = (lambda key: round(sum(bool(c.outcome.get(key)) for c in cases) / n, 4)
             if n else 0.0)
    dated = [c for c in cases if "newer_first" in c.outcome]
    by_kind: dict[str, int] = {}
    for c in cases:
        by_kind[c.kind] = by_kind.get(c.kind, 0) + 1
    return {"cases": n, "both_sides": share("both_sides"), "both_named": share("both_named"),
            "edited_alone": share("edited_alone"), "original_alone": share("original_alone"),
            "neither": share("neither"), "refused": share("refused"),
            "newer_first": (round(sum(c.outcome["newer_first"] for c in dated) / len(dated), 4)
                            if dated else None),
            "newer_judged": len(dated), "kinds": by_kind}


def run_unedited(args: argparse.Namespace) -> dict[str, Any]:
    items = [i for i in load_qa(args.qa) if i.answerable]
    if args.sample is not None and args.sample < len(items):
        items = random.Random(args.seed).sample(items, args.sample)
    pipeline = _pipeline(args.out, args.from_index)
    pipeline.ingest.sync(args.corpus)
    rows = []
    for item in items:
        answer = pipeline.answers.answer(item.question)
        if answer.disagreement and not answer.refused:
            rows.append({"id": item.id, "question": item.question,
                         "sides": [asdict(s) for s in answer.disagreement]})
    asked = len(items)
    return {"mode": "unedited", "corpus": str(args.corpus), "qa": str(args.qa),
            "seed": args.seed, "summary": {"asked": asked, "disagreed": len(rows),
                                           "share": round(len(rows) / asked, 4) if asked else 0},
            "disagreements": rows}


def run_real(args: argparse.Namespace) -> dict[str, Any]:
    """Real revision pairs (``--qa`` a JSON-lines file of ``{"id", "question", "sides": [{"value",
    "doc_ids"}], "newer"}``, e.g. eval/gold/agency_revisions.jsonl): both values named, each
    cited to a document that states it, the newer first."""
    pipeline = _pipeline(args.out, args.from_index)
    pipeline.ingest.sync(args.corpus)
    rows = []
    for line in Path(args.qa).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        answer = pipeline.answers.answer(case["question"])
        text = "" if answer.refused else answer.answer
        named = [_named(s["value"], text) for s in case["sides"]]
        cited = [any(d.doc_id in s["doc_ids"] and _named(s["value"], d.text)
                     for d in answer.disagreement) for s in case["sides"]]
        rows.append({"id": case["id"], "named": named, "both_sides": all(cited),
                     "newer_first": bool(answer.disagreement)
                     and answer.disagreement[0].doc_id == case.get("newer"),
                     "cited_docs": sorted({c.doc_id for c in answer.citations}),
                     "answer": text[:600]})
    n = len(rows)
    return {"mode": "real", "corpus": str(args.corpus), "qa": str(args.qa), "seed": args.seed,
            "summary": {"cases": n, "both_sides": sum(r["both_sides"] for r in rows),
                        "both_named": sum(all(r["named"]) for r in rows),
                        "one_named": sum(sum(r["named"]) == 1 for r in rows)},
            "rows": rows}


def markdown(result: dict[str, Any]) -> str:
    s = result["summary"]
    lines = [f"# Conflicts: {result['mode']}", "",
             f"corpus `{result['corpus']}`, gold `{result['qa']}`, seed {result['seed']}", ""]
    lines += [f"- {k}: {v}" for k, v in s.items()]
    if result["mode"] == "edited":
        lines += ["", "| case | kind | original | edited | variant | outcome |", "|---|---|---|"
                  "---|---|---|"]
        for c in result["cases"]:
            got = next((k for k in ("both_sides", "both_named", "edited_alone",
                                    "original_alone", "neither") if c["outcome"].get(k)), "")
            lines.append(f"| {c['id']} | {c['kind']} | {c['original']} | {c['edited']} | "
                         f"{c['variant']} | {got} |")
    elif result["mode"] == "real":
        lines += ["", *(f"- {r['id']}: named {r['named']}, both sides cited {r['both_sides']}, "
                        f"cited {', '.join(r['cited_docs'])}" for r in result["rows"])]
    else:
        lines += ["", *(f"- {r['id']}: {r['question']} -> "
                        + "; ".join(f"{x['text']} ({x['doc_id']})" for x in r["sides"])
                        for r in result["disagreements"])]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.conflicts", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("edited", "unedited", "real"))
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--qa", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=25)
    parser.add_argument("--limit", type=int, help="edited: at most this many cases")
    parser.add_argument("--sample", type=int, help="unedited: ask this many sampled questions")
    parser.add_argument("--from-index", type=Path, help="copy this index of the corpus first")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    run = {"edited": run_edited, "unedited": run_unedited, "real": run_real}[args.mode]
    result = run(args)
    (args.out / "report.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    (args.out / "report.md").write_text(markdown(result), encoding="utf-8")
    json.dump(result["summary"], sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
