"""Follow-up questions rewritten into standalone ones before retrieval.

``RuleCondenser`` (used with the extractive generator) is deterministic: a question that reads
as a follow-up ("and in October?", "what about Cuba?", "what did he say?") borrows from the
previous question. A fragment that names a date (month, year, weekday) replaces the previous
question's date phrase; any other fragment replaces nothing and is added to the previous
question; a full question with a pronoun gets the previous question's names and numbers added.
A question that stands on its own is left alone.

``LLMCondenser`` asks the generator's model with the ``condense`` prompt and keeps the rule-based
rewrite when the model's reply is empty, overlong or drops the follow-up's own words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol

from rag import markers
from rag.prompts import PromptSet
from rag.sentences import content_words
from rag.types import Turn

_MONTHS = ("january february march april may june july august september october november "
           "december jan feb mar apr jun jul aug sep sept oct nov dec").split()
_DAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_DATE_WORD = rf"(?:{'|'.join(_MONTHS + _DAYS)}|(?:19|20)\d\d)"
_DATE_PHRASE = re.compile(
    rf"\b(?:(?:in|on|during|for|since|by|of|at)\s+)?(?:(?:early|late|mid)[- ])?{_DATE_WORD}"
    rf"(?:\s+\d{{1,2}})?(?:,?\s+(?:19|20)\d\d)?\b", re.IGNORECASE)
_FOLLOW_UP_START = re.compile(
    r"^(?:and|but|also|so|then|what about|how about|and what about|and how about|same for|"
    r"what of)\b[\s,]*", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(?:he|she|they|it|its|his|her|their|them|this|that|these|those|"
                      r"there|him)\b", re.IGNORECASE)
_ENTITY = re.compile(r"\b(?:[A-Z][\w'’.-]*(?:\s+(?:of\s+|de\s+)?[A-Z][\w'’.-]*)*|\d[\d,.]*)")
_QUESTION_WORD = re.compile(r"^(?:who|what|when|where|why|how|which|is|are|was|were|do|does|did|"
                            r"can|could|will|would|should|has|have|had)\b", re.IGNORECASE)


class Condenser(Protocol):
    def condense(self, question: str, history: Sequence[Turn]) -> str: ...


class RuleCondenser:
    """Deterministic rewrite of follow-ups from the previous user question (see module doc)."""

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        previous, answer = "", ""
        for turn in history:  # earlier follow-ups are themselves rewritten first
            if turn.role == "user" and turn.content.strip():
                previous, answer = self._rewrite(turn.content.strip(), previous, answer), ""
            elif turn.role == "assistant":
                answer = turn.content
        return self._rewrite(question.strip(), previous, answer)

    def _rewrite(self, question: str, previous: str, answer: str = "") -> str:
        if not previous:
            return question
        body = _FOLLOW_UP_START.sub("", question).strip().rstrip("?").strip()
        fragment = bool(_FOLLOW_UP_START.match(question)) or not _QUESTION_WORD.match(body)
        if fragment and len(body.split()) <= 6:
            base = previous.strip().rstrip("?").strip()
            if _DATE_PHRASE.search(body) and _DATE_PHRASE.search(base):
                return _DATE_PHRASE.sub(lambda m: _keep_preposition(m.group(0), body), base,
                                        count=1) + "?"
            return f"{base}, {body}?" if body else previous
        # A pronoun, or a short question without a name of its own ("What was said?", not
        # "What is the capital of Canada?"), leans on the previous turn.
        own_names = [e for e in map(_strip_question_word, _ENTITY.findall(question))
                     if e and not e[:1].isdigit()]
        if _PRONOUN.search(question) or (len(content_words(question)) <= 2 and not own_names):
            own = question.lower()
            # "he" after "Which Chicago mayor ...?" / "Brandon Johnson, the mayor." is the
            # answer's name: the answer's names come first, then the previous question's.
            found = [*_names_in_answer(answer), *map(_strip_question_word,
                                                     _ENTITY.findall(previous))]
            borrowed = [e for e in dict.fromkeys(found) if e and e.lower() not in own]
            if not borrowed:
                borrowed = [w for w in sorted(content_words(previous) - content_words(question))]
            if borrowed:
                return f"{question.rstrip('?').strip()} ({', '.join(borrowed)})?"
        return question


def _strip_question_word(entity: str) -> str:
    """'Which Chicago' (a question's capitalised start run) -> 'Chicago'."""
    words = entity.split()
    while words and _QUESTION_WORD.fullmatch(words[0]):
        words = words[1:]
    return " ".join(words)




def _names_in_answer(answer: str) -> list[str]:
    """Names in an assistant's answer: capitalised runs of two or more words, or one word past
    a sentence's start (numbers and sentence-initial words like 'More' are not names)."""
    text = markers.strip(answer)
    out = []
    for m in _ENTITY.finditer(text):
        entity = m.group(0).rstrip(".,")
        if entity[:1].isdigit():
            continue
        before = text[:m.start()].rstrip()
        sentence_start = not before or before[-1] in ".!?"
        if len(entity.split()) >= 2 or not sentence_start:
            out.append(entity)
    return out


def _keep_preposition(replaced: str, body: str) -> str:
    """'in November' replaced by 'December 2021' reads 'in December 2021'."""
    prep = replaced.split()[0]
    has_prep = re.match(r"(?:in|on|during|for|since|by|of|at)\b", body, re.IGNORECASE)
    if not has_prep and prep.lower() in {"in", "on", "during", "for", "since", "by", "of", "at"}:
        return f"{prep} {body}"
    return body


class LLMCondenser:
    """Rewrites with the model through the ``condense`` prompt; rules when the reply is unusable."""

    def __init__(self, complete: Callable[[str], str], prompts: PromptSet,
                 fallback: RuleCondenser | None = None, max_chars: int = 500) -> None:
        self._complete = complete
        self._prompts = prompts
        self._fallback = fallback or RuleCondenser()
        self._max_chars = max_chars

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        ruled = self._fallback.condense(question, history)
        if not any(t.role == "user" for t in history):
            return question
        transcript = "\n".join(f"{t.role}: {t.content.strip()}" for t in history[-6:])
        prompt = self._prompts.render("condense", history=transcript, question=question)
        try:
            reply = self._complete(prompt).strip().splitlines()
        except Exception:  # a model that fails here must not fail the question
            return ruled
        rewrite = reply[0].strip().strip('"') if reply else ""
        own = content_words(_FOLLOW_UP_START.sub("", question))
        if not rewrite or len(rewrite) > self._max_chars or not own <= content_words(rewrite):
            return ruled
        return rewrite
