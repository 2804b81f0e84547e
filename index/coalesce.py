"""Encode concurrent requests together: one encoder call for every caller waiting.

The encoder runs one call at a time (its tokenizer is not thread-safe). Under concurrent
requests each question used to wait for every earlier question's own encode; a batch of eight
short questions costs little more than one, so whoever gets the encoder next takes all the texts
queued meanwhile and hands each caller its rows. A lone caller is encoded alone, exactly as
before; results do not depend on what else was in the batch (padding is masked).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

Encode = Callable[[list[str]], np.ndarray]


@dataclass
class _Job:
    texts: Sequence[str]
    done: bool = False
    result: np.ndarray | None = None
    error: BaseException | None = None


class Coalescer:
    """Runs ``encode`` under ``lock`` for the texts of every waiting caller at once, taking at
    most ``max_texts`` texts per call (more when a single caller asks for more)."""

    def __init__(self, encode: Encode, lock: threading.Lock, max_texts: int) -> None:
        self._encode = encode
        self._lock = lock
        self._max_texts = max_texts
        self._pending: list[_Job] = []
        self._queue_lock = threading.Lock()

    def run(self, texts: Sequence[str]) -> np.ndarray:
        job = _Job(texts)
        with self._queue_lock:
            self._pending.append(job)
        # Whoever holds the encoder lock next encodes everything queued, this job included
        # unless the batch is full; a follower finds its job done when it gets the lock.
        while not job.done:
            with self._lock:
                if not job.done:
                    self._lead()
        if job.error is not None:
            raise job.error
        assert job.result is not None
        return job.result

    def _lead(self) -> None:
        with self._queue_lock:
            batch, total = [], 0
            while self._pending and (not batch or
                                     total + len(self._pending[0].texts) <= self._max_texts):
                job = self._pending.pop(0)
                batch.append(job)
                total += len(job.texts)
        texts = [t for job in batch for t in job.texts]
        try:
            vectors = self._encode(texts)
        except BaseException as exc:
            for job in batch:
                job.error, job.done = exc, True
            return
        at = 0
        for job in batch:
            job.result = vectors[at:at + len(job.texts)]
            at += len(job.texts)
            job.done = True
