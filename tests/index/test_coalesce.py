"""Concurrent encoder calls are coalesced into one, and each caller gets exactly its rows."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from index.coalesce import Coalescer


class GatedEncoder:
    """Records each call's texts; the first call blocks until ``release`` is set."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail = fail

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        if len(self.calls) == 1:
            self.entered.set()
            assert self.release.wait(10)
        if self.fail and len(self.calls) > 1:
            raise RuntimeError("encoder broke")
        return np.array([[float(len(t)), float(ord(t[0]))] for t in texts])


def _start(coalescer: Coalescer, texts: list[str], out: dict, key: str) -> threading.Thread:
    def work() -> None:
        try:
            out[key] = coalescer.run(texts)
        except RuntimeError as exc:
            out[key] = exc

    t = threading.Thread(target=work)
    t.start()
    return t


def _queued(coalescer: Coalescer, n: int) -> None:
    deadline = time.monotonic() + 10
    while len(coalescer._pending) < n:
        assert time.monotonic() < deadline, "callers did not queue"
        time.sleep(0.005)


def _while_first_call_runs(coalescer: Coalescer, encode: GatedEncoder,
                           callers: dict[str, list[str]]) -> dict:
    """The first caller's encode blocks until the others have queued, one after another."""
    out: dict = {}
    (first, texts), *rest = callers.items()
    threads = [_start(coalescer, texts, out, first)]
    assert encode.entered.wait(10)
    for key, texts in rest:
        threads.append(_start(coalescer, texts, out, key))
        _queued(coalescer, len(threads) - 1)
    encode.release.set()
    for t in threads:
        t.join(10)
    return out


def test_callers_waiting_for_the_encoder_share_one_call():
    encode = GatedEncoder()
    coalescer = Coalescer(encode, threading.Lock(), max_texts=64)
    out = _while_first_call_runs(coalescer, encode, {"a": ["a"], "b": ["bb"],
                                                     "c": ["ccc", "c"], "d": ["dddd"]})
    assert encode.calls == [["a"], ["bb", "ccc", "c", "dddd"]]
    assert out["a"].tolist() == [[1.0, ord("a")]]
    assert out["b"].tolist() == [[2.0, ord("b")]]
    assert out["c"].tolist() == [[3.0, ord("c")], [1.0, ord("c")]]
    assert out["d"].tolist() == [[4.0, ord("d")]]


def test_a_full_batch_leaves_the_rest_for_the_next_call():
    encode = GatedEncoder()
    coalescer = Coalescer(encode, threading.Lock(), max_texts=2)
    out = _while_first_call_runs(coalescer, encode, {k: [k] for k in "abcd"})
    assert encode.calls == [["a"], ["b", "c"], ["d"]]
    assert all(out[k].tolist() == [[1.0, ord(k)]] for k in "abcd")


def test_an_encoder_error_reaches_every_caller_of_that_call():
    encode = GatedEncoder(fail=True)
    coalescer = Coalescer(encode, threading.Lock(), max_texts=64)
    out = _while_first_call_runs(coalescer, encode, {k: [k] for k in "abc"})
    assert out["a"].tolist() == [[1.0, ord("a")]]
    assert isinstance(out["b"], RuntimeError) and isinstance(out["c"], RuntimeError)
    with pytest.raises(RuntimeError):  # a later call still runs (and this encoder still fails)
        coalescer.run(["e"])


def test_real_model_concurrent_vectors_equal_sequential_ones(embedder):
    questions = [f"How many migrants crossed the border in month {i}?" for i in range(16)]
    alone = [embedder.embed([q])[0] for q in questions]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda q: embedder.embed([q])[0], questions))
    for a, b in zip(alone, together):
        assert np.allclose(a, b, atol=1e-5)
