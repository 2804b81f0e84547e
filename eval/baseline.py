"""Compare a report with a baseline: metric by metric (the gate) and question by question."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from eval.dataset import read_data_file
from eval.report import LOWER_IS_BETTER, Report
from index.errors import ConfigError

# Latency depends on the machine: not gated unless a tolerance is given for it.
# Latency is noisy; how often sources disagree is a property of the corpus, neither better nor
# worse (docs/time.md).
UNGATED_BY_DEFAULT = frozenset({"latency_ms.p50", "latency_ms.p95", "short_answer.disagreed"})


@dataclass(frozen=True)
class MetricDelta:
    name: str
    baseline: float | None
    current: float | None
    tolerance: float | None  # None: reported, not gated

    @property
    def change(self) -> float | None:
        if self.baseline is None or self.current is None:
            return None
        return self.current - self.baseline

    @property
    def worse_by(self) -> float:
        """How much worse than the baseline (positive = worse), whichever way is better."""
        if self.change is None:
            return 0.0
        return self.change if self.name in LOWER_IS_BETTER else -self.change

    @property
    def failed(self) -> bool:
        return self.tolerance is not None and self.worse_by > self.tolerance + 1e-9


@dataclass(frozen=True)
class Flip:
    """A question whose outcome changed between the baseline and this run."""

    id: str
    question: str
    now_correct: bool
    baseline_answer: str
    current_answer: str


@dataclass
class Comparison:
    variant: str
    metrics: list[MetricDelta]
    flips: list[Flip] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # baseline questions not in this run

    @property
    def failed(self) -> list[MetricDelta]:
        return [m for m in self.metrics if m.failed]


def parse_tolerances(pairs: list[str], file: Path | None) -> dict[str, float]:
    """``metric=value`` pairs, over a JSON or TOML file mapping metric names to tolerances."""
    out: dict[str, float] = {}
    if file is not None:
        data = read_data_file(file, "tolerance file", ConfigError)
        if not isinstance(data, dict):
            raise ConfigError(f"tolerance file {file} must map metric names to tolerances")
        pairs = [f"{k}={v}" for k, v in _flatten(data).items()] + list(pairs)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or out[name.strip()] < 0:
            raise ConfigError(f"tolerance {pair!r} must be metric=non-negative number, e.g. "
                              "answer.contains_gold=0.05")
    return out


def _flatten(data: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in data.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def compare(current: Report, baseline: Report, tolerances: dict[str, float],
            default_tolerance: float) -> Comparison:
    cur, base = current.flat(), baseline.flat()
    unknown = sorted(set(tolerances) - set(cur) - set(base))
    if unknown:
        raise ConfigError(f"tolerance for unknown metric(s) {', '.join(unknown)}; metrics are "
                          f"{', '.join(sorted(cur))}")
    deltas = []
    for name in cur:
        tol = tolerances.get(name)
        if tol is None and name not in UNGATED_BY_DEFAULT:
            tol = default_tolerance
        deltas.append(MetricDelta(name, base.get(name), cur[name], tol))
    by_id = {q.id: q for q in current.questions}
    flips, missing = [], []
    for old in baseline.questions:
        new = by_id.get(old.id)
        if new is None:
            missing.append(old.id)
        elif new.correct != old.correct:
            flips.append(Flip(old.id, old.question, new.correct, old.answer, new.answer))
    return Comparison(current.info.variant, deltas, flips, missing)


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"


def format_comparison(c: Comparison) -> str:
    """What got better and worse, for a terminal."""
    lines = [f"== against the baseline (variant {c.variant}) =="]
    for m in c.metrics:
        if m.change is None or abs(m.change) < 1e-9:
            continue
        verdict = "FAIL" if m.failed else ("worse" if m.worse_by > 0 else "better")
        tol = "" if m.tolerance is None else f" (tolerance {m.tolerance:g})"
        lines.append(f"  {verdict:6} {m.name}: {_fmt(m.baseline)} -> {_fmt(m.current)}{tol}")
    if len(lines) == 1:
        lines.append("  every metric is unchanged")
    for f in c.flips:
        lines.append(f"  {'fixed' if f.now_correct else 'BROKE'} {f.id}: {f.question}")
        lines.append(f"      baseline: {f.baseline_answer}")
        lines.append(f"      now:      {f.current_answer}")
    if c.missing:
        lines.append(f"  not asked this run: {', '.join(c.missing)}")
    failed = ", ".join(m.name for m in c.failed)
    lines.append(f"  gate: {'FAILED on ' + failed if failed else 'passed'}")
    return "\n".join(lines)


