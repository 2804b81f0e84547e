"""Run a blocking event generator (``AnswerService.stream``) off the event loop, for SSE.

Each ``next()`` runs in the thread pool, so the loop stays free while the model works. Between
events the client's connection is checked; when it has gone, the generator is closed (its
``finally`` blocks run and no further work is done) and the disconnect is counted.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Generic, TypeVar

import anyio
from starlette.concurrency import run_in_threadpool

T = TypeVar("T")
_END = object()


def sse(event: str, data: object) -> str:
    """One Server-Sent Event; ``data`` is sent as compact JSON on one line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


class OffLoopStream(Generic[T]):
    """Pull events from a blocking iterator in worker threads, stopping if the client leaves."""

    def __init__(self, iterator: Iterator[T], is_disconnected: Callable[[], Awaitable[bool]],
                 on_disconnect: Callable[[], None] = lambda: None) -> None:
        self._it = iterator
        self._is_disconnected = is_disconnected
        self._on_disconnect = on_disconnect
        self._first: object = _END

    async def start(self) -> None:
        """Pull the first event now, so errors in the request itself surface as plain 4xx."""
        try:
            self._first = await run_in_threadpool(next, self._it, _END)
        except BaseException:
            self.close()
            raise

    async def events(self) -> AsyncIterator[T]:
        """Yield the events; errors of the generator propagate to the caller."""
        item = self._first
        try:
            while item is not _END:
                yield item  # type: ignore[misc]
                if await self._is_disconnected():
                    self._on_disconnect()
                    return
                item = await run_in_threadpool(next, self._it, _END)
        except (GeneratorExit, anyio.get_cancelled_exc_class()):
            self._on_disconnect()  # the server cancelled the response: the client went away
            raise
        finally:
            self.close()

    def close(self) -> None:
        close = getattr(self._it, "close", None)
        if close is not None:
            close()
