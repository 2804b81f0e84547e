"""The speed benchmark's report: goals, latency summaries, the machine it ran on, the table.

Every derived figure (ratio, percentile, rate) is computed here from raw measurements that the
report also records, so anyone can recompute it from the JSON.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any, Literal

from eval.metrics import percentile

PACKAGES = ("torch", "sentence-transformers", "transformers", "chromadb", "llama-index-core",
            "llama-index-vector-stores-chroma", "bm25s", "fastapi", "uvicorn", "httpx", "numpy")


@dataclass(frozen=True)
class Goal:
    """A speed goal from the team's guide and whether this run met it.

    ``applies`` is False when the run's parameters differ from the goal's conditions (e.g. a
    retrieval run at 1,000 chunks against a goal stated at 100,000): the comparison is still
    shown, but it says nothing about the goal."""

    name: str
    value: float
    target: float
    better: Literal["higher", "lower"]
    unit: str
    condition: str
    applies: bool

    @property
    def passed(self) -> bool:
        return self.value >= self.target if self.better == "higher" else self.value <= self.target

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


@dataclass(frozen=True)
class LatencySummary:
    n: int
    mean: float
    p50: float
    p95: float
    p99: float
    max: float


def summarize(ms: Sequence[float]) -> LatencySummary:
    """Linear-interpolated percentiles (``eval.metrics.percentile``) of raw millisecond values."""
    if not ms:
        return LatencySummary(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    return LatencySummary(n=len(ms), mean=round(sum(ms) / len(ms), 3),
                          p50=round(percentile(ms, 50), 3), p95=round(percentile(ms, 95), 3),
                          p99=round(percentile(ms, 99), 3), max=round(max(ms), 3))


@dataclass
class BenchResult:
    """One benchmark's outcome: what it was asked, what it measured, what follows from it."""

    name: str
    params: dict[str, Any]
    raw: dict[str, Any]  # every measurement, as recorded
    derived: dict[str, Any]  # computed from ``raw`` only
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)  # (label, value) for the table

    def to_json(self) -> dict[str, Any]:
        return {"params": self.params, "raw": self.raw, "derived": self.derived,
                "goals": [g.to_json() for g in self.goals], "notes": self.notes}


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine_context() -> dict[str, Any]:
    """What the figures depend on: CPUs, torch threads, versions, the code's commit."""
    import torch

    from eval.report import code_version

    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "torch_threads": torch.get_num_threads(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "versions": versions,
        "git_commit": code_version(),
    }


def render_table(results: Sequence[BenchResult]) -> str:
    lines = []
    for r in results:
        lines.append(f"== {r.name} ==")
        width = max((len(label) for label, _ in r.rows), default=0)
        lines.extend(f"  {label:<{width}}  {value}" for label, value in r.rows)
        for g in r.goals:
            op = ">=" if g.better == "higher" else "<="
            verdict = "PASS" if g.passed else "MISS"
            caveat = "" if g.applies else f"  (not the goal's conditions: {g.condition})"
            lines.append(f"  goal {g.name}: {g.value:.3f} {g.unit} {op} {g.target:g} -> "
                         f"{verdict}{caveat}")
        lines.extend(f"  note: {n}" for n in r.notes)
    return "\n".join(lines)


def fmt_ms(s: LatencySummary) -> str:
    return f"p50 {s.p50:.1f}  p95 {s.p95:.1f}  p99 {s.p99:.1f}  mean {s.mean:.1f} ms  (n={s.n})"
