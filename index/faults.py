"""Named checkpoints in the write path, for crash tests of a real ingest process.

Production code calls :func:`checkpoint` at the moments a crash matters (chunks written but not
committed, committed but old chunks not yet deleted, ...). It does nothing unless the
environment variable ``RAG_FAULT_AT`` is ``NAME:N[:pause|mark]``: at the N-th time checkpoint
NAME is reached the process creates the file ``RAG_FAULT_FILE`` and then either blocks forever
(``pause``, the default; the test kills it with SIGKILL) or carries on (``mark``; the test kills
it at whatever it is doing next).
"""

from __future__ import annotations

import os
import time
from collections import Counter

_hits: Counter[str] = Counter()


def checkpoint(name: str) -> None:
    spec = os.environ.get("RAG_FAULT_AT")
    if not spec:
        return
    target, _, rest = spec.partition(":")
    if target != name:
        return
    count, _, mode = rest.partition(":")
    _hits[name] += 1
    if _hits[name] != int(count or 1):
        return
    marker = os.environ.get("RAG_FAULT_FILE")
    if marker:
        with open(marker, "w") as fh:
            fh.write(f"{os.getpid()} {name}:{_hits[name]}\n")
    while mode != "mark":
        time.sleep(3600)
