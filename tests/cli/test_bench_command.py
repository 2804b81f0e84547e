"""`rag bench --quick` (what CI runs): every benchmark at a tiny size through the product
command, offline. It checks that it works and what the report records, never a speed."""

from __future__ import annotations

import json

import pytest

from bench.encoder import VARIANTS
from index.embedder import choose_encoder, cpu_flags
from tests.helpers import run_cli as rag

pytestmark = pytest.mark.slow


def test_rag_bench_quick_runs_every_benchmark(tmp_path):
    netlog = tmp_path / "net.txt"
    netlog.write_text("")
    out = tmp_path / "bench.json"
    done = rag("bench", "--quick", "--out", str(out), data_dir=tmp_path / "data",
               netlog=netlog)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["quick"] is True and report["command"].startswith("rag bench")
    assert set(report["benchmarks"]) == {"ingest", "retrieval", "api", "encoder"}
    ctx = report["context"]
    assert set(ctx["cpu_flags_relevant"]) <= set(ctx["cpu_flags"])
    backend, precision = choose_encoder("auto", "auto", "cpu", cpu_flags())
    assert ctx["encoder"] == {"precision_setting": "auto", "backend_setting": "auto",
                              "precision": precision, "backend": backend}
    params = report["benchmarks"]["ingest"]["params"]
    assert (params["backend"], params["precision"]) == (backend, precision)
    api = report["benchmarks"]["api"]["derived"]
    assert api["raw_encoder_questions_per_s"] > 0
    enc = report["benchmarks"]["encoder"]["derived"]
    assert set(enc["chunk_cosine"]) == set(VARIANTS[1:])
    for variant in ("torch-bfloat16", "onnx-float32"):
        assert enc["chunk_cosine"][variant]["min"] >= 0.999, variant
    assert enc["chunk_cosine"]["onnx-int8"]["min"] >= 0.99
    assert set(enc["retrieval"]) == {f"index_{v}__query_{v}" for v in VARIANTS} | {
        f"index_torch-float32__query_{v}" for v in VARIANTS[1:]}
    assert "encode onnx-int8" in done.stdout and "CPU flags" in done.stdout
    assert netlog.read_text() == ""


def test_rag_bench_refuses_bad_arguments(tmp_path):
    netlog = tmp_path / "net.txt"
    netlog.write_text("")
    bad = rag("bench", "nonsense", data_dir=tmp_path / "data", netlog=netlog)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
