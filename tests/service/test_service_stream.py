"""Streaming stops when the client goes away; the bind address follows the key settings."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator

import httpx

from rag.answer_service import StreamDelta, StreamEvent
from service.server import bind_host
from tests.helpers import LiveServer, make_settings


class EndlessAnswers:
    """Stands in for AnswerService.stream: pieces forever, until the generator is closed."""

    def __init__(self) -> None:
        self.closed = threading.Event()
        self.pieces = 0

    def stream(self, question: str, history=(), options=None) -> Iterator[StreamEvent]:  # noqa: ANN001
        try:
            while True:
                self.pieces += 1
                yield StreamDelta(f"piece {self.pieces} ")
                time.sleep(0.01)  # be gentle with the CPU while the client reads
        finally:
            self.closed.set()


def test_client_disconnect_stops_the_work(seeded):
    from service.app import create_app

    answers = EndlessAnswers()
    pipeline = dataclasses.replace(seeded, answers=answers)
    with LiveServer(create_app(seeded.settings, pipeline)) as server:
        with httpx.stream("POST", f"{server.url}/v1/ask/stream", json={"question": "go on"},
                          timeout=30) as r:
            first = next(r.iter_lines())
        assert first == "event: delta"
        assert answers.closed.wait(30), "the generator was not closed after the disconnect"
        stopped_at = answers.pieces
        metrics = httpx.get(f"{server.url}/metrics").text
        assert "rag_stream_disconnects_total 1.0" in metrics
        assert answers.pieces == stopped_at  # nothing more was pulled once closed


def test_without_keys_binds_to_loopback_only(tmp_path, caplog):
    open_settings = make_settings(tmp_path / "a")
    assert bind_host(open_settings, "0.0.0.0") == "127.0.0.1"
    assert "binding to 127.0.0.1 only" in caplog.text
    assert bind_host(open_settings, "::1") == "::1"
    keyed = make_settings(tmp_path / "b", server={"read_api_key": "k" * 20,
                                                  "admin_api_key": "a" * 20})
    assert bind_host(keyed, "0.0.0.0") == "0.0.0.0"
    assert "k" * 20 not in repr(keyed) and "a" * 20 not in keyed.model_dump_json()


def test_short_api_keys_are_refused(tmp_path):
    import pytest

    from index.errors import ConfigError

    with pytest.raises(ConfigError, match="server.read_api_key.*at least 16"):
        make_settings(tmp_path, server={"read_api_key": "hunter2"})
