"""The one parser of citation markers: ``[n]`` after a sentence names passage ``n`` (1-based).

Everything that reads or rewrites markers goes through here: citation numbering
(``rag.citations``), verification (``rag.grounding``), streaming (``rag.answer_service``), refusal
detection (``rag.prompts``) and the eval's support check (``eval.support``), so a change of the
marker format is a change of this file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from rag.sentences import content_words, split_sentences

# A marker with the white space before it: "191,000 migrants [1]".
MARKER = re.compile(r"\s*\[(\d+)\]")
# ". [1]" (markers after the stop) and "[1] The next" (a marker closing a sentence without stop).
_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d+\])+)")
_BEFORE_CAPITAL = re.compile(r"(\])[ \t]+(?=[A-Z\"“])")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.!?,;:])")
# Where an answer may be cut for streaming: after a run of markers.
_PIECE_END = re.compile(r"(?<=\])\s+")


def numbers(text: str) -> list[int]:
    """The passage numbers the markers of ``text`` name, in order (repeats kept)."""
    return [int(m) for m in MARKER.findall(text)]


def strip(text: str) -> str:
    """``text`` without its markers."""
    return MARKER.sub("", text)


def renumber(text: str, new_number: Callable[[int], int | None]) -> str:
    """Rewrite each marker ``[n]`` as ``[new_number(n)]``, or drop it when that is ``None``."""

    def replace(m: re.Match[str]) -> str:
        n = new_number(int(m.group(1)))
        return "" if n is None else f" [{n}]"

    return MARKER.sub(replace, text).strip()


def marked_sentences(text: str) -> list[tuple[str, list[int]]]:
    """Split an answer into (sentence without markers, the markers that close it).

    Markers may stand before or after the sentence's final punctuation ("... [1]." or
    "... . [1]"); both belong to the sentence they close. A marker followed by a capital with no
    stop between also ends its sentence; a stray marker on its own closes the previous sentence.
    """
    text = _AFTER_STOP.sub(r"\2\1", text)
    text = _BEFORE_CAPITAL.sub(r"\1\n", text)
    out: list[tuple[str, list[int]]] = []
    for sentence in split_sentences(text):
        markers = numbers(sentence.text)
        bare = _SPACE_BEFORE_PUNCT.sub(r"\1", strip(sentence.text).strip())
        if not content_words(bare):
            if out and markers:
                out[-1][1].extend(markers)
            continue
        out.append((bare, markers))
    return out


def pieces(text: str) -> Iterator[str]:
    """``text`` cut after each run of markers (a cited sentence at a time); the pieces
    concatenate to ``text``, its line breaks kept (a shape's steps are lines)."""
    start = 0
    for m in _PIECE_END.finditer(text):
        yield text[start:m.end()]
        start = m.end()
    if start < len(text) or not text:
        yield text[start:]
