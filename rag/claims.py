"""Whether two exact answers state different values: the test behind "the sources disagree".

Answers that measure something are compared (a figure, an amount, a share, a duration, an
age, a date); names (a person, an organisation) only between two versions of one statement,
where everything but the name reads the same (:func:`rivals`, rag.stages.short_answer), and
only when they share no word: two names for one person ("Blinken", "Antony Blinken") are no
disagreement anyone could check by reading. A :class:`Value` is what the answer
text states: a number, its unit and any bound ("more than two hours": 2, "hour", at least) or the parts of a
day ("February 7, 2024": 2024, 2, 7). Two values conflict when they are of one kind, have the same
unit, and no figure satisfies both: a plain figure allows rounding (half a per cent), an
estimate ("about", "nearly") a tenth either way, a bound ("more than", "up to") everything on its
side; dates conflict on a part both state (a year against a day
of that year is no conflict).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Answer kinds (rag.question_typing.AnswerType.kind) whose answers can be compared.
MEASURED = frozenset({"date", "duration", "money", "percent", "count", "quantity", "age"})
# ... and those whose names are compared, only between versions of one statement (rivals).
NAMED = frozenset({"person", "organisation"})
DATE_KINDS = frozenset({"date"})
EXACT = 0.005  # relative difference two plain figures may have and still agree
HEDGED = 0.10  # ... either way of an estimate ("about", "nearly")

_SMALL = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())}
_TENS = {w: 10 * i for i, w in enumerate(
    "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if w != "_"}
_SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
           "k": 1e3, "m": 1e6, "bn": 1e9, "dozen": 12.0}
_EXTRA = {"a": 1.0, "an": 1.0, "half": 0.5, "both": 2.0, "once": 1.0, "twice": 2.0}
# Words that make a figure a bound or an estimate: "more than two hours" is no conflict with
# "three hours", "about 200,000" none with "191,000".
_AT_LEAST = re.compile(r"\b(?:more than|over|at least|upwards of|just over|as many as|"
                       r"as much as|in excess of|exceeding)\b", re.IGNORECASE)
_AT_MOST = re.compile(r"\b(?:less than|fewer than|under|at most|up to|just under|no more than|"
                      r"below)\b", re.IGNORECASE)
_ABOUT = re.compile(r"\b(?:about|around|approximately|roughly|nearly|almost|close to|"
                    r"estimated|some|an estimated|circa|or so)\b", re.IGNORECASE)
_HEDGE_WORDS = frozenset("more less fewer than over under least most up upwards just about "
                         "around approximately roughly nearly almost close estimated some "
                         "circa so as much many no below exceeding excess".split())
_TOKEN = re.compile(r"[$€£¥]|%|\d+(?:,\d{3})*(?:\.\d+)?|[^\W\d_]+(?:[-'][^\W\d_]+)*")
_MONTHS = {name: i + 1 for i, names in enumerate((
    "january jan", "february feb", "march mar", "april apr", "may", "june jun", "july jul",
    "august aug", "september sep sept", "october oct", "november nov", "december dec"))
    for name in names.split()}
_CURRENCY = {"$": "dollar", "€": "euro", "£": "pound", "¥": "yen", "usd": "dollar",
             "dollars": "dollar", "euros": "euro", "pounds": "pound", "eur": "euro",
             "gbp": "pound"}
_PERCENT = {"%", "percent", "per", "cent", "percentage"}
_SKIP_UNIT = frozenset({"and", "or", "of", "the", "a", "an", "to", "in", "on", "at", "for",
                        "from", "by", "with", "than", "more", "less", "over", "about"})


@dataclass(frozen=True)
class Value:
    """What an exact answer states. ``number`` with ``unit`` (singular, lower case; "" when
    none) for figures, ``day`` as (year, month, day) with None for a part not stated."""

    number: float | None = None
    unit: str = ""
    day: tuple[int | None, int | None, int | None] | None = None
    bound: str = ""  # "": as stated; "min"/"max": a lower/upper bound; "about": an estimate


def value_of(kind: str, text: str, after: str = "") -> Value | None:
    """The value an answer of ``kind`` states in ``text`` (``after``: the words that follow it
    in its sentence, where a count's unit stands: "191,000 migrants"); None when there is no
    figure or date in it to compare."""
    if kind not in MEASURED:
        return None
    if kind in DATE_KINDS:
        return _day(text)
    tokens = [t.lower() for t in _TOKEN.findall(text)]
    number = _number(tokens)
    if number is None:
        return None
    unit = _unit(tokens, kind) or _first_word([t.lower() for t in _TOKEN.findall(after)])
    bound = ("min" if _AT_LEAST.search(text) else "max" if _AT_MOST.search(text)
             else "about" if _ABOUT.search(text) else "")
    return Value(number=number, unit=unit, bound=bound)


_HEDGE_BEFORE = re.compile(rf"(?:{_AT_LEAST.pattern}|{_AT_MOST.pattern}|{_ABOUT.pattern})\s*$",
                           re.IGNORECASE)


def hedged_from(text: str, start: int) -> int:
    """Where the words making the value at ``start`` a bound or an estimate begin ("more than
    200": the offset of "more"), ``start`` when none stand right before it."""
    window = max(0, start - 30)
    found = _HEDGE_BEFORE.search(text[window:start])
    return window + found.start() if found else start


def conflict(a: Value, b: Value) -> bool:
    """Whether ``a`` and ``b`` cannot both be true (see the module docstring)."""
    if a.day is not None or b.day is not None:
        if a.day is None or b.day is None:
            return False
        shared = [(x, y) for x, y in zip(a.day, b.day) if x is not None and y is not None]
        return bool(shared) and any(x != y for x, y in shared)
    if a.number is None or b.number is None or a.unit != b.unit:
        return False
    (a_low, a_high), (b_low, b_high) = _interval(a), _interval(b)
    return a_high < b_low or b_high < a_low


def _interval(v: Value) -> tuple[float, float]:
    """The figures ``v`` allows: a bound is open on one side, an estimate is HEDGED wide, a
    plain figure EXACT wide (rounding)."""
    x = float(v.number or 0.0)
    if v.bound == "min":
        return x * (1 - EXACT), float("inf")
    if v.bound == "max":
        return float("-inf"), x * (1 + EXACT)
    width = HEDGED if v.bound == "about" else EXACT
    return x - abs(x) * width, x + abs(x) * width


def _number(tokens: list[str]) -> float | None:
    """The first number written in ``tokens``: digits ("191,000", "2.5") or words ("two",
    "twenty-one", "a dozen"), times a scale word after it ("1.5 million")."""
    for i, token in enumerate(tokens):
        value = _numeral(token)
        if value is None:
            continue
        if token in _EXTRA and (i + 1 >= len(tokens) or tokens[i + 1] not in _SCALES):
            continue  # "a" alone is no number; "a dozen", "half a million" are
        j = i + 1
        while j < len(tokens) and tokens[j] in _SCALES:
            value *= _SCALES[tokens[j]]
            j += 1
        return value
    return None


def _numeral(token: str) -> float | None:
    if token[:1].isdigit():
        try:
            return float(token.replace(",", ""))
        except ValueError:
            return None
    if token in _SMALL:
        return float(_SMALL[token])
    if token in _TENS:
        return float(_TENS[token])
    if "-" in token:
        tens, _, ones = token.partition("-")
        if tens in _TENS and ones in _SMALL:
            return float(_TENS[tens] + _SMALL[ones])
    return _EXTRA.get(token)


def _unit(tokens: list[str], kind: str) -> str:
    """The unit the answer text itself names: a currency, a per cent sign, a word after the
    number ("hours", "kilometres")."""
    if kind == "percent" or any(t in _PERCENT for t in tokens):
        return "percent"
    for t in tokens:
        if t in _CURRENCY:
            return _CURRENCY[t]
    words = [t for t in tokens if t.isalpha() and _numeral(t) is None and t not in _SCALES
             and t not in _HEDGE_WORDS]
    return _singular(words[-1]) if words else ""


def _first_word(tokens: list[str]) -> str:
    for t in tokens[:3]:
        if t.isalpha() and t not in _SKIP_UNIT:
            return _singular(t)
    return ""


def _singular(word: str) -> str:
    if word in _CURRENCY:
        return _CURRENCY[word]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _day(text: str) -> Value | None:
    """Year, month and day a date answer states ("7 February 2024", "Feb. 7", "2024",
    "2024-02-07"); None when it states none of them ("last week", "Wednesday")."""
    iso = re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", text)
    if iso:
        return Value(day=(int(iso.group(1)), int(iso.group(2)), int(iso.group(3))))
    tokens = [t.lower() for t in _TOKEN.findall(text)]
    year = month = day = None
    for i, token in enumerate(tokens):
        if token in _MONTHS:
            month = _MONTHS[token]
            near = [t for t in tokens[max(0, i - 1):i + 2] if t.isdigit() and len(t) <= 2]
            day = int(near[0]) if near and 1 <= int(near[0]) <= 31 else day
        elif token.isdigit() and len(token) == 4 and 1000 <= int(token) <= 2999:
            year = int(token)
    if year is None and month is None:
        return None
    return Value(day=(year, month, day))


def names_conflict(a: str, b: str) -> bool:
    """Two names that share no word ("Antony Blinken", "Joe Biden"); "Blinken" and "Antony
    Blinken", or "Anthony Blinken", are one person to a reader."""
    words = [{w for w in re.findall(r"[^\W\d_]+", x.lower()) if len(w) > 2} for x in (a, b)]
    return bool(words[0]) and bool(words[1]) and not words[0] & words[1]


def rivals(kind: str, a: str, a_after: str, b: str, b_after: str) -> bool:
    """Whether answers ``a`` and ``b`` of ``kind`` (each with the words after it) cannot both
    be true: measured values that conflict, or names that share no word."""
    if kind in NAMED:
        return names_conflict(a, b)
    x, y = value_of(kind, a, a_after), value_of(kind, b, b_after)
    return x is not None and y is not None and conflict(x, y)
