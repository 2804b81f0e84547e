"""Which documents one ingest worker owns, so several workers can share one index.

A sync only adds, replaces, deletes and garbage-collects documents inside its scope: a worker
given ``prefix="a/"`` never deletes the documents another worker indexed under ``b/``, and a
worker given ``shard=(0, 2)`` owns the half of the ids whose CRC-32 is even.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from index.errors import InputError


@dataclass(frozen=True)
class Scope:
    """A path prefix of document ids and/or a hash shard ``(k, n)``; the default owns all."""

    prefix: str = ""
    shard: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.prefix.startswith("/") or ".." in self.prefix.split("/"):
            raise InputError(f"partition prefix {self.prefix!r} must be relative to the corpus "
                             "root, e.g. 'reports/2024/'")
        if self.shard is not None:
            k, n = self.shard
            if not (n >= 1 and 0 <= k < n):
                raise InputError(f"shard {k}/{n} is invalid: use K/N with 0 <= K < N")

    @classmethod
    def parse_shard(cls, value: str, prefix: str = "") -> "Scope":
        try:
            k, n = (int(x) for x in value.split("/"))
        except ValueError:
            raise InputError(f"shard {value!r} is invalid: use K/N, e.g. 0/4") from None
        return cls(prefix, (k, n))

    @property
    def is_everything(self) -> bool:
        return not self.prefix and self.shard is None

    @property
    def key(self) -> str:
        """A file-name-safe name of the scope (used for its lock)."""
        if self.is_everything:
            return "all"
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in self.prefix)
        return f"p-{safe or '_'}" + (f"-s{self.shard[0]}of{self.shard[1]}" if self.shard else "")

    def owns(self, doc_id: str) -> bool:
        if not doc_id.startswith(self.prefix):
            return False
        if self.shard is None:
            return True
        k, n = self.shard
        return zlib.crc32(doc_id.encode()) % n == k

    def describe(self) -> str:
        parts = [f"prefix {self.prefix!r}"] if self.prefix else []
        if self.shard:
            parts.append(f"shard {self.shard[0]}/{self.shard[1]}")
        return ", ".join(parts) or "the whole index"
