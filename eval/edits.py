"""Edited copies of real passages for the conflicts evaluation (eval.conflicts): one value of a
gold answer changed to a plausible other value of the same kind.

Figures are scaled (by a factor far outside rounding and estimates: rag.claims), dates shifted
(the year, else the day, else the month), written numbers replaced by another written number,
and a person's or organisation's name swapped for another name of the same spaCy label found in
the corpus. Every choice comes from the ``random.Random`` passed in, so a seed fixes the set.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from rag.claims import MEASURED, value_of

NAMED = frozenset({"person", "organisation"})  # answer kinds whose names are swapped
_FACTORS = (0.5, 0.6, 1.4, 1.5, 2.0)  # a scaled figure differs by 40 % at least
_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_DAY = re.compile(r"\b([1-9]|[12]\d|3[01])\b")
_MONTH_NAMES = ("January February March April May June July August September October "
                "November December").split()
_WORDS = "zero one two three four five six seven eight nine ten eleven twelve".split()


def edited_value(kind: str, answer: str, rng: random.Random,
                 names: Sequence[str] = ()) -> str | None:
    """``answer`` with its value changed (None when it holds none to change). ``names``: other
    names of the answer's label, for a person or an organisation."""
    if kind in NAMED:
        words = set(answer.lower().split())
        pool = sorted({n for n in names if not words & set(n.lower().split())})
        return rng.choice(pool) if pool else None
    value = value_of(kind, answer) if kind in MEASURED else None
    if value is None or value.bound in ("min", "max"):
        return None  # "more than two hours": another bound could be true beside it
    if kind == "date":
        return _shift_date(answer, rng)
    match = _NUMBER.search(answer)
    if match is None:
        return _other_word(answer, rng)
    factor = rng.choice(_FACTORS)
    number = float(match.group(0).replace(",", ""))
    if kind == "percent" and number * factor > 100:
        factor = 0.6
    return answer[:match.start()] + _format(number * factor, match.group(0)) + \
        answer[match.end():]


def _format(value: float, like: str) -> str:
    """``value`` written as ``like`` is: its decimals, its thousands commas."""
    decimals = len(like.split(".")[1]) if "." in like else 0
    if decimals == 0 and round(value) == float(like.replace(",", "")):
        value += 1
    text = f"{value:,.{decimals}f}" if "," in like else f"{value:.{decimals}f}"
    return text if text != like else f"{value + 1:.{decimals}f}"


def _shift_date(answer: str, rng: random.Random) -> str | None:
    year = _YEAR.search(answer)
    if year is not None:
        shift = rng.choice((-3, -2, -1, 1, 2, 3))
        return answer[:year.start()] + str(int(year.group(1)) + shift) + answer[year.end():]
    day = _DAY.search(answer)
    if day is not None:
        d = int(day.group(1))
        other = d + rng.choice((3, 5, 7)) if d <= 20 else d - rng.choice((3, 5, 7))
        return answer[:day.start()] + str(other) + answer[day.end():]
    for i, month in enumerate(_MONTH_NAMES):
        at = answer.find(month)
        if at >= 0:
            other = _MONTH_NAMES[(i + rng.choice((2, 3, 4))) % 12]
            return answer[:at] + other + answer[at + len(month):]
    return None


def _other_word(answer: str, rng: random.Random) -> str | None:
    """"two hours" -> "five hours": a written number replaced by another."""
    for i, word in enumerate(_WORDS):
        found = re.search(rf"\b{word}\b", answer, re.IGNORECASE)
        if found is not None:
            other = _WORDS[(i + rng.choice((2, 3, 4))) % len(_WORDS)]
            if found.group(0)[:1].isupper():
                other = other.capitalize()
            return answer[:found.start()] + other + answer[found.end():]
    return None


_CORE = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?(?:\s+(?:hundred|thousand|million|billion|trillion))?",
                   re.IGNORECASE)
MAX_WORDS = 6  # a gold answer longer than this is a passage, not a value


def core(kind: str, answer: str) -> str:
    """The part of ``answer`` an answer must state to state its value: the figure and its scale
    ("about 2.87 million" -> "2.87 million", "$15" -> "15"), a written number ("Two cases" ->
    "Two"); a date or a name whole."""
    answer = answer.strip(" ,.;:[]()")
    if kind == "date" or kind in NAMED:
        return answer
    found = _CORE.search(answer)
    if found is not None:
        return found.group(0)
    words = [w for w in _WORDS if re.search(rf"\b{w}\b", answer, re.IGNORECASE)]
    return words[0] if words else answer


def editable(kind: str, answer: str) -> bool:
    """A short answer of a kind this module edits: a value, not a passage."""
    return (kind in NAMED or kind in MEASURED) and len(answer.split()) <= MAX_WORDS \
        and "\n" not in answer


def whole_value(value: str) -> re.Pattern[str]:
    """``value`` standing whole: not inside a longer word or figure ("108" is not in "1081" nor
    in "3.108", "1,108" or "108.5")."""
    return re.compile(rf"(?<![\w.,]){re.escape(value)}(?![\w]|[.,]\d)")


def replace_value(text: str, old: str, new: str) -> tuple[str, int]:
    """``text`` with every whole-word occurrence of ``old`` replaced by ``new``, and how many."""
    return whole_value(old).subn(lambda _: new, text)


def with_front_matter(text: str, title: str, date: str) -> str:
    """A re-issued copy: its own title and its own date, stated as front matter."""
    return f"---\ntitle: {title}\ndate: {date}\n---\n\n{text}"


def shifted_iso(date: str, days: int) -> str:
    """``date`` (ISO, a day at least) ``days`` later (earlier when negative), as YYYY-MM-DD."""
    from datetime import date as day, timedelta

    return (day.fromisoformat(date[:10]) + timedelta(days=days)).isoformat()
