"""The soak's figures, from what ``bench/soak.py`` recorded: per-minute latency percentiles, error
counts and the server's memory, and the bound the memory must keep.

Pure functions over plain records, so they are tested without a server (and without Locust,
whose import patches the whole process; see ``bench/soak.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from eval.metrics import percentile

READS = ("ask", "stream")
WRITES = ("upload", "delete", "publish", "rollback", "releases")
# The memory bound: the server's RSS at the end may be at most GROWTH x its RSS once warmed up,
# plus SLACK_MB (docs/reliability.md says why).
GROWTH = 1.5
SLACK_MB = 100.0


@dataclass(frozen=True)
class Sample:
    """One request as the client saw it."""

    t: float  # seconds since the load began, at the request's start
    kind: str  # READS, WRITES, or 'bad ...' for a deliberately wrong request
    ms: float  # until the whole body was read (a stream: until its last event)
    ok: bool  # the answer was right (for a 'bad' request: the right refusal)
    detail: str = ""  # why it was not ok


@dataclass(frozen=True)
class Memory:
    t: float  # seconds since the load began
    rss_mb: float
    load1: float  # the machine's 1-minute load average then


def is_refusal(kind: str) -> bool:
    return kind.startswith("bad ")


def _pcts(ms: Sequence[float]) -> dict[str, float]:
    return {"n": len(ms), "p50": round(percentile(ms, 50), 1), "p95": round(percentile(ms, 95), 1)}


def minute_rows(samples: Sequence[Sample], memory: Sequence[Memory]) -> list[dict[str, Any]]:
    """One row per started minute of the load: requests, errors, refusals (right answers to
    deliberately bad requests), p50/p95 of reads, asks, streams and writes, the RSS and the
    load average at the minute's last memory sample."""
    if not samples:
        return []
    last = int(max(s.t for s in samples) // 60)
    rows = []
    for m in range(last + 1):
        mine = [s for s in samples if m * 60 <= s.t < (m + 1) * 60]
        good = [s for s in mine if s.ok and not is_refusal(s.kind)]
        seen = [x for x in memory if x.t < (m + 1) * 60]
        rows.append({
            "minute": m + 1,
            "requests": len(mine),
            "errors": sum(not s.ok for s in mine),
            "refusals": sum(s.ok and is_refusal(s.kind) for s in mine),
            "reads": _pcts([s.ms for s in good if s.kind in READS]),
            "ask": _pcts([s.ms for s in good if s.kind == "ask"]),
            "stream": _pcts([s.ms for s in good if s.kind == "stream"]),
            "writes": _pcts([s.ms for s in good if s.kind in WRITES]),
            "rss_mb": seen[-1].rss_mb if seen else None,
            "load1": seen[-1].load1 if seen else None,
        })
    return rows


@dataclass(frozen=True)
class MemoryBound:
    start_mb: float  # before any load (the model loaded, the corpus indexed)
    warm_mb: float  # at the end of the warm-up
    end_mb: float
    peak_mb: float
    limit_mb: float  # warm_mb * GROWTH + SLACK_MB
    slope_mb_per_min: float  # least-squares slope of RSS after the warm-up
    held: bool


def memory_bound(memory: Sequence[Memory], warmup_s: float, growth: float = GROWTH,
                 slack_mb: float = SLACK_MB) -> MemoryBound:
    """Whether the RSS stayed bounded: end <= warm * growth + slack, where warm is the first
    sample at or after ``warmup_s`` (the last one when the run was shorter)."""
    if not memory:
        raise ValueError("no memory samples: the server's RSS was never read")
    warm = next((x for x in memory if x.t >= warmup_s), memory[-1])
    after = [x for x in memory if x.t >= warm.t]
    limit = warm.rss_mb * growth + slack_mb
    return MemoryBound(start_mb=memory[0].rss_mb, warm_mb=warm.rss_mb, end_mb=memory[-1].rss_mb,
                       peak_mb=max(x.rss_mb for x in memory), limit_mb=round(limit, 1),
                       slope_mb_per_min=round(_slope(after) * 60, 2),
                       held=memory[-1].rss_mb <= limit)


def _slope(points: Sequence[Memory]) -> float:
    if len(points) < 2:
        return 0.0
    n = len(points)
    mt = sum(p.t for p in points) / n
    mr = sum(p.rss_mb for p in points) / n
    var = sum((p.t - mt) ** 2 for p in points)
    return sum((p.t - mt) * (p.rss_mb - mr) for p in points) / var if var else 0.0


def summary(samples: Sequence[Sample], memory: Sequence[Memory], warmup_s: float,
            seconds: float) -> dict[str, Any]:
    """The whole run: totals by kind, the error details, the minutes and the memory bound."""
    kinds = sorted({s.kind for s in samples})
    errors = [s for s in samples if not s.ok]
    bound = memory_bound(memory, warmup_s)
    return {
        "seconds": round(seconds, 1),
        "requests": len(samples),
        "errors": len(errors),
        "refusals": sum(s.ok and is_refusal(s.kind) for s in samples),
        "by_kind": {k: {"requests": sum(s.kind == k for s in samples),
                        "errors": sum(s.kind == k and not s.ok for s in samples),
                        **_pcts([s.ms for s in samples if s.kind == k and s.ok])}
                    for k in kinds},
        "error_examples": [asdict(s) for s in errors[:20]],
        "minutes": minute_rows(samples, memory),
        "memory": asdict(bound),
        "memory_rule": f"end RSS <= warm RSS x {GROWTH} + {SLACK_MB:.0f} MB "
                       f"(warm: first sample at or after {warmup_s:.0f} s)",
    }


def failures(result: dict[str, Any], min_requests: int = 1) -> list[str]:
    """What makes the run fail: any error, too few requests, a kind never exercised, or the
    memory bound broken."""
    out = []
    if result["errors"]:
        out.append(f"{result['errors']} errors, e.g. {result['error_examples'][:3]}")
    if result["requests"] < min_requests:
        out.append(f"only {result['requests']} requests (at least {min_requests} expected)")
    missing = [k for k in (*READS, *WRITES) if not result["by_kind"].get(k, {}).get("requests")]
    if missing:
        out.append(f"never exercised: {', '.join(missing)}")
    if not result["refusals"]:
        out.append("no deliberately bad request was refused")
    mem = result["memory"]
    if not mem["held"]:
        out.append(f"server RSS grew from {mem['warm_mb']} MB (warm) to {mem['end_mb']} MB, "
                   f"over the bound {mem['limit_mb']} MB")
    return out


def markdown_table(result: dict[str, Any]) -> str:
    """The per-minute table, as docs/reliability.md shows it."""
    lines = ["| minute | requests | errors | refusals (right 4xx) | ask p50 / p95 ms | "
             "stream p50 / p95 ms | writes p50 / p95 ms | server RSS MB | load avg (1 min) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in result["minutes"]:
        lines.append(
            f"| {r['minute']} | {r['requests']} | {r['errors']} | {r['refusals']} | "
            f"{r['ask']['p50']:.0f} / {r['ask']['p95']:.0f} | "
            f"{r['stream']['p50']:.0f} / {r['stream']['p95']:.0f} | "
            f"{r['writes']['p50']:.0f} / {r['writes']['p95']:.0f} | "
            f"{r['rss_mb']:.0f} | {r['load1']:.2f} |")
    return "\n".join(lines)
