"""The release gate: a staged release against the published one, on the gold questions.

Both releases answer every gold question (the published release's answers are cached with its
report, keyed by the gold file and the settings). They are compared metric by metric with the
eval's tolerances (eval.baseline.compare, as ``rag eval --baseline``) and question by question:
answer changed, newly refused, newly answered, cited documents changed, gold lost or gained.
Each question that got worse is blamed on the document changes that explain it: a document the
published answer cited was deleted or changed, or it was outranked by others. The gate passes
when no metric falls by more than its tolerance.
"""

from __future__ import annotations

import hashlib
import html
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from eval.baseline import compare, parse_tolerances
from eval.dataset import load_qa
from eval.report import Report, RunInfo, aggregate, code_version
from eval.runner import QuestionOutcome, run_questions
from index.embedder import Embedder
from index.errors import ConfigError
from index.releases import Manifest
from index.store import ChromaStore
from rag.factory import build_pipeline
from rag.settings import Settings


@dataclass
class Cause:
    doc_id: str
    change: str  # "deleted", "changed", "outranked" or "statistics" (documents elsewhere moved)
    by: list[dict[str, str]] = field(default_factory=list)  # outranked by: [{doc_id, change}]

    def describe(self) -> str:
        if self.change == "statistics":  # e.g. BM25 weights moved by documents added elsewhere
            who = ", ".join(f"{b['doc_id']} ({b['change']})" for b in self.by)
            return (f"{self.doc_id} is unchanged; the corpus statistics moved ({who}): the "
                    "answer's scores crossed a threshold")
        if self.change == "outranked":
            who = ", ".join(f"{b['doc_id']} ({b['change']})" for b in self.by) or "other passages"
            return f"{self.doc_id} outranked by {who}"
        return f"{self.doc_id} {self.change}"


@dataclass
class QuestionChange:
    id: str
    question: str
    kinds: list[str]
    worse: bool
    better: bool
    before_answer: str
    after_answer: str
    before_cited: list[str]
    after_cited: list[str]
    causes: list[Cause] = field(default_factory=list)


@dataclass
class GateResult:
    release: str
    base: str | None
    passed: bool
    reason: str
    metrics: list[dict[str, Any]]
    questions: list[QuestionChange]
    documents: dict[str, list[str]]
    staged_report: Report | None = None

    @property
    def worse(self) -> list[QuestionChange]:
        return [q for q in self.questions if q.worse]

    def to_json(self) -> dict[str, Any]:
        return {"release": self.release, "base": self.base,
                "outcome": "passed" if self.passed else "failed", "reason": self.reason,
                "metrics": self.metrics, "documents": self.documents,
                "worse": [asdict(q) for q in self.worse],
                "changed": [asdict(q) for q in self.questions]}


def fingerprint(settings: Settings, gold: Path) -> str:
    """What the cached answers of a release depend on besides the release itself."""
    shape = settings.model_dump(mode="json", exclude={"data_dir", "releases", "server"})
    h = hashlib.sha256(Path(gold).read_bytes())
    h.update(json.dumps(shape, sort_keys=True).encode())
    h.update(code_version().encode())
    return h.hexdigest()[:20]


def _cited(o: QuestionOutcome) -> list[str]:
    return list(dict.fromkeys(c.doc_id for c in o.cited))


def _change_of(doc_id: str, before: Manifest, after: Manifest) -> str:
    if doc_id not in after:
        return "deleted"
    if doc_id not in before:
        return "added"
    return "changed" if before[doc_id][0] != after[doc_id][0] else "unchanged"


def diff_questions(before: Report, after: Report, old: Manifest,
                   new: Manifest) -> list[QuestionChange]:
    """Every question whose answer moved, with what moved and, when it got worse, why."""
    by_id = {q.id: q for q in after.questions}
    changes = []
    for b in before.questions:
        a = by_id.get(b.id)
        if a is None:
            continue
        kinds = []
        if b.answer != a.answer:
            kinds.append("answer_changed")
        if a.refused and not b.refused:
            kinds.append("newly_refused")
        if b.refused and not a.refused:
            kinds.append("newly_answered")
        if _cited(b) != _cited(a):
            kinds.append("cited_docs_changed")
        if b.correct and not a.correct:
            kinds.append("gold_lost")
        if a.correct and not b.correct:
            kinds.append("gold_gained")
        if not kinds:
            continue
        worse = "gold_lost" in kinds or (b.answerable and "newly_refused" in kinds)
        change = QuestionChange(b.id, b.question, kinds, worse, "gold_gained" in kinds,
                                b.answer, a.answer, _cited(b), _cited(a))
        if worse:
            change.causes = blame(b, a, old, new)
        changes.append(change)
    return changes


def blame(before: QuestionOutcome, after: QuestionOutcome, old: Manifest,
          new: Manifest) -> list[Cause]:
    """The document changes that explain why ``after`` is worse than ``before``."""
    causes: list[Cause] = []
    suspects = _cited(before) or [d for d in before.gold_doc_ids if d in old]
    for doc_id in suspects:
        change = _change_of(doc_id, old, new)
        if change in ("deleted", "changed"):
            causes.append(Cause(doc_id, change))
    for doc_id in before.gold_doc_ids:
        if doc_id not in suspects and _change_of(doc_id, old, new) == "deleted":
            causes.append(Cause(doc_id, "deleted"))
    if not causes and suspects:
        now = _cited(after) or after.retrieved_doc_ids[:3]
        by = [{"doc_id": d, "change": _change_of(d, old, new)} for d in now if d not in suspects]
        causes.append(Cause(suspects[0], "outranked", by))
    if not causes:  # nothing it relied on moved: the change is in the corpus around it
        moved = [{"doc_id": d, "change": c} for d in sorted(set(old) | set(new))
                 if (c := _change_of(d, old, new)) != "unchanged"]
        for d in _cited(after) or suspects or ["-"]:
            causes.append(Cause(d, "statistics", moved[:5]))
    return causes


def _report(settings: Settings, pipeline: Any, items: list, release: str, gold: Path) -> Report:
    outcomes = run_questions(pipeline, items)
    info = RunInfo(variant="full", corpus=f"release {release}", qa_file=str(gold),
                   corpus_fingerprint=release, embedding_model=pipeline.embedder.model_id,
                   generator=pipeline.settings.generator.name,
                   prompt_version=pipeline.answers.prompt_version, code_version=code_version(),
                   settings=json.loads(settings.model_dump_json()), release=release)
    return Report(info, aggregate(outcomes), outcomes)


def release_answers(settings: Settings, embedder: Embedder, store: ChromaStore, release: str,
                    gold: Path, items: list, key: str, log: TextIO) -> Report:
    """The release's answers to the gold questions: cached with its report, else asked."""
    cached = store.releases.report(release)
    if cached is not None and cached[0].get("fingerprint") == key and cached[0].get("eval"):
        return Report.from_json(cached[0]["eval"])
    print(f"gate: asking release {release} {len(items)} gold questions", file=log)
    pipeline = build_pipeline(settings, embedder=embedder, release=release)
    report = _report(settings, pipeline, items, release, gold)
    if cached is None:  # remember them (a gated release's own report is written by the gate)
        store.releases.put_report(release, {"release": release, "fingerprint": key,
                                            "eval": report.to_json()}, "")
    return report


def run_gate(settings: Settings, embedder: Embedder, store: ChromaStore, release: str,
             log: TextIO = sys.stderr) -> GateResult:
    """Evaluate staged ``release`` against the published release; store and return the result."""
    gold = settings.eval.gold
    if gold is None:
        raise ConfigError("the release gate needs a gold set: set eval.gold "
                          "(RAG_EVAL__GOLD=path/to/qa.jsonl)")
    items = load_qa(Path(gold))
    if not items:
        raise ConfigError(f"eval.gold {gold} holds no questions")
    key = fingerprint(settings, Path(gold))
    base = store.releases.pointer()
    new = store.releases.manifest(release)
    old = store.releases.manifest(base) if base else {}
    documents = {
        "added": sorted(set(new) - set(old)),
        "changed": sorted(d for d in set(new) & set(old) if new[d][0] != old[d][0]),
        "deleted": sorted(set(old) - set(new)),
    }
    if base is None or base == release:
        result = GateResult(release, base, True, "nothing published yet to compare with", [],
                            [], documents, None)
    else:
        staged = release_answers(settings, embedder, store, release, Path(gold), items, key,
                                 log)
        published = release_answers(settings, embedder, store, base, Path(gold), items, key, log)
        tolerances = parse_tolerances([], settings.eval.tolerances)
        comparison = compare(staged, published, tolerances, settings.eval.tolerance)
        metrics = [{"name": m.name, "published": m.baseline, "staged": m.current,
                    "change": m.change, "tolerance": m.tolerance, "failed": m.failed}
                   for m in comparison.metrics]
        questions = diff_questions(published, staged, old, new)
        failed = [m.name for m in comparison.failed]
        reason = (f"{', '.join(failed)} fell by more than the tolerance; "
                  f"{len([q for q in questions if q.worse])} question(s) got worse"
                  if failed else "no metric fell by more than its tolerance")
        result = GateResult(release, base, not failed, reason, metrics, questions, documents,
                            staged)
    data = {**result.to_json(), "fingerprint": key, "gold": str(gold),
            "checked_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "eval": result.staged_report.to_json() if result.staged_report else None}
    store.releases.put_report(release, data, render_gate_html(result))
    return result


def write_report_files(result: GateResult, data: dict[str, Any], html_text: str,
                       folder: Path) -> Path:
    """The report as ``folder/report.json`` and ``report.html``; returns the JSON path."""
    from eval.report import write_atomic

    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "report.json", json.dumps(data, indent=2, ensure_ascii=False))
    write_atomic(folder / "report.html", html_text)
    return folder / "report.json"


def format_gate(result: GateResult) -> str:
    """The gate's verdict for a terminal: the failed metrics and each question that got worse."""
    lines = [f"gate: release {result.release} vs published {result.base or '-'}: "
             f"{'PASSED' if result.passed else 'FAILED'} ({result.reason})"]
    docs = result.documents
    lines.append(f"  documents: {len(docs['added'])} added, {len(docs['changed'])} changed, "
                 f"{len(docs['deleted'])} deleted")
    for m in result.metrics:
        if m["failed"]:
            lines.append(f"  FAIL {m['name']}: {m['published']} -> {m['staged']} "
                         f"(tolerance {m['tolerance']})")
    for q in result.worse:
        lines.append(f"  WORSE {q.id}: {q.question} [{', '.join(q.kinds)}]")
        lines.append(f"      because: {'; '.join(c.describe() for c in q.causes) or 'unknown'}")
    better = [q for q in result.questions if q.better]
    if better:
        lines.append(f"  better: {', '.join(q.id for q in better)}")
    return "\n".join(lines)


def render_gate_html(result: GateResult) -> str:
    """A self-contained page of the gate's report."""
    e = html.escape
    rows = "".join(
        f"<tr class={'fail' if m['failed'] else ''}><td>{e(m['name'])}</td>"
        f"<td>{m['published']}</td><td>{m['staged']}</td><td>{m['tolerance']}</td>"
        f"<td>{'FAIL' if m['failed'] else ''}</td></tr>"
        for m in result.metrics if m["change"])
    worse = "".join(
        f"<tr><td>{e(q.id)}</td><td>{e(q.question)}</td><td>{e(', '.join(q.kinds))}</td>"
        f"<td>{e('; '.join(c.describe() for c in q.causes))}</td>"
        f"<td>{e(q.before_answer)}</td><td>{e(q.after_answer)}</td></tr>" for q in result.worse)
    others = "".join(
        f"<tr><td>{e(q.id)}</td><td>{e(q.question)}</td><td>{e(', '.join(q.kinds))}</td></tr>"
        for q in result.questions if not q.worse)
    docs = "".join(f"<li>{e(k)}: {e(', '.join(v) or '-')}</li>"
                   for k, v in result.documents.items())
    verdict = "passed: published" if result.passed else "failed: held"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Release {e(result.release)}: gate {e(verdict)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:80em}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:.3em .6em;
vertical-align:top}}tr.fail{{background:#fde2e2}}</style></head><body>
<h1>Release {e(result.release)} against {e(result.base or '-')}: {e(verdict)}</h1>
<p>{e(result.reason)}</p><h2>Document changes</h2><ul>{docs}</ul>
<h2>Metrics that moved</h2><table><tr><th>metric</th><th>published</th><th>staged</th>
<th>tolerance</th><th></th></tr>{rows}</table>
<h2>Questions that got worse ({len(result.worse)})</h2><table><tr><th>id</th><th>question</th>
<th>what changed</th><th>because</th><th>published answer</th><th>staged answer</th></tr>{worse}
</table><h2>Other questions that changed</h2><table><tr><th>id</th><th>question</th>
<th>what changed</th></tr>{others}</table></body></html>
"""
