"""CI: the sample-corpus eval runs through the real `rag` command against the committed baseline.

A change that makes answers worse fails here. When a change legitimately moves the figures,
regenerate the baseline with `scripts/update-eval-baseline.sh` and commit it with the change.
"""

from __future__ import annotations

import json

import httpx

from tests.helpers import ROOT, LiveServer, make_settings
from tests.helpers import run_cli as rag
import pytest

# Subprocesses that load the model, or whole eval runs: not in the fast subset.
pytestmark = pytest.mark.slow

GOLD = ROOT / "eval" / "gold" / "sample_qa.jsonl"
BASELINE = ROOT / "eval" / "gold" / "baseline.json"
KEYS = {"retrieval": {"recall_at_1", "recall_at_5", "recall_at_10", "mrr", "ndcg_at_10"},
        "answer": {"contains_gold", "token_f1", "semantic_similarity"},
        "short_answer": {"exact_match", "token_f1", "answered"},
        "citations": {"precision", "recall", "supported"},
        "refusal": {"precision", "recall", "false_rate"}, "latency_ms": {"p50", "p95"}}


def test_sample_eval_passes_its_committed_baseline(tmp_path, corpus_dir):
    report = tmp_path / "report.json"
    run = rag("eval", "--corpus", str(corpus_dir), "--qa", str(GOLD), "--baseline",
              str(BASELINE), "--report", str(report), data_dir=tmp_path / "data",
              netlog=tmp_path / "net.txt")
    assert run.returncode == 0, (
        f"the eval gate failed against {BASELINE}. If the change is meant to move these "
        f"figures, run scripts/update-eval-baseline.sh and commit the new baseline.\n"
        f"{run.stdout}\n{run.stderr}")
    assert "gate: passed" in run.stdout
    data = json.loads(report.read_text())
    for section, keys in KEYS.items():
        assert set(data[section]) >= keys, section
    assert data["questions"] == len(data["per_question"]) == len(GOLD.read_text().splitlines())
    for key in ("corpus_fingerprint", "embedding_model", "prompt_version", "settings",
                "code_version", "generator"):
        assert data[key], key
    assert json.loads((tmp_path / "data" / "eval" / "latest.json").read_text()) == data
    page = report.with_suffix(".html").read_text()
    assert "answer.contains_gold" in page and "q01" in page and "<script" not in page

    # The same run judged against a better baseline: the gate fails and says what got worse.
    better = json.loads(BASELINE.read_text())
    better["answer"]["contains_gold"] = round(data["answer"]["contains_gold"] + 0.1, 4)
    wrong = next(q for q in data["per_question"] if q["answerable"] and
                 not q["scores"].get("contains_gold"))
    for q in better["per_question"]:
        if q["id"] == wrong["id"]:
            q.update(refused=False, answer="(the right answer)", scores={"contains_gold": 1.0})
    (tmp_path / "better.json").write_text(json.dumps(better))
    gate = rag("eval", "--compare", str(report), "--baseline", str(tmp_path / "better.json"),
               data_dir=tmp_path / "data", netlog=tmp_path / "net.txt")
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert "FAIL   answer.contains_gold" in gate.stdout
    assert f"BROKE {wrong['id']}" in gate.stdout and "(the right answer)" in gate.stdout
    allowed = rag("eval", "--compare", str(report), "--baseline", str(tmp_path / "better.json"),
                  "--tolerance", "answer.contains_gold=0.2", data_dir=tmp_path / "data",
                  netlog=tmp_path / "net.txt")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def test_variants_run_side_by_side_over_one_index(tmp_path, corpus_dir):
    variants = tmp_path / "variants.toml"
    variants.write_text("[k1]\nretrieval = { top_k = 1 }\n[bad]\nretrieval = { nope = 1 }\n")
    common = ("eval", "--corpus", str(corpus_dir), "--qa", str(GOLD), "--limit", "3",
              "--variants-file", str(variants))
    bad = rag(*common, "--variants", "full,bad", data_dir=tmp_path / "d", netlog=tmp_path / "n")
    assert bad.returncode == 2 and "unknown setting retrieval.nope" in bad.stderr
    assert not (tmp_path / "d").exists()  # refused before any index was built

    report = tmp_path / "v.json"
    run = rag(*common, "--variants", "full,k1", "--report", str(report),
              data_dir=tmp_path / "d", netlog=tmp_path / "n")
    assert run.returncode == 0, run.stderr
    data = json.loads(report.read_text())
    assert data["variant"] == "full" and data["settings"]["retrieval"]["top_k"] == 5
    k1 = data["variants"]["k1"]
    assert k1["settings"]["retrieval"]["top_k"] == 1 and k1["overrides"]
    assert all(len(q["cited"]) <= 1 for q in k1["per_question"])
    assert [q["id"] for q in k1["per_question"]] == [q["id"] for q in data["per_question"]]
    assert len(list((tmp_path / "d" / "eval").glob("*/chroma"))) == 1  # one index
    assert "full" in run.stdout and "k1" in run.stdout


def test_ingest_eval_then_the_service_serves_the_report(tmp_path, corpus_dir, seeded,
                                                      monkeypatch):
    from service.app import create_app

    qa = tmp_path / "qa.jsonl"
    qa.write_text("".join(line + "\n" for line in GOLD.read_text().splitlines()
                          if '"q01"' in line or '"u01"' in line))
    data_dir = tmp_path / "data"
    with LiveServer(create_app(make_settings(data_dir), seeded)) as server:
        missing = httpx.get(f"{server.url}/v1/eval/latest", timeout=30)
        assert missing.status_code == 404 and "rag eval" in missing.json()["error"]["message"]

        monkeypatch.setenv("RAG_EVAL__QA", str(qa))  # read by the `rag` subprocess
        run = rag("ingest", str(corpus_dir), "--eval", data_dir=data_dir, netlog=tmp_path / "n")
        assert run.returncode == 0, run.stderr
        assert "added 5" in run.stdout and "answer.contains_gold" in run.stdout

        latest = httpx.get(f"{server.url}/v1/eval/latest", timeout=30).json()
        assert [q["id"] for q in latest["per_question"]] == ["q01", "u01"]
        assert latest["per_question"][0]["scores"]["contains_gold"] == 1.0
        page = httpx.get(f"{server.url}/v1/eval/latest.html", timeout=30)
        assert page.status_code == 200 and "q01" in page.text
    assert not list(data_dir.glob("eval/*/chroma*"))  # it asked the synced index, built no other
