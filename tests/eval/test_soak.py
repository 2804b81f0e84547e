"""The soak (issue #15): the real service, 16 readers asking and streaming while an uploader and
a releaser write, for one minute; and the arithmetic of its report.

The run is ``python -m bench.soak`` in a subprocess, as a person runs it: Locust patches the
whole process with gevent when imported, so it is never imported into pytest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.soak_report import (GROWTH, SLACK_MB, Memory, Sample, failures, markdown_table,
                               memory_bound, minute_rows, summary)
from tests.helpers import ROOT, SUPPORT


def _samples() -> list[Sample]:
    kinds = ["ask", "stream", "upload", "delete", "publish", "rollback", "releases"]
    out = [Sample(t=i * 0.5, kind=kinds[i % len(kinds)], ms=float(10 + i), ok=True)
           for i in range(240)]  # 2 minutes
    out.append(Sample(t=70.0, kind="bad ask: empty question", ms=3.0, ok=True))
    out.append(Sample(t=71.0, kind="ask", ms=9999.0, ok=False, detail="HTTP 500"))
    return out


def _memory(start: float, end: float) -> list[Memory]:
    return [Memory(t=t, rss_mb=start + (end - start) * t / 120, load1=1.5)
            for t in range(0, 121, 5)]


def test_minute_rows_split_requests_errors_and_refusals_by_minute():
    rows = minute_rows(_samples(), _memory(800, 900))
    assert [r["minute"] for r in rows] == [1, 2]
    assert [r["requests"] for r in rows] == [120, 122]
    assert [(r["errors"], r["refusals"]) for r in rows] == [(0, 0), (1, 1)]
    # Percentiles of the good requests only: the failed 9999 ms ask is left out.
    asks = [10.0 + i for i in range(120, 240) if i % 7 == 0]
    assert rows[1]["ask"]["n"] == len(asks) and rows[1]["ask"]["p95"] < 9999
    assert rows[0]["rss_mb"] == pytest.approx(800 + 100 * 55 / 120)
    assert rows[1]["rss_mb"] == pytest.approx(800 + 100 * 115 / 120)


def test_memory_bound_is_measured_from_the_warm_sample():
    flat = memory_bound(_memory(1000, 1100), warmup_s=60)
    assert flat.warm_mb == pytest.approx(1050) and flat.held
    assert flat.limit_mb == pytest.approx(1050 * GROWTH + SLACK_MB)
    assert flat.slope_mb_per_min == pytest.approx(50, abs=0.01)
    leak = memory_bound(_memory(1000, 4000), warmup_s=60)
    assert leak.end_mb == pytest.approx(4000) and not leak.held
    with pytest.raises(ValueError, match="never read"):
        memory_bound([], warmup_s=60)


def test_failures_name_errors_missing_kinds_and_memory():
    result = summary(_samples(), _memory(1000, 4000), warmup_s=60, seconds=120)
    problems = failures(result)
    assert any(p.startswith("1 errors") and "HTTP 500" in p for p in problems)
    assert any("over the bound" in p for p in problems)
    clean = summary([s for s in _samples() if s.ok], _memory(1000, 1010), 60, 120)
    assert failures(clean) == []
    no_refusal = summary([s for s in _samples() if s.ok and s.kind != "bad ask: empty question"],
                         _memory(1000, 1010), 60, 120)
    assert failures(no_refusal) == ["no deliberately bad request was refused"]
    reads_only = summary([s for s in _samples() if s.kind in ("ask", "stream") and s.ok]
                         + [Sample(1.0, "bad ask: x", 1.0, True)], _memory(1000, 1010), 60, 120)
    assert failures(reads_only) == [
        "never exercised: upload, delete, publish, rollback, releases"]
    assert "| 2 | 122 | 1 | 1 |" in markdown_table(result)


@pytest.mark.slow
def test_one_minute_soak_has_no_error_and_bounded_memory(tmp_path, corpus_dir):
    out = tmp_path / "soak.json"
    env = {**os.environ, "PYTHONPATH": str(SUPPORT)}  # the server and client: loopback only
    proc = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--minutes", "1", "--clients", "16",
         "--corpus", str(corpus_dir), "--out", str(out)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert out.is_file(), proc.stderr[-3000:]
    result = json.loads(out.read_text())
    print(proc.stdout)
    assert proc.returncode == 0, (result["failures"], _server_errors(result), proc.stderr[-2000:])
    assert result["errors"] == 0 and result["failures"] == []
    kinds = result["by_kind"]
    # 16 readers for a minute on 2 shared cores: well over a hundred answers, every kind of
    # write several times, and the deliberately bad requests refused as they should be.
    assert kinds["ask"]["requests"] + kinds["stream"]["requests"] >= 100
    for kind in ("upload", "delete", "publish", "rollback"):
        assert kinds[kind]["requests"] >= 2, kind
    assert result["refusals"] >= 4
    assert all(k.startswith("bad ") for k in kinds if k not in (
        "ask", "stream", "upload", "delete", "publish", "rollback", "releases"))
    mem = result["memory"]
    assert mem["held"] and mem["end_mb"] <= mem["limit_mb"]
    assert 55 <= result["seconds"] <= 60 + 150


def _server_errors(result: dict) -> list[str]:
    """The server log's error entries with their tracebacks (the log sits beside the report,
    inside the test's temp dir, gone after CI): what a failed soak needs to be diagnosed."""
    log = Path(result.get("server_log", ""))
    if not log.is_file():
        return [f"no server log at {log}"]
    found = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            if "Traceback" in line or "Error" in line:
                found.append(line)
            continue
        if entry.get("level") in ("error", "critical") or entry.get("status", 0) >= 500:
            found.append(f"{entry.get('msg')} {entry.get('path', '')} {entry.get('exc', '')}")
    return found[-6:]
