"""A readable, self-contained HTML report. Every piece of text is HTML-escaped."""

from __future__ import annotations

from html import escape

from eval.baseline import Comparison
from eval.report import Report

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:4px 8px;
vertical-align:top;text-align:left}th{background:#f4f4f4}.bar{height:10px;background:#4a7}
.base{height:10px;background:#bbb}.ok{color:#176}.bad{color:#b22}.fail{background:#fde}
.passage{font-size:12px;color:#555;margin:2px 0}details summary{cursor:pointer}
"""


def _bar(value: float | None, css: str, scale: float) -> str:
    if value is None:
        return ""
    width = max(0.0, min(1.0, value / scale)) * 200 if scale else 0.0
    return f'<div class="{css}" style="width:{width:.0f}px"></div>'


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"


def _metrics_table(report: Report, comparison: Comparison | None) -> str:
    deltas = {m.name: m for m in comparison.metrics} if comparison else {}
    rows = []
    for name, value in report.flat().items():
        d = deltas.get(name)
        base = d.baseline if d else None
        scale = max(value or 0.0, base or 0.0, 1.0) if name.startswith("latency") else 1.0
        css = ' class="fail"' if d and d.failed else ""
        change = "" if not d or d.change is None else f"{d.change:+.4g}"
        rows.append(
            f"<tr{css}><td>{escape(name)}</td><td>{_num(value)}</td><td>{_num(base)}</td>"
            f"<td>{escape(change)}</td><td>{_bar(value, 'bar', scale)}{_bar(base, 'base', scale)}"
            "</td></tr>")
    head = "<tr><th>metric</th><th>this run</th><th>baseline</th><th>change</th><th>" \
           "<span style='color:#4a7'>this run</span> / <span style='color:#999'>baseline</span>" \
           "</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _questions_table(report: Report, comparison: Comparison | None) -> str:
    flips = {f.id: f for f in comparison.flips} if comparison else {}
    rows = []
    for q in report.questions:
        verdict = '<span class="ok">right</span>' if q.correct else '<span class="bad">wrong</span>'
        if q.id in flips:
            verdict += " (fixed)" if flips[q.id].now_correct else " (broke)"
        passages = "".join(
            f'<div class="passage">[{c.n}] {escape(c.doc_id)} ({c.start}-{c.end}): '
            f"{escape(c.text)}</div>" for c in q.cited)
        cited = f"<details><summary>{len(q.cited)} cited</summary>{passages}</details>" \
            if q.cited else ""
        unsupported = "".join(f'<div class="bad">unsupported: {escape(s)}</div>'
                              for s in q.unsupported_sentences)
        gold = escape(" | ".join(q.gold_answers)) if q.answerable else "<i>unanswerable</i>"
        short = (f'<div class="short"><b>{escape(str(q.short_answer["text"]))}</b> '
                 f'[{escape(str(q.short_answer["citation"]))}]</div>'
                 if q.short_answer else "")
        if q.disagreement:
            short += '<div class="bad">sources disagree: ' + "; ".join(
                f'{escape(str(d["text"]))} [{escape(str(d["citation"]))}] '
                f'{escape(str(d["doc_id"]))} {escape(str(d.get("date") or ""))}'
                for d in q.disagreement) + "</div>"
        kind = f'<div class="passage">type: {escape(q.answer_type)}</div>' \
            if q.answer_type else ""
        scores = ", ".join(f"{escape(k)}={v:.2f}" for k, v in sorted(q.scores.items()))
        rows.append(
            f"<tr><td>{escape(q.id)}</td><td>{escape(q.question)}{kind}</td><td>{gold}</td>"
            f"<td>{short}{escape(q.answer)}{unsupported}{cited}</td><td>{verdict}</td>"
            f"<td>{escape(', '.join(q.gold_doc_ids))}</td><td>{scores}</td></tr>")
    head = ("<tr><th>id</th><th>question</th><th>gold</th><th>answer and cited passages</th>"
            "<th>outcome</th><th>gold documents</th><th>scores</th></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def render_html(reports: list[Report], comparisons: dict[str, Comparison]) -> str:
    """One page: per variant, its run information, metric bars and per-question table."""
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>Eval report</title>",
             f"<style>{_STYLE}</style></head><body><h1>Eval report</h1>"]
    for report in reports:
        i = report.info
        comparison = comparisons.get(i.variant)
        gate = ""
        if comparison:
            failed = comparison.failed
            gate = (f"<p class='bad'>Gate failed on {escape(', '.join(m.name for m in failed))}"
                    "</p>" if failed else "<p class='ok'>Gate passed against the baseline.</p>")
        parts.append(
            f"<h2>Variant {escape(i.variant)}</h2><p>corpus {escape(i.corpus)} "
            f"(fingerprint {escape(i.corpus_fingerprint[:16])}), questions {escape(i.qa_file)}; "
            f"model {escape(i.embedding_model)}, generator {escape(i.generator)}, prompt "
            f"{escape(i.prompt_version)}, code {escape(i.code_version)}, overrides "
            f"{escape(str(i.overrides))}</p>{gate}")
        parts.append(_metrics_table(report, comparison))
        parts.append(_questions_table(report, comparison))
    parts.append("</body></html>")
    return "".join(parts)
