"""Kill a real `rag ingest` with SIGKILL at several moments; the index must stay whole.

Each run is stopped at a named checkpoint of the write path (index/faults.py) or, for one run,
killed while it carries on. After every kill, a fresh process inspects the index: it answers a
query, every document is entirely at its old or its new version (all of its committed chunks
present), and nothing half-written is visible. A second ingest started while one is running is
refused with a clear message. The last, uninterrupted run completes the work.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.context import VERSION
from index.formats import reader_version
from index.ingest import version_hash
from rag.factory import build_pipeline
from rag.settings.indexing import ChunkingSettings
from tests.helpers import ROOT, SUPPORT

# a text file's version hash folds in the chunking signature (when context headers are on) and
# the text reader's version (index/ingest.py)
SIGNATURE = "|".join(x for x in (VERSION if ChunkingSettings().context_headers else "",
                                 reader_version("text")) if x)

# Subprocesses that load the model, or whole eval runs: not in the fast subset.
pytestmark = pytest.mark.slow

TOPICS = ["orchards", "harbours", "railways", "libraries", "bridges", "markets", "glaciers",
          "vineyards", "lighthouses", "observatories", "canals", "forests"]
QUESTION = "How do the railways handle winter storms?"


def story(topic: str, version: int, paragraphs: int = 6) -> str:
    """A report with its own vocabulary (so reports are not near-duplicates of each other)."""
    rng = random.Random(topic)
    words = ["".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3))
             for _ in range(400)]
    lines = [f"Report on {topic}"]
    for p in range(paragraphs):
        body = " ".join(rng.choice(words) for _ in range(45))
        lines.append(f"The {topic} handle winter storms in district {p}. {body.capitalize()}.")
    if version == 2:
        lines.append(f"Edition two adds that the {topic} budget grew in district {paragraphs}.")
    return "\n\n".join(lines) + "\n"


def write_corpus(root: Path, version: int) -> dict[str, str]:
    """v1: twelve stories. v2: four changed, two removed, two added (one a copy of another)."""
    root.mkdir(exist_ok=True)
    for f in root.iterdir():
        f.unlink()
    texts = {f"{t}.txt": story(t, 1) for t in TOPICS}
    if version == 2:
        for t in TOPICS[:4]:
            texts[f"{t}.txt"] = story(t, 2)
        for t in TOPICS[-2:]:
            del texts[f"{t}.txt"]
        texts["aqueducts.txt"] = story("aqueducts", 2)
        texts["aaa-copy-of-markets.txt"] = texts["markets.txt"].replace("Report on", "Copy of")
    hashes = {}
    for name, text in texts.items():
        (root / name).write_text(text)
        # a version's hash: the file's, with SIGNATURE folded in (index/ingest.py)
        hashes[name] = version_hash(hashlib.sha256(text.encode()).hexdigest(), SIGNATURE)
    return hashes


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_FAULT", "HF_"))}
    env.update(PYTHONPATH=f"{SUPPORT}{os.pathsep}{ROOT}", RAG_DATA_DIR=str(data_dir), **extra)
    return env


def start_ingest(corpus: Path, data_dir: Path, fault: str, marker: Path,
                 **extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "ingest", str(corpus), "--json"], cwd=ROOT,
        env=env_for(data_dir, RAG_FAULT_AT=fault, RAG_FAULT_FILE=str(marker), **extra),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(marker: Path, proc: subprocess.Popen) -> None:
    """Wait until the process reaches its checkpoint (a hang guard, not a timing assertion)."""
    deadline = time.monotonic() + 600
    while not marker.exists():
        if proc.poll() is not None:
            pytest.fail(f"ingest ended before its checkpoint: {proc.communicate()[1][-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("ingest never reached its checkpoint")
        time.sleep(0.05)


def inspect(data_dir: Path, vector: list[float]) -> dict:
    out = subprocess.run([sys.executable, "-m", "tests.inspect_index", str(data_dir),
                          json.dumps(vector)], cwd=ROOT, env=env_for(data_dir),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def assert_whole(state: dict, v1: dict[str, str], v2: dict[str, str]) -> None:
    """Every committed document is one complete version; queries see only committed chunks."""
    records = state["records"]
    assert records, "the index lost every document"
    for doc_id, rec in records.items():
        assert rec["hash"] in {v1.get(doc_id), v2.get(doc_id)}, doc_id
        assert state["versions"].get(f"{doc_id}@{rec['hash']}") == rec["chunks"], doc_id
    committed = {f"{d}@{r['hash']}" for d, r in records.items()}
    assert state["hits"], "the index does not answer"
    assert set(state["hits"]) <= committed  # orphans of a crashed write stay invisible


def test_killed_ingest_leaves_a_whole_index_and_the_next_run_completes(
        tmp_path: Path, embedder):
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    v1 = write_corpus(corpus, 1)
    from tests.helpers import make_settings

    first = build_pipeline(make_settings(data), embedder=embedder).ingest.sync(corpus)
    assert len(first.added) == 12
    del first
    vector = embedder.embed([QUESTION])[0].tolist()
    v2 = write_corpus(corpus, 2)

    kills = [
        ("chunks_written:2:mark", False),  # killed while it carries on writing
        ("chunks_written:1", False),       # new chunks stored, manifest not yet committed
        ("committed:2", True),             # committed, old version's chunks not yet deleted
        ("manifest_deleted:1", False),     # a vanished file left the manifest, chunks remain
    ]
    for i, (fault, try_second_writer) in enumerate(kills):
        marker = tmp_path / f"marker-{i}"
        # A group of documents is written in one go (chunks, then records): the run killed
        # while it carries on writes one document per group, so documents are still left for
        # the next runs to write (the others write the rest as one group).
        extra = {"RAG_INGEST__EMBED_GROUP_CHUNKS": "1"} if fault.endswith(":mark") else {}
        proc = start_ingest(corpus, data, fault, marker, **extra)
        wait_for(marker, proc)
        if try_second_writer:
            second = subprocess.run([sys.executable, "-m", "cli", "ingest", str(corpus)],
                                    cwd=ROOT, env=env_for(data), capture_output=True,
                                    text=True, timeout=600)
            assert second.returncode == 2
            assert "is being written by another process (pid" in second.stderr
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, fault
        assert_whole(inspect(data, vector), v1, v2)

    # retain=1: the releases the killed runs left behind are collected with their chunks
    done = subprocess.run([sys.executable, "-m", "cli", "ingest", str(corpus), "--json"],
                          cwd=ROOT, env=env_for(data, RAG_RELEASES__RETAIN="1"),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["failed"] == 0
    state = inspect(data, vector)
    assert {d: r["hash"] for d, r in state["records"].items()} == v2
    # no orphans: exactly the committed chunks are stored
    assert state["versions"] == {f"{d}@{r['hash']}": r["chunks"]
                                 for d, r in state["records"].items()}
    groups = {d: r["dup_group"] for d, r in state["records"].items()}
    assert groups["markets.txt"] == groups["aaa-copy-of-markets.txt"] == "aaa-copy-of-markets.txt"
    assert groups["railways.txt"] == "railways.txt"
