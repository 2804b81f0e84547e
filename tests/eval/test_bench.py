"""The speed benchmark at a tiny size, through the real code: the report's shape, and that every
derived figure is computed from the raw measurements the report records. No timed assertions."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import numpy as np
import pytest

from bench import command as bench
from bench.retrieval import write_synthetic

# Subprocesses that load the model, or whole eval runs: not in the fast subset.
pytestmark = pytest.mark.slow

GOLD = Path(bench.ROOT) / "eval" / "gold" / "sample_qa.jsonl"


def _args(*argv: str):
    return bench.parser().parse_args(list(argv))


def _pct(values, q):
    return float(np.percentile(values, q))  # numpy's default is linear interpolation too


def _check_summary(summary: dict, values: list[float]) -> None:
    assert summary["n"] == len(values)
    for q in (50, 95, 99):
        assert summary[f"p{q}"] == pytest.approx(_pct(values, q), abs=2e-3)
    assert summary["max"] == pytest.approx(max(values), abs=2e-3)


def _check_goals(report: dict, names: set[str]) -> None:
    assert {g["name"] for g in report["goals"]} == names
    for g in report["goals"]:
        assert g["passed"] == (g["value"] >= g["target"] if g["better"] == "higher"
                               else g["value"] <= g["target"])
    ctx = report["context"]
    assert ctx["cpu_count"] >= 1 and ctx["torch_threads"] >= 1
    assert len(ctx["loadavg_before"]) == 3 and len(ctx["loadavg_after"]) == 3
    assert ctx["versions"]["chromadb"] and ctx["git_commit"]
    json.dumps(report)  # everything serialisable


def test_ingest_bench_ratios_come_from_its_runs(tmp_path, embedder, corpus_dir):
    settings = bench.load_settings(data_dir=tmp_path / "data")
    report = bench.run(settings, _args("ingest", "--corpus", str(corpus_dir), "--repeats", "2"),
                       embedder=embedder)
    ingest = report["benchmarks"]["ingest"]
    runs = ingest["raw"]["runs"]
    assert sorted((r["repeat"], r["system"]) for r in runs) == sorted(
        (rep, s) for rep in (0, 1) for s in ("ours", "raw_encoder", "llama_index"))
    assert [r["system"] for r in runs if r["repeat"] == 1][0] == "llama_index"  # order reversed
    ours = [r for r in runs if r["system"] == "ours"]
    raw = [r for r in runs if r["system"] == "raw_encoder"]
    llama = [r for r in runs if r["system"] == "llama_index"]
    # The raw encoder encodes exactly the chunks our ingest stored; both ingests stored chunks
    # of every document.
    assert {r["chunks"] for r in raw} == {ours[0]["chunks"]} and ours[0]["chunks"] > 0
    assert all(r["documents"] == 5 and r["failed"] == 0 for r in ours + llama)
    assert all(r["chunks"] > 0 and r["seconds"] > 0 for r in runs)
    d = ingest["derived"]

    def rate(rs):
        return statistics.median(r["chunks"] / r["seconds"] for r in rs)

    assert d["ours"]["seconds_median"] == pytest.approx(
        statistics.median(r["seconds"] for r in ours), abs=1e-4)
    assert d["ours_over_raw_throughput"] == pytest.approx(rate(ours) / rate(raw), rel=1e-3)
    assert d["speedup_over_llama_index_seconds"] == pytest.approx(
        statistics.median(r["seconds"] for r in llama)
        / statistics.median(r["seconds"] for r in ours), rel=1e-3)
    goals = {g["name"]: g for g in report["goals"]}
    assert goals["ingest.ours_over_raw_throughput"]["value"] == d["ours_over_raw_throughput"]
    _check_goals(report, {"ingest.ours_over_raw_throughput", "ingest.speedup_over_llama_index"})
    assert "ours" in report["table"] and "raw_encoder" in report["table"]


def test_retrieval_bench_over_a_small_synthetic_index(tmp_path, embedder, corpus_dir):
    settings = bench.load_settings(data_dir=tmp_path / "data")
    args = _args("retrieval", "--chunks", "300", "--queries", "12",
                 "--base-corpus", str(corpus_dir), "--questions", str(GOLD))
    report = bench.run(settings, args, embedder=embedder)
    r = report["benchmarks"]["retrieval"]
    raw = r["raw"]
    assert raw["base_chunks"] > 0
    assert raw["synthetic_chunks"] == 300 - raw["base_chunks"]
    assert raw["chunks_stored"] == 300 and raw["index_build_seconds"] is not None
    assert raw["passages_returned"] > 0
    for stage in ("embed", "retrieve", "dense", "keyword", "candidates", "rerank_dedup"):
        assert len(raw["ms"][stage]) == 12
        _check_summary(r["derived"][f"{stage}_ms"], raw["ms"][stage])
    assert raw["ms"]["rerank_dedup"] == pytest.approx(
        [a - b for a, b in zip(raw["ms"]["retrieve"], raw["ms"]["candidates"])], abs=1e-3)
    goal = report["goals"][0]
    assert goal["value"] == r["derived"]["retrieve_ms"]["p95"] and goal["applies"] is False
    _check_goals(report, {"retrieval.p95_ms", "retrieval.filtered_p95_ms",
                          "retrieval.p95_vs_chroma_top_k"})

    # The same parameters reuse the built index.
    again = bench.run(settings, _args("retrieval", "--chunks", "300", "--queries", "2",
                                      "--base-corpus", str(corpus_dir), "--questions",
                                      str(GOLD)), embedder=embedder)
    assert again["benchmarks"]["retrieval"]["raw"]["index_build_seconds"] is None
    assert again["benchmarks"]["retrieval"]["raw"]["index_dir"] == raw["index_dir"]


def test_synthetic_chunks_are_committed_and_searchable(seeded):
    """Derived chunks go through the real write path: the retriever and BM25 see them."""
    from rag.factory import build_pipeline

    settings = seeded.settings.model_copy(update={"data_dir": seeded.settings.data_dir.parent
                                                  / "synthetic"})
    pipeline = build_pipeline(settings, embedder=seeded.embedder)
    pipeline.ingest.sync(bench.SHARED / "corpus")
    base = pipeline.store.count_chunks()
    assert write_synthetic(pipeline.store, 120, seed=1) == 120
    pipeline.keyword.refresh(pipeline.store)
    assert pipeline.store.count_chunks() == base + 120 == pipeline.keyword.chunk_count()
    synthetic = [d for d in pipeline.store.documents() if "::synthetic/" in d]
    assert len(synthetic) == 3  # 50 + 50 + 20
    chunks = pipeline.store.document_chunks(synthetic[0])
    vectors = pipeline.store.chunk_vectors([c.chunk_id for c in chunks])
    assert all(abs(float(np.linalg.norm(v)) - 1.0) < 1e-3 for v in vectors.values())
    text = pipeline.store.document_text(synthetic[0])
    assert all(text[c.start:c.end] == c.text for c in chunks)
    question = chunks[0].text
    # Searchable: the dense search and BM25 both find it among the fused candidates (the
    # reranker's order over near-identical derived chunks is not this test's business).
    found = pipeline.retriever.candidates(question, seeded.embedder.embed([question])[0], 5)
    mine = [c for c in found if c.chunk.chunk_id == chunks[0].chunk_id]
    assert mine and mine[0].dense_rank is not None and mine[0].keyword_rank is not None


def test_api_bench_figures_come_from_its_requests(tmp_path, corpus_dir):
    settings = bench.load_settings(data_dir=tmp_path / "data")
    args = _args("api", "--clients", "2", "--seconds", "2", "--warmup", "2",
                 "--api-corpus", str(corpus_dir))
    report = bench.run(settings, args)
    api = report["benchmarks"]["api"]
    requests = api["raw"]["requests"]
    ok = [r for r in requests if r["status"] == 200]
    d = api["derived"]
    assert len(api["raw"]["warmup"]) == 2 and all(r["status"] == 200 for r in api["raw"]["warmup"])
    assert ok and d["ok"] == len(ok) and d["errors"] == len(requests) - len(ok) == 0
    assert {r["client"] for r in requests} == {0, 1}
    span = max(r["start_s"] + r["latency_ms"] / 1000 for r in requests)
    assert d["span_seconds"] == pytest.approx(span, abs=1e-3)
    assert d["requests_per_s"] == pytest.approx(len(ok) / d["span_seconds"], rel=1e-3)
    _check_summary(d["latency_ms"], [r["latency_ms"] for r in ok])
    _check_summary(d["server_ms"]["total"], [r["server_ms"]["total"] for r in ok])
    raw_enc = api["raw"]["raw_encoder"]
    assert raw_enc["batch"] == 8 and raw_enc["batch_ms"]
    assert d["raw_encoder_questions_per_s"] == pytest.approx(
        raw_enc["texts"] / (sum(raw_enc["batch_ms"]) / 1000), rel=1e-3)
    assert d["requests_per_s_over_raw_encoder"] == pytest.approx(  # rounded to 4 decimals
        d["requests_per_s"] / d["raw_encoder_questions_per_s"], rel=1e-3, abs=6e-5)
    _check_goals(report, {"api.p50_ms", "api.requests_per_s",
                          "api.requests_per_s_over_raw_encoder"})


def test_api_stages_bench_measures_the_service_with_and_without_the_new_stages(tmp_path,
                                                                              corpus_dir):
    settings = bench.load_settings(data_dir=tmp_path / "data")
    args = _args("api-stages", "--clients", "2", "--seconds", "2", "--warmup", "2",
                 "--api-corpus", str(corpus_dir))
    report = bench.run(settings, args)
    result = report["benchmarks"]["api_stages"]
    runs = {k: result["raw"][k] for k in ("without", "with")}
    stages = {k: {s for r in run["raw"]["requests"] for s in r["server_ms"]}
              for k, run in runs.items()}
    # the short-answer stage ran (and was timed) in one server and not in the other
    assert "short_answer" in stages["with"] and "short_answer" not in stages["without"]
    d = result["derived"]
    assert d["requests_per_s_with"] == runs["with"]["derived"]["requests_per_s"] > 0
    assert d["ratio"] == pytest.approx(d["requests_per_s_with"] / d["requests_per_s_without"],
                                       abs=1e-3)
    _check_goals(report, {"api_stages.throughput_ratio"})


def test_bad_arguments_are_refused(tmp_path, capsys):
    assert bench.main(["retrieval", "--chunks", "0", "--data-dir", str(tmp_path)]) == 2
    assert "--chunks must be at least 1" in capsys.readouterr().err
    assert bench.main(["ingest", "--corpus", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_encoder_baseline_is_its_best_pass():
    """A pass slowed by something else on the machine must not lower the baseline (which
    would flatter the /v1/ask ratio): the best pass counts, every pass is reported."""
    from bench.api import best_rate

    rates = iter([120.0, 210.5, 180.0])
    best = best_rate(lambda: {"questions_per_s": next(rates), "batch": 8}, passes=3)
    assert best["questions_per_s"] == 210.5 and best["batch"] == 8
    assert best["passes_questions_per_s"] == [120.0, 210.5, 180.0]
