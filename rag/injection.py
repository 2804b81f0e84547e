"""Passages that only give the model orders (a prompt injection planted as a document).

Sentences that read as instructions (``rag.instructions.instruction_like``) are never evidence nor
support, wherever they are. A passage made of nothing else, apart from headings, title lines and
questions, is dropped from retrieval altogether (:func:`hostile`): it can state no fact, and
letting it take one of the top-k places would push a real passage out and put the orders in front
of an LLM. A passage that mixes facts and orders stays; its orders are ignored sentence by
sentence.
"""

from __future__ import annotations

import functools
import hashlib
import sys
import unicodedata
from pathlib import Path

from rag import instructions, selection, sentences
from rag.instructions import instruction_like, may_hold_instruction
from rag.selection import is_fragment
from rag.sentences import split_sentences


@functools.lru_cache(maxsize=1 << 14)
def hostile(text: str, title: str = "") -> bool:
    """Whether ``text`` holds an instruction to the model and no statement besides it.
    Cached: retrieval asks it of every candidate passage, and the same passages come back
    question after question."""
    if not may_hold_instruction(text):  # most passages: one search, no sentence split
        return False
    return orders_only(text, title)


@functools.cache
def screen_version() -> str:
    """Names the code :func:`hostile` runs (this module's and the three it calls into, with the
    Unicode tables and the interpreter behind them): verdicts stored under another name were
    decided by other code, so the release replica judges its chunks again (index.replica)."""
    h = hashlib.sha256(f"{unicodedata.unidata_version}|{sys.version_info[:2]}".encode())
    for module in (sys.modules[__name__], selection, sentences, instructions):
        h.update(Path(module.__file__ or "").read_bytes())
    return h.hexdigest()[:16]


def orders_only(text: str, title: str = "") -> bool:
    """The sentence check: some sentence of ``text`` is an instruction, and every other one is a
    question or a fragment (a heading, the title)."""
    said = [s.text for s in split_sentences(text)]
    orders = [instruction_like(s) for s in said]
    if not any(orders):
        return False
    return all(order or s.rstrip().endswith("?") or is_fragment(s, title)
               for s, order in zip(said, orders))
