"""Sentences that read as orders to a model (prompt injections), however they are spelt.

Documents are data: a sentence :func:`instruction_like` finds is never evidence nor support.
RE2 screens each text in linear time; Python's ``re`` gives the verdict on what it lets through.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from typing import Any

_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,30}\b(?:instructions|prompts?|"
    r"system messages?|rules)\b"
    r"|\bsystem (?:prompt|message|notice|instruction)s?\b|\bprompt override\b"
    r"|\b(?:you are now|pretend to be|from now on,? you)\b"
    r"|\b(?:reveal|print|repeat|output|show)\b[^.!?\n]{0,30}\b(?:prompt|instructions)\b"
    r"|\b(?:respond|reply|answer|output)\b[^.!?\n]{0,10}\b(?:only|exactly)\s+(?:with\s+)?"
    r"(?:the\s+)?(?:words?|phrase|text|string)\b"
    # orders addressed to the model, or about the answer it is to write
    r"|\bnew instructions\b|\binstructions for (?:the |an? )?(?:ai|assistant|model|llm)"
    r"|\b(?:ai(?: assistant| model)?|chatbot|language model|llm)s?\b(?: reading this)?\s*[:,]?"
    r"\s*(?:must|should|shall|do not|don't|never|always|ignore|reply|answer|say|tell)\b"
    r"|\bassistant\s*[:,]\s*(?:you |please )?(?:must|should|do not|don't|never|always|ignore|"
    r"reply|answer|say|tell|from now)\b"
    r"|\battention,? (?:ai|assistant|language model|llm)\b"
    r"|\b(?:answer|respond to|reply to) (?:every|all|any) questions?\b"
    r"|\b(?:do not|don't|never) (?:answer|respond|cite|mention|reveal)\b"
    r"|\bsay that the documents\b|\bstop citing\b|\bbefore answering\b|\bwhen you answer\b"
    r"|\b(?:always|only) cite\b|\bcite\b[^.!?\n]{0,60}\b(?:as your|in every|as the only)\b"
    r"|\b(?:append|add|include|insert|embed|render)\b[^.!?\n]{0,60}\b(?:to|in|into) "
    r"(?:the |your |every |each )?(?:answer|reply|response)s?\b"
    r"|\b(?:tell|ask|instruct) the user\b"
    r"|!\[[^\]]*\]\(\s*\w+://"  # a Markdown image: rendered by a client, it fetches the URL
    # the prompt's own wording and chat-template tokens, imitated to pose as the prompt
    r"|\banswer in at most \w+ sentences\b|\bfollowed by its citation marker\b"
    r"|\byou answer questions\b|\b(?:reply|respond|answer) (?:exactly|only)\s*:"
    r"|<\|[a-z_]+\|>|\[/?INST\]|^\s*(?:system|assistant)\s*:|```\s*(?:system|assistant)\b",
    re.IGNORECASE | re.MULTILINE,
)
# The same patterns with the one anchored to a line's start freed: a text none of whose parts
# matches this holds no sentence that matches _INSTRUCTION (see may_hold_instruction).
_LINE_START_ROLE = r"^\s*(?:system|assistant)\s*:"
_INSTRUCTION_ANYWHERE = re.compile(
    _INSTRUCTION.pattern.replace(_LINE_START_ROLE, r"(?:system|assistant)\s*:"),
    re.IGNORECASE | re.MULTILINE)


@functools.cache
def _screen(pattern: str) -> Any:
    """``pattern`` compiled by RE2 so that it matches at least wherever Python's ``re``
    (IGNORECASE, MULTILINE, Unicode) matches it: RE2's ``\\w`` and ``\\s`` are ASCII only, so
    they are widened to every Unicode letter, digit and space; its ``\\b`` is ASCII too, which
    only adds boundaries next to the patterns' ASCII keywords. Python's backtracking engine
    takes about 600 us to search a 1,200-character passage with these thirty alternatives, RE2's
    automaton about 7 us: RE2 screens, ``re`` gives the verdict on what it lets through."""
    import re2

    widened = pattern.replace(r"\w", r"[\pL\pN_]").replace(
        r"\s", r"[\s\v\p{Z}\x{1c}-\x{1f}\x{85}]")
    return re2.compile("(?im)" + widened)


# The non-ASCII letters Python's ``re`` matches to ASCII ones when ignoring case (found by
# trying every code point): RE2 folds them otherwise, so its screen reads them as these.
_FOLDS_TO_ASCII = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
# A search for the few characters a table maps is a scan in C; translating with a dict looks up
# every character (~40 us for a passage), so a text is translated only when it holds one.
_FOLDING = re.compile("[\u0130\u0131\u017f\u212a]")


def _search(compiled: re.Pattern[str], text: str) -> bool:
    """Whether ``compiled`` matches ``text``: RE2's screen first, Python's ``re`` when it
    passes."""
    screened = text.translate(_FOLDS_TO_ASCII) if _FOLDING.search(text) else text
    if not _screen(compiled.pattern).search(screened):
        return False
    return compiled.search(text) is not None
# Letters of other scripts that look like Latin ones (a filter reading "Іgnоre" as "Ignore").
_HOMOGLYPHS = str.maketrans("АВЕНІЈКМОРСТХаеіјорсухѕԁɡΑΒΕΗΙΚΜΝΟΡΤΧΥΖοι",
                            "ABEHIJKMOPCTXaeijopcyxsdgABEHIKMNOPTXYZoi")
_HOMOGLYPH_CHARS = re.compile("[" + "".join(map(chr, _HOMOGLYPHS)) + "]")
_BIDI_RUN = re.compile("\u202e([^\u202a-\u202e\u2066-\u2069]*)")


@functools.cache
def _format_characters() -> tuple[Any, re.Pattern[str]]:
    """Every format character (Unicode category Cf, as this Python's ``unicodedata`` has it;
    built once, ~0.3 s) as one class of ranges: RE2's search for it (~4 us a passage) and
    Python's for removing them where it finds one. Testing each character's category in Python
    took ~2 ms a question at 100k chunks (covidqa's passages are rarely pure ASCII)."""
    import re2

    ranges: list[list[int]] = []
    for cp in range(sys.maxunicode + 1):
        if unicodedata.category(chr(cp)) == "Cf":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    python = "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "")
                     for a, b in ranges)
    screen = "".join(f"\\x{{{a:x}}}" + (f"-\\x{{{b:x}}}" if b > a else "") for a, b in ranges)
    return re2.compile(f"[{screen}]"), re.compile(f"[{python}]")


def normalize_for_matching(text: str) -> str:
    """``text`` as a reader sees it: compatibility forms folded (full-width letters), format
    characters (zero-width, bidi controls) removed, right-to-left-override runs read in
    display order, look-alike letters of other scripts mapped to Latin."""
    if text.isascii():  # nothing to fold, remove, reorder or map (most text)
        return text
    text = _BIDI_RUN.sub(lambda m: m.group(1)[::-1], unicodedata.normalize("NFKC", text))
    screen, remove = _format_characters()
    if screen.search(text):
        text = remove.sub("", text)
    return text.translate(_HOMOGLYPHS) if _HOMOGLYPH_CHARS.search(text) else text


@functools.lru_cache(maxsize=1 << 16)
def instruction_like(text: str) -> bool:
    """Whether ``text`` reads as an instruction aimed at the model (a prompt injection),
    however it is spelt (see :func:`normalize_for_matching`).

    Documents are data: such sentences are never used as evidence or as support. Cached: the
    same passages' sentences are checked by retrieval, evidence and verification, question
    after question.
    """
    return _search(_INSTRUCTION, normalize_for_matching(text))


def may_hold_instruction(text: str) -> bool:
    """False only when no sentence of ``text`` can be :func:`instruction_like`: one search of
    the whole text (most passages) instead of one per sentence. Matching is local, so a
    sentence's match is also one in the text around it, except for the pattern anchored to a
    line's start, which the looser pattern here matches anywhere; folding is per character,
    except inside a right-to-left override run, which sends the text to the sentence check."""
    if "\u202e" in text:
        return True
    return _search(_INSTRUCTION_ANYWHERE, normalize_for_matching(text))
