"""Run a producer ahead of its consumer: what ingest loads, cleans and chunks in one thread
while the encoder (which releases the GIL) embeds in another (index/ingest.py)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


def ahead(items: Iterator[T], size: int) -> Iterator[T]:
    """Yield ``items`` as a background thread produces them, at most ``size`` ahead.

    An exception in the producer is raised here; when the consumer stops early (an error while
    writing), the producer is told to stop and is waited for.
    """
    out: queue.Queue[object] = queue.Queue(maxsize=size)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        out.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            out.put(_DONE)
        except BaseException as exc:  # handed to the consumer
            out.put(exc)

    thread = threading.Thread(target=produce, name="ingest-prepare", daemon=True)
    thread.start()
    try:
        while True:
            item = out.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting to put
            try:
                out.get_nowait()
            except queue.Empty:
                thread.join(0.05)
