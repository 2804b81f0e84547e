"""Which documents one ingest worker owns, so several workers can share one index.

A sync only adds, replaces, deletes and garbage-collects documents inside its scope: a worker
given ``prefix="a/"`` never deletes the documents another worker indexed under ``b/``, and a
worker given ``shard=(0, 2)`` owns the half of the ids whose CRC-32 is even (of the id up to its
first ``#``: a mail's attachments, ``mail.eml#a.pdf``, are always owned with the mail). Two scopes may be
written at once only if they are disjoint (:meth:`Scope.overlaps`); index/lock.py enforces it.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

from index.errors import InputError

ATTACHMENT_MARK = "#"  # index.attachments.MARK (not imported: attachments imports the loaders)


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

    def owns(self, doc_id: str) -> bool:
        if not doc_id.startswith(self.prefix):
            return False
        if self.shard is None:
            return True
        k, n = self.shard
        # a mail's attachments (``mail.eml#a.pdf``, index/attachments.py) go with the mail
        return zlib.crc32(doc_id.partition(ATTACHMENT_MARK)[0].encode()) % n == k

    def overlaps(self, other: "Scope") -> bool:
        """True unless no document id can be owned by both scopes (then they may run at once).

        Prefixes are disjoint when neither starts with the other ('a/' and 'b/'); 'a/' and 'a/b/'
        overlap, and so do 'a' and 'ab/' (ids are matched as strings). Within overlapping
        prefixes, shards k1/n1 and k2/n2 are disjoint exactly when k1 and k2 differ modulo
        gcd(n1, n2) (no CRC-32 can leave both remainders), e.g. 0/2 and 1/2, or 0/2 and 1/4. An
        unsharded scope overlaps every shard under its prefix.
        """
        if not (self.prefix.startswith(other.prefix) or other.prefix.startswith(self.prefix)):
            return False
        if self.shard is None or other.shard is None:
            return True
        (k1, n1), (k2, n2) = self.shard, other.shard
        g = math.gcd(n1, n2)
        return k1 % g == k2 % g

    def to_json(self) -> dict[str, object]:
        return {"prefix": self.prefix, "shard": list(self.shard) if self.shard else None}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> "Scope":
        shard = data.get("shard")
        return cls(str(data.get("prefix") or ""),
                   (int(shard[0]), int(shard[1])) if isinstance(shard, list) else None)

    def describe(self) -> str:
        parts = [f"prefix {self.prefix!r}"] if self.prefix else []
        if self.shard:
            parts.append(f"shard {self.shard[0]}/{self.shard[1]}")
        return ", ".join(parts) or "the whole index"
