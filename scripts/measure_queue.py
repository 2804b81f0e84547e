"""Measure queued syncs (docs/scale.md). Real servers on 127.0.0.1, started here.

  queue N   the first N covidqa papers (default 40) through `rag ingest --queue` with one
            `rag worker`, then with two, each into a fresh collection of one `chroma run`:
            jobs, attempts, redeliveries, seconds, load average, the Chroma server's RSS
  memory N  N chunks shaped like ours (384-d vectors, 700-character texts, our metadata keys)
            into a fresh `chroma run`, in batches of 2,000: its RSS and disk before and after

Usage: .venv/bin/python scripts/measure_queue.py queue|memory [N]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import SHARED  # noqa: E402
from tests.queue_cluster import (ChromaServer, RedisServer, cluster_env, kill_group,  # noqa: E402
                                 start_worker)

COVIDQA = SHARED / "benchmarks" / "covidqa" / "corpus"


def rss_mb(pid: int) -> float:
    line = next(x for x in open(f"/proc/{pid}/status") if x.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def disk_mb(path: Path) -> int:
    return int(subprocess.run(["du", "-sm", str(path)], capture_output=True,
                              text=True).stdout.split()[0])


def queue(count: int, tmp: Path) -> None:
    corpus = tmp / "corpus"
    corpus.mkdir()
    for f in sorted(COVIDQA.iterdir())[:count]:
        shutil.copy(f, corpus / f.name)
    redis, chroma = RedisServer(tmp / "redis").start(), ChromaServer(tmp / "chroma").start()
    try:
        print(f"chroma RSS at start {rss_mb(chroma.proc.pid):.1f} MB", flush=True)
        for workers in (1, 2):
            name = f"queue-{workers}-workers"
            procs = [start_worker(cluster_env(redis, chroma.port, name, tmp / f"{name}-{i}"),
                                  tmp / f"{name}-{i}.log", f"{name}-{i}") for i in range(workers)]
            time.sleep(20)  # the workers are up before the clock starts
            load, started = os.getloadavg(), time.time()
            out = subprocess.run([sys.executable, "-m", "cli", "ingest", str(corpus), "--queue",
                                  "--json"], env=cluster_env(redis, chroma.port, name,
                                                             tmp / f"coordinator-{workers}"),
                                 cwd=ROOT, capture_output=True, text=True, check=True)
            wall = time.time() - started
            s = json.loads(out.stdout)
            print(json.dumps({"workers": workers, "documents": count, "wall_s": round(wall, 1),
                              "sync_s": s["seconds"], "jobs": s["jobs"],
                              "attempts": s["attempts"], "redeliveries": s["redeliveries"],
                              "chunks": s["chunks_written"], "load_before": load,
                              "load_after": os.getloadavg(),
                              "chroma_rss_mb": round(rss_mb(chroma.proc.pid), 1)}), flush=True)
            for proc in procs:
                kill_group(proc, 15)
        print(f"chroma disk {disk_mb(tmp / 'chroma' / 'db')} MB", flush=True)
    finally:
        chroma.stop()
        redis.stop()


def memory(count: int, tmp: Path) -> None:
    import chromadb
    import numpy as np

    chroma = ChromaServer(tmp / "chroma").start()
    try:
        col = chromadb.HttpClient(host="127.0.0.1", port=chroma.port).get_or_create_collection(
            "memory", embedding_function=None, metadata={"hnsw:space": "cosine"})
        rng = np.random.default_rng(7)
        text = ("lorem ipsum dolor sit amet " * 26)[:700]
        before, started, batch = rss_mb(chroma.proc.pid), time.time(), 2000
        for i in range(0, count, batch):
            v = rng.standard_normal((batch, 384)).astype(np.float32)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            ids = range(i, i + batch)
            col.add(ids=[f"d{j // 30}#abcdef123456#{j}" for j in ids], embeddings=v,
                    documents=[text] * batch, metadatas=[{
                        "doc_id": f"d{j // 30}", "doc_hash": "ab" * 32, "title": "A title",
                        "start": j, "end": j + 700, "chunk_index": j % 30,
                        "dup_group": f"d{j // 30}", "collection": "default"} for j in ids])
        col.query(query_embeddings=[v[0].tolist()], n_results=5)
        time.sleep(2)
        after, disk = rss_mb(chroma.proc.pid), disk_mb(tmp / "chroma" / "db")
        print(json.dumps({"chunks": count, "rss_before_mb": round(before, 1),
                          "rss_after_mb": round(after, 1),
                          "rss_gb_per_million": round((after - before) / count * 1e6 / 1024, 2),
                          "disk_mb": disk, "disk_gb_per_million": round(disk / count * 1e6 / 1024, 2),
                          "seconds": round(time.time() - started, 1)}), flush=True)
    finally:
        chroma.stop()


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "queue"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else (40 if what == "queue" else 60000)
    folder = Path(tempfile.mkdtemp(prefix=f"measure-{what}-"))
    try:
        {"queue": queue, "memory": memory}[what](n, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
