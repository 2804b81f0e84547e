"""A bounded, thread-safe map of the most recently used results (the spaCy pipeline's entities,
tags and answer types, by text)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class Memo:
    """The most recently used results, ``size`` at most, shared by threads."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: str, value: Any) -> Any:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value
