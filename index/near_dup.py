"""Near-duplicate documents by MinHash over word bigrams.

Two outlets' copies of one story share many word pairs even when reworded ("border crossings",
"Homeland Security"), while different stories on the same topic share few. A document's
:class:`Signature` is the MinHash of its cleaned text's word-bigram set (256 hash functions, fixed
seeds, so signatures are comparable across processes and machines) plus the set's size. Two
documents are near-duplicates when the estimated *containment* of the smaller in the larger,
``|A ∩ B| / min(|A|, |B|)``, reaches the threshold: containment rather than Jaccard, so a short
copy inside a longer article still counts.

Candidates are found by banding (LSH, 2 rows per band) and confirmed on the full signature, so a
sync of N documents costs about O(N) rather than O(N²). Groups are connected components; a
group's id is its smallest document id, and a document without duplicates is its own group.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

NUM_HASHES = 256
ROWS_PER_BAND = 2
DEFAULT_THRESHOLD = 0.35
_BLOCK = 8192  # bigrams hashed together: 256 x 8192 x 8 bytes = 16 MB at most
_WORD = re.compile(r"\w+")
_rng = np.random.default_rng(20240611)
_MUL = (_rng.integers(1, 2**63, NUM_HASHES, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)
_ADD = _rng.integers(0, 2**63, NUM_HASHES, dtype=np.uint64)
_EMPTY = np.full(NUM_HASHES, np.iinfo(np.uint32).max, dtype=np.uint32)


@dataclass(frozen=True)
class Signature:
    """MinHash values of a document's word-bigram set, and the set's size."""

    mins: np.ndarray  # uint32, NUM_HASHES values
    size: int

    def encode(self) -> str:
        """A compact string for the manifest: ``size:base64(mins)``."""
        return f"{self.size}:{base64.b64encode(self.mins.astype('<u4').tobytes()).decode()}"

    @classmethod
    def decode(cls, value: str) -> "Signature | None":
        try:
            size, packed = value.split(":", 1)
            mins = np.frombuffer(base64.b64decode(packed), dtype="<u4").astype(np.uint32)
        except (ValueError, TypeError):
            return None
        return cls(mins, int(size)) if len(mins) == NUM_HASHES else None


def signature(text: str) -> Signature:
    words = _WORD.findall(text.lower())
    grams = {f"{a} {b}" for a, b in zip(words, words[1:])} or set(words)
    if not grams:
        return Signature(_EMPTY.copy(), 0)
    hashed = np.array(
        [int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little")
         for g in grams],
        dtype=np.uint64,
    )
    # Multiply-shift hashing: one universal hash per row, applied to a block of bigrams at a
    # time (a block bounds the memory a very long document needs).
    mins = _EMPTY.copy()
    for at in range(0, len(hashed), _BLOCK):
        block = hashed[at : at + _BLOCK]
        with np.errstate(over="ignore"):
            mixed = block[None, :] * _MUL[:, None] + _ADD[:, None]
        np.minimum(mins, (mixed >> np.uint64(32)).astype(np.uint32).min(axis=1), out=mins)
    return Signature(mins, len(grams))


def containment(a: Signature, b: Signature) -> float:
    """Estimated share of the smaller set's bigrams found in the larger one."""
    if not a.size or not b.size:
        return 0.0
    jaccard = float(np.mean(a.mins == b.mins))
    union = (a.size + b.size) / (1.0 + jaccard)
    return min(1.0, jaccard * union / min(a.size, b.size))


def duplicate_groups(signatures: Mapping[str, Signature],
                     threshold: float = DEFAULT_THRESHOLD) -> dict[str, str]:
    """Map every document id to its group id (the smallest id among its near-duplicates)."""
    parent = {doc_id: doc_id for doc_id in signatures}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in _candidate_pairs(signatures):
        if containment(signatures[a], signatures[b]) >= threshold:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return {doc_id: find(doc_id) for doc_id in signatures}


def _candidate_pairs(signatures: Mapping[str, Signature]) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for start in range(0, NUM_HASHES, ROWS_PER_BAND):
        buckets: dict[bytes, list[str]] = defaultdict(list)
        for doc_id, sig in signatures.items():
            if sig.size:
                buckets[sig.mins[start : start + ROWS_PER_BAND].tobytes()].append(doc_id)
        for members in buckets.values():
            if 1 < len(members) <= 200:  # a huge bucket is shared boilerplate, not a story
                members.sort()
                pairs.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    return pairs
