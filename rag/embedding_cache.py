"""An LRU cache in front of the embedder for sentence vectors.

The extractive scorer and the citation verifier both embed the retrieved passages' sentences,
and follow-up questions retrieve the same passages again: each sentence is encoded once. Texts
not in the cache are still encoded in one batch.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from index.embedder import Embedder


class CachedEmbedder:
    """An :class:`~index.embedder.Embedder` that remembers the last ``capacity`` vectors."""

    def __init__(self, inner: Embedder, capacity: int = 8192) -> None:
        self._inner = inner
        self._capacity = capacity
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.max_tokens = inner.max_tokens

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        fresh = self._inner.embed(missing) if missing else None
        with self._lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
            for i, text in enumerate(missing):
                found[text] = fresh[i]  # type: ignore[index]
                self._cache[text] = fresh[i]  # type: ignore[index]
            for text in texts:
                if text in self._cache:
                    self._cache.move_to_end(text)
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)

    def tokenize(self, text: str) -> list[str]:
        return self._inner.tokenize(text)
