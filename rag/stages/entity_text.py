"""What the short-answer stage and its disagreement finder share: the content words of a text,
whether the question names an entity already, the value an entity states (a figure without
its hedge), and a name's extent as the document writes it (its particles, title, region, the
list it is one item of)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from rag.question_typing import Entity
from rag.sentences import STOPWORDS

_WORD = re.compile(r"[^\W_]+")
# "more than 191,000", "nearly $50 million": the figure is the answer, the hedge stays in the
# sentence that follows it (durations and dates keep theirs: "more than two hours").
_HEDGE = re.compile(r"^(?:(?:just|well|an|some)\s+)?(?:about|around|approximately|roughly|nearly|"
                    r"almost|over|under|more than|less than|fewer than|at least|at most|up to|"
                    r"as many as|as much as|close to|upwards of|estimated|some)\s+(?=[$€£]?\d)",
                    re.IGNORECASE)
_FIGURES = frozenset({"CARDINAL", "MONEY", "PERCENT", "QUANTITY"})
# What may stand between the items of a listed answer: "A, B and C", "A, B, or C", "A & B",
# titles included ("Biden, President López Obrador, and Prime Minister Justin Trudeau").
_LIST_GLUE = re.compile(r"^\s*(?:,\s*(?:(?:and|or|&)\s+)?|(?:and|or|&|as well as)\s+)"
                        r"(?:[A-Z][\w.'’-]*\s+)*$")
# A name going on past where the recogniser stopped: a particle and a capitalised surname.
_NAME_PARTICLE = re.compile(r"\s(?:i|y|e|de|da|do|dos|das|del|della|di|du|van|von|der|den|ter|"
                            r"bin|ibn|al|el|la|le)\s[A-Z][\w'’-]*[^\W\d_]")
# A title of honour that is part of the name as written, right before it.
_HONORIFIC = re.compile(r"\b(?:Sir|Dame|Lord|Lady)\s+$")
_PLACES = frozenset({"GPE", "LOC"})  # the labels of a place a region may follow
_COMMA = re.compile(r"\s*,\s*")
# Capitalised words in a row, small joining words allowed between them.
_NAME_RUN = re.compile(r"[A-Z][\w'’-]*(?:\s+(?:(?:of|and|the|for|de|du|&)\s+)*[A-Z][\w'’-]*)+")
_CURRENCY = frozenset("$€£¥")


def content(text: str) -> list[str]:
    """The words of ``text`` that carry content, lower case, accents folded ("Conceição" and
    "Conceicao" are one word: questions are often typed without them)."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return [w for w in _WORD.findall(folded) if w not in STOPWORDS]


def named_in(entity: Entity, question: set[str]) -> bool:
    """The question already names it (all its words, or a person's surname), also as a
    possessive whose apostrophe was lost ("Piolis appointment")."""
    words = content(entity.text)
    if not words:
        return False
    asked = [w in question or (w.endswith("s") and w[:-1] in question) for w in words]
    return all(asked) or (entity.label == "PERSON" and asked[-1])


def acronyms(text: str) -> set[str]:
    """The initials of each name of two or more capitalised words in ``text``, lower-cased:
    "Pakistan Football Federation" -> pff, "London Fire and Civil Defence Authority" -> lfcda,
    and also with the small words' initials ("Bank of England" -> be, boe), so a passage calling
    it "PFF" names what the question names."""
    found = set()
    for run in _NAME_RUN.finditer(text):
        words = run.group().split()
        if words[0] in ("The", "A", "An"):
            words = words[1:]
        for initials in ("".join(w[0] for w in words if w[:1].isupper()),  # "PFF"
                         "".join(w[0] for w in words if w[0] != "&")):  # "BoE"
            if len(initials) >= 2:
                found.add(initials.lower())
    return found


def trim(one: Entity, text: str) -> tuple[int, int]:
    """Offsets in ``text`` of the value ``one`` states: a figure without its hedge ("more than
    191,000" -> "191,000"), an amount with its sign ("$15", which the recogniser leaves out)."""
    start = one.start
    if one.label in _FIGURES:
        hedge = _HEDGE.match(one.text)
        start += hedge.end() if hedge else 0
    if one.label == "MONEY" and start == one.start and start > 0 and \
            text[start - 1] in _CURRENCY:
        start -= 1
    return start, one.end


def whole_name(text: str, entity: Entity, start: int, end: int) -> tuple[int, int]:
    """A person's name as the document gives it, past where the recogniser stopped: "Albert
    Royo i Mariné", "Ludwig van Beethoven", "Sir Horace Wilson"."""
    if entity.label == "PERSON" and (m := _NAME_PARTICLE.match(text, end)):
        end = m.end()
    if entity.label == "PERSON" and (m := _HONORIFIC.search(text, 0, start)):
        start = m.start()
    return start, end


def with_region(entities: Sequence[Entity], place: Entity, text: str,
                 question: set[str]) -> tuple[int, int]:
    """A place as written with the region it lies in ("Olney, Maryland", "Dakar, Senegal",
    "Kyiv, Ukraine"): the pair of places joined by a comma, the picked one either of them,
    unless the question names the other."""
    others = [e for e in entities
              if e.label in _PLACES and e is not place and not named_in(e, question)]
    after = next((e for e in others
                  if e.start >= place.end and _COMMA.fullmatch(text[place.end:e.start])), None)
    if after is not None:
        return place.start, after.end
    before = next((e for e in others
                   if e.end <= place.start and _COMMA.fullmatch(text[e.end:place.start])), None)
    return (place.start if before is None else before.start), place.end


def split_title(entity: Entity, tokens: Sequence[str], question: set[str]) -> Entity:
    """A title the question names run together with a name ("Homeland Security Kristie
    Canegallo", "Mexico Ken Salazar", tagged as one organisation): the name after it, a
    person."""
    words = tokens[entity.token_start:entity.token_end]
    cut = 0
    while cut < len(words) and content(words[cut]) and \
            all(w in question for w in content(words[cut])):
        cut += 1
    rest = words[cut:]
    if cut == 0 or len(rest) < 2 or not all(w[:1].isupper() for w in rest) or \
            any(w.lower() in question for w in rest):
        return entity
    offset = entity.text.find(rest[0], sum(len(w) for w in words[:cut]))
    if offset < 0:
        return entity
    return Entity(entity.text[offset:], "PERSON", entity.start + offset, entity.end,
                  entity.token_start + cut, entity.token_end)


def runs(text: str, entities: Sequence[Entity]) -> list[list[Entity]]:
    """Entities of one label joined only by list glue, in text order."""
    runs: list[list[Entity]] = []
    for e in sorted(entities, key=lambda x: x.start):
        last = runs[-1][-1] if runs else None
        if last is not None and last.label == e.label and \
                _LIST_GLUE.match(text[last.end:e.start]):
            runs[-1].append(e)
        else:
            runs.append([e])
    return runs


# A list of holders and their periods writes one per line: "1719–1724: Hugo Hamilton Hamilton af
# Hageby", "Manfred Schmidt ( 2010-2015 )", "Rupprecht, Crown Prince of Bavaria ( 1904–1906 ) -
# Later a Generalfeldmarschall". What stands on the other side of the range, up to a separator,
# is the entry's holder, the whole of it (the recogniser often reads a part: "Hamilton Hamilton").
_AFTER_RANGE = re.compile(r"[ \t]*[:\-–—][ \t]*(?P<name>[^\n(]+?)[ \t]*"
                          r"(?:[ \t](?:\(|[-–—][ \t]).*)?[ \t.]*$")
_BEFORE_RANGE = re.compile(r"^[ \t]*(?:[-*•][ \t]+)?(?P<name>[^\n(]+?)[ \t]*[,:(]?[ \t]*$")
_RANGE_TAIL = re.compile(r"^[ \t]*\)?[ \t]*(?:[(,;\-–—].*)?[ \t.]*$")
_ENTRY_PARTICLES = frozenset("of af de da di du do dos das del della van von der den ter y i e "
                             "la le el al bin ibn the and &".split())
ENTRY_WORDS = 8  # the longest holder an entry is read as


def entry_holder(text: str, start: int, end: int,
                 roles: frozenset[str] = frozenset()) -> tuple[int, int] | None:
    """Offsets in ``text`` of the holder of the list entry whose range of years stands at
    ``text[start:end]``: the line's text on the other side of the range, when it reads as a name
    (capitalised words, particles between them, at most ``ENTRY_WORDS``), without a leading word
    of ``roles`` ("Director Ernst Aichner ( 1979-2010 )" -> "Ernst Aichner"). None for a line
    that is a sentence ("In 1970, Gill left ... ( 1970-1979 )")."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    before, after = text[line_start:start], text[end:line_end]
    if not before.strip(" \t-*•"):
        m = _AFTER_RANGE.fullmatch(after)
        span = (end + m.start("name"), end + m.end("name")) if m else None
    elif _RANGE_TAIL.match(after):
        m = _BEFORE_RANGE.fullmatch(before)
        span = (line_start + m.start("name"), line_start + m.end("name")) if m else None
    else:
        span = None
    if span is None:
        return None
    words = [(w.start() + span[0], w.group())
             for w in re.finditer(r"[^\s,]+", text[span[0]:span[1]])]
    while len(words) > 1 and words[0][1].lower() in roles:
        words = words[1:]
    if not words or len(words) > ENTRY_WORDS or not words[0][1][:1].isupper() or not all(
            w[:1].isupper() or w[:1].isdigit() or w.lower() in _ENTRY_PARTICLES
            for _, w in words):
        return None
    return words[0][0], span[1]
