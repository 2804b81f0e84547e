"""The peer comparison (bench/peer.py): plain llama-index and ours on the same files and questions,
scored by document from the real rankings."""

from __future__ import annotations

from pathlib import Path

from bench.peer import _scores, run_peer
from eval.metrics import hit_at_k
from tests.helpers import ROOT, make_settings


def test_scores_count_the_right_document_first_and_in_the_top_five():
    ranked = [["a", "b"], ["b", "a", "a"], ["c", "d", "e", "f", "g", "a"]]
    gold = [["a"], ["a"], ["a"]]
    assert _scores(ranked, gold) == {"hit_at_1": round(1 / 3, 4), "hit_at_5": round(2 / 3, 4),
                                     "mrr": round((1 + 0.5 + 1 / 6) / 3, 4)}
    assert hit_at_k(["x", "x", "a"], ["a"], 2) == 1.0  # distinct documents, not passages


def test_both_systems_rank_the_sample_corpus(tmp_path: Path, embedder, corpus_dir):
    settings = make_settings(tmp_path / "data")
    report = run_peer(settings, corpus_dir, ROOT / "eval" / "gold" / "sample_qa.jsonl", embedder)
    assert report["questions"] > 40
    for name in ("llama_index", "ours"):
        ranked = report[name]["ranked"]
        assert len(ranked) == report["questions"]
        names = {p.name for p in corpus_dir.iterdir()}
        assert all(d in names for r in ranked for d in r), "rankings name the corpus's files"
        assert 0.5 <= report[name]["hit_at_5"] <= 1.0
    assert report["hit_at_1_gain"] == round(report["ours"]["hit_at_1"]
                                            - report["llama_index"]["hit_at_1"], 4)
