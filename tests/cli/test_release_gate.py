"""The release gate end to end, through the `rag` command, with the real model, a real Chroma
index and the sample corpus's own gold set (eval/gold/sample_qa.jsonl)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli.main import main
from tests.helpers import ROOT

pytestmark = pytest.mark.slow

GOLD = ROOT / "eval" / "gold" / "sample_qa.jsonl"
TOLERANCES = ROOT / "eval" / "gold" / "sample_tolerances.toml"  # as scripts/run.sh sets them
BORDER_PATROL = ["002_696000928d11651b.txt", "004_e904c1ee689fa2a3.txt"]
NOVEMBER = "How many migrants did Border Patrol apprehend in November?"
LIGHTHOUSE = ("Notes from the Kilnsea lighthouse\n\nThe Kilnsea lighthouse keeper Marguerite "
              "Olafsdottir repainted the lamp room in cobalt blue in 1987. The tower stands on "
              "the dunes south of the village and its lamp was electrified in 1952.\n")
LIGHTHOUSE_Q = "Who repainted the lamp room of the Kilnsea lighthouse?"


def rag(capsys, data: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data), *args])
    out, err = capsys.readouterr()
    return code, out, err


def ask(capsys, data: Path, question: str) -> dict:
    code, out, err = rag(capsys, data, "ask", question, "--json")
    assert code == 0, err
    return json.loads(out)


def test_gate_holds_a_harmful_change_and_publishes_a_benign_one(
        capsys, monkeypatch, tmp_path: Path, corpus_copy: Path):
    monkeypatch.setenv("RAG_EVAL__GOLD", str(GOLD))  # releases.policy defaults to "gate"
    monkeypatch.setenv("RAG_EVAL__TOLERANCES", str(TOLERANCES))
    data = tmp_path / "data"
    code, out, err = rag(capsys, data, "ingest", str(corpus_copy))
    assert code == 0, err
    assert "release r1: published" in out  # nothing published before: nothing to compare

    # the two Border Patrol reports deleted: the gold questions about them lose their answer
    saved = tmp_path / "saved"
    saved.mkdir()
    for name in BORDER_PATROL:
        shutil.move(corpus_copy / name, saved / name)
    code, out, err = rag(capsys, data, "ingest", str(corpus_copy))
    assert code == 3, out + err
    assert "release r2: HELD by the gate" in out
    assert "gate: release r2 vs published r1: FAILED" in out
    report = json.loads((data / "releases" / "r2" / "report.json").read_text())
    assert (data / "releases" / "r2" / "report.html").is_file()
    assert report["outcome"] == "failed" and report["documents"]["deleted"] == BORDER_PATROL
    worse = {q["id"]: q for q in report["worse"]}
    assert "q01" in worse and "gold_lost" in worse["q01"]["kinds"]
    blamed = {c["doc_id"] for c in worse["q01"]["causes"] if c["change"] == "deleted"}
    assert blamed and blamed <= set(BORDER_PATROL)
    assert any(m["failed"] and m["name"] == "answer.contains_gold" for m in report["metrics"])
    # q01 (the November figure) is named in the terminal output with its cause
    assert "WORSE q01" in out and "deleted" in out

    # the published release keeps answering
    answer = ask(capsys, data, NOVEMBER)
    assert "191,000" in answer["answer"] and answer["release"] == "r1"
    code, out, _ = rag(capsys, data, "releases", "show", "r2", "--json")
    shown = json.loads(out)
    assert shown["state"] == "held" and shown["report"]["worse"]
    code, out, _ = rag(capsys, data, "releases", "list")
    assert code == 0 and "r1  published" in out and "r2  held" in out
    code, _, err = rag(capsys, data, "releases", "publish", "r2")
    assert code == 2 and "held by the gate" in err and "--force" in err

    # a benign change: the reports back, one new unrelated document
    for name in BORDER_PATROL:
        shutil.move(saved / name, corpus_copy / name)
    (corpus_copy / "lighthouse.txt").write_text(LIGHTHOUSE)
    code, out, err = rag(capsys, data, "ingest", str(corpus_copy))
    assert code == 0, out + err
    assert "release r3: published" in out and "PASSED" in out
    answer = ask(capsys, data, LIGHTHOUSE_Q)
    assert not answer["refused"] and answer["release"] == "r3"
    assert answer["citations"][0]["doc_id"] == "lighthouse.txt"
    code, out, _ = rag(capsys, data, "releases", "diff", "r1", "r3")
    assert code == 0 and "+ lighthouse.txt" in out

    code, out, err = rag(capsys, data, "releases", "rollback")
    assert code == 0 and "release r1 is published again" in out, err
    answer = ask(capsys, data, LIGHTHOUSE_Q)
    assert answer["release"] == "r1"
    assert all(c["doc_id"] != "lighthouse.txt" for c in answer["citations"])
    code, out, err = rag(capsys, data, "releases", "publish", "r3")
    assert code == 0 and "release r3 is published" in out, err
    answer = ask(capsys, data, LIGHTHOUSE_Q)
    assert answer["release"] == "r3" and answer["citations"][0]["doc_id"] == "lighthouse.txt"

    code, _, err = rag(capsys, data, "releases", "show", "r42")
    assert code == 2 and "no release 'r42'" in err
