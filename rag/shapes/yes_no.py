"""Yes/no ("can I ...", "is it ...", "should ..."): "Yes" or "No" first, then the sentence that
decides it; no verdict, only the sentence, when the rules cannot tell.

The deciding sentence is the one of the best few, or the one the answer reads first (the
selector's choice), that holds most of the question's key terms, the one read among equals.
Its polarity: negative when it holds a negation cue ("no", "not", "cannot", "never",
"prohibited", ...), restrictive when it says "only ... may" (negative for a question about
everyone, "for all", "any"; undecided otherwise), else affirmative. The verdict is "yes" when the
sentence's polarity is the question's, "no" when it is not (an exception the sentence names,
"except for medical reasons", follows the verdict in the sentence itself); two negations or a
sentence holding under half of the question's key terms give none.

A question about two subjects at once (rag.shapes.pairs: "Are X and Y both flowering plants?",
"Were X and Y of the same nationality?") is decided from one sentence per subject, both cited,
labelled by subject (the comparison shape's sides: a sentence speaks of X when it holds X's own
key terms, or its heading does). "Both ...": "Yes" when each subject's sentence holds every key
term of the attribute; "No" when one does and the other subject's sentences (the best POOL)
hold none of them; else no verdict. "The same ...": the value each subject's sentence gives of
the attribute (a nationality, country, person, year: the named entity of that type; otherwise
the word before the attribute's noun: "Jiangsu province", "three acts"): "Yes" when the two are
one, "No" when they differ ("different ..." the other way round), no verdict when a value is
missing or the two are read as different types (a country beside a nationality). A sentence
about one subject never decides alone."""

from __future__ import annotations

import re

from rag.generators.extractive import ScoredSentence
from rag.sentences import asks
from rag.shapes.comparison import own_terms, side_by_side, speakers
from rag.shapes.pairs import Pair
from rag.shapes.text import coverage, stem, terms
from rag.shapes.types import Piece, ShapeInput, Shaped, cite

CANDIDATES = 3  # the best sentences read for the deciding one
POOL = 20  # the best sentences read for each subject of a two-subject question
# the entity types that give the value of an attribute named so ("the same nationality")
_VALUE_TYPES = {"nationality": ("NORP",), "citizenship": ("NORP",), "country": ("NORP", "GPE"),
                "nation": ("NORP", "GPE"), "state": ("GPE",), "city": ("GPE",),
                "person": ("PERSON",), "people": ("PERSON",), "director": ("PERSON",),
                "author": ("PERSON",), "writer": ("PERSON",), "company": ("ORG",),
                "organisation": ("ORG",), "organization": ("ORG",), "year": ("DATE",),
                "date": ("DATE",), "day": ("DATE",)}
_YEAR = re.compile(r"\b(?:1[5-9]|20)\d\d\b")
MIN_COVERAGE = 0.5
DECIDERS = 8  # the best sentences searched for one that says whether the asked verb may be done
DECIDING_COVERAGE = 0.34  # the key terms such a sentence holds: the verb and one more of three
_REACH = 3  # words between the verb and its modal ("cannot be deleted", "can each hold")
_AFTER = 8  # words after the verb, in its clause, that may give the verdict ("is not permitted")
_CLAUSE = re.compile(r"[,;:.()|\[\]]|\s[-–—]\s")
_WORD = re.compile(r"[a-z][a-z'’]*")
# ... and "do"/"does": "This does not work for ranges" decides "Does clean() work on a range?"
_MODALS = frozenset("can cannot can't can’t could couldn't may might must mustn't should "
                    "shouldn't will won't only allowed permitted able unable does doesn't "
                    "doesn’t do don't don’t did didn't didn’t".split())
_VERDICTS = frozenset("refused rejected forbidden prohibited disallowed blocked disabled "
                      "allowed permitted supported unsupported possible impossible".split())
_NEGATION = re.compile(r"\b(?:no|not|never|cannot|none|neither|nor|nobody|nothing|prohibited|"
                       r"forbidden|banned|disallowed|ineligible|unable|may\s+not|must\s+not|"
                       r"refuse[sd]?|reject(?:s|ed)?|unsupported|impossible)\b"
                       r"|n['’]t\b", re.I)
_ONLY = re.compile(r"\bonly\b", re.I)
_STILL = re.compile(r"\b(?:still|any\s*more|any\s+longer|currently|continue[sd]?\s+to)\b", re.I)
_ENDED = re.compile(r"\b(?:was|were)\s+the\s+last\b|\bno\s+longer\b|\b(?:dropped|removed|"
                    r"discontinued|ended|ceased|withdrawn|retired|abolished|deprecated|"
                    r"replaced|superseded|expired)\b", re.I)
_UNIVERSAL = re.compile(r"\b(?:everyone|everybody|anyone|anybody|all|any|always|every|"
                        r"unlimited|whenever|whatever)\b", re.I)


def _negative(word: str) -> bool:
    """A word of a clause that says no: a negation cue, any "n't" ("aren't"), a block."""
    return _NEGATION.fullmatch(word) is not None or word.endswith(("n't", "n’t")) or word in (
        "blocked", "disabled")


def _polar(says: str, negative_question: bool, universal: bool) -> str | None:
    """The verdict from what a deciding sentence says of the asked verb."""
    if says == "only":
        if not universal:
            return None
        says = "no"
    return "yes" if (says == "no") == negative_question else "no"


def verdict(question: str, negative_question: bool, sentence: str) -> str | None:
    """"yes", "no" or None for ``sentence`` deciding ``question``. A question asking whether
    something goes on ("still", "any more", "any longer", "currently") is answered no by a
    sentence that says it ended ("20.3 was the last version that supported Python 2", "was
    dropped", "no longer"), unless the question asks of the ending itself."""
    if coverage(terms(question), sentence) < MIN_COVERAGE:
        return None
    negations = len(_NEGATION.findall(sentence))
    if negations > 1:
        return None
    if _STILL.search(question) and (ended := _ENDED.search(sentence)) is not None and \
            stem(ended.group(0).split()[-1]) not in terms(question):
        negative = negations == 0  # "was dropped": no; "was not dropped": it goes on
    elif negations == 1:
        negative = True
    elif _ONLY.search(sentence):
        if not _UNIVERSAL.search(question):
            return None
        negative = True
    else:
        negative = False
    return "yes" if negative == negative_question else "no"


def build(inp: ShapeInput) -> Shaped | None:
    if inp.kind.pair is not None:
        shaped = two_sided(inp, inp.kind.pair)
        if shaped is not None:
            return shaped
    wanted = terms(inp.question)
    # an FAQ's question restated ("Is (some part of) XZ Utils patented?") decides nothing
    # ... nor does a heading or a line of code ("semver.clean(' =v1.2.3 ') // '1.2.3'")
    pool = [s for s in inp.sentences if not asks(s.text) and inp.said(s)][:CANDIDATES]
    if not pool:
        return None
    ended = _ended(inp.question, pool, wanted)
    decided = deciding(inp, wanted) if ended is None else None
    if ended is not None:
        best = ended
        said = verdict(inp.question, inp.kind.negative, best.text)
    elif decided is not None:
        best, says = decided
        said = _polar(says, inp.kind.negative, _UNIVERSAL.search(inp.question) is not None)
    else:
        read = next((s for s in inp.sentences if inp.read is not None and inp.said(s)
                     and s.passage == inp.read[0] and inp.where(s)[0] == inp.read[1]), None)
        best = max(pool + ([read] if read is not None else []),
                   key=lambda s: (coverage(wanted, s.text), s is read, s.score))
        said = verdict(inp.question, inp.kind.negative, best.text)
    piece = inp.piece(best)
    if piece is None:
        return None
    lead = {"yes": "Yes. ", "no": "No. "}.get(said or "", "")
    return Shaped("yes_no", [piece], lead + cite(piece.text, piece.passage), verdict=said)


def _ended(question: str, pool: list[ScoredSentence],
           wanted: frozenset[str]) -> ScoredSentence | None:
    """For a question asking whether something goes on ("Does pip still support Python 2?"),
    the first of the best sentences that says it ended and holds half its key terms ("pip 20.3
    was the last version of pip that supported Python 2"): it decides, whatever a sentence with
    a modal says ("Older versions of CPython may be supported")."""
    if not _STILL.search(question):
        return None
    return next((s for s in pool if _ENDED.search(s.text)
                 and coverage(wanted, s.text) >= MIN_COVERAGE), None)


def deciding(inp: ShapeInput, wanted: frozenset[str]) -> tuple[ScoredSentence, str] | None:
    """Of the first DECIDERS sentences that say whether the question's own verb may be done,
    the one holding most of the key terms (DECIDING_COVERAGE at least; the best scored among
    equals), with what it says (:func:`says_whether`): "Working from home every day is not
    permitted" decides "Can I work from home every day?", not "Staff may work from home up to
    two days a week". A sentence holding more of the question's words but not saying whether (a
    command table's row that names "delete" and "default") decides nothing. None when no
    sentence says so."""
    verbs = inp.kind.predicates
    if not verbs:
        return None
    found = []
    for rank, s in enumerate(inp.sentences[:DECIDERS]):
        if asks(s.text) or not inp.said(s):
            continue
        held = coverage(wanted, s.text)
        if held >= DECIDING_COVERAGE and (said := says_whether(verbs, s.text)) is not None:
            found.append(((held, -rank), s, said))
    if not found:
        return None
    _, best, said = max(found, key=lambda f: f[0])
    return best, said


def says_whether(verbs: frozenset[str], sentence: str) -> str | None:
    """What ``sentence`` says of one of ``verbs`` (stems): "no" when a negation stands with it
    ("`default` cannot be deleted", "uploads are refused"), "only" under "only" ("only admins
    can invite"), "yes" under a modal or a verdict alone ("two collections can each hold",
    "exports are supported"); None when no verb of them stands under either. Read at the verb,
    not over the whole sentence: a "no change" further on says nothing of it."""
    for clause in _CLAUSE.split(sentence.lower()):
        words = _WORD.findall(clause)
        for i, w in enumerate(words):
            if stem(w) not in verbs:
                continue
            before, after = words[max(0, i - _REACH):i], words[i + 1:i + 1 + _AFTER]
            if not (any(b in _MODALS for b in before) or any(a in _VERDICTS for a in after)):
                continue
            near = before + after
            if any(_negative(n) for n in near):
                return "no"
            return "only" if "only" in near else "yes"
    return None


def two_sided(inp: ShapeInput, pair: Pair) -> Shaped | None:
    """The verdict of a question about two subjects from a sentence of each (None when no
    sentence speaks of either)."""
    wanted = terms(pair.key or pair.attribute, ())
    if not wanted and not pair.same:
        return None  # "Are X and Y both there?": nothing to find in their sentences
    found: list[tuple[str, ScoredSentence, str | None]] = []
    for side, other in ((pair.x, pair.y), (pair.y, pair.x)):
        own = own_terms(side, other)
        ranked = []
        for rank, i, s in speakers(inp, side, other, inp.sentences[:POOL]):
            value = _value(inp, s, pair, own) if pair.same else None
            fit = (value is not None) if pair.same else coverage(wanted, s.text)
            ranked.append(((fit, rank, -i), s, value))
        if ranked:
            _, s, value = max(ranked, key=lambda t: t[0])
            found.append((side, s, value))
    if not found:
        return None
    said = _same(pair, found) if pair.same else _both(wanted, found)
    pieces: list[Piece] = []
    for side, s, _ in found:
        piece = inp.piece(s, label=side)
        if piece is not None and all(p.text != piece.text for p in pieces):
            pieces.append(piece)
    if not pieces:
        return None
    lines, note = side_by_side(pieces, sorted({pair.x, pair.y} - {side for side, _, _ in found}))
    lead = {"yes": "Yes.", "no": "No."}.get(said or "")
    text = "\n".join(([lead] if lead else []) + lines + ([note] if note else []))
    return Shaped("yes_no", pieces, text, verdict=said, note=note)


def _both(wanted: frozenset[str], found: list[tuple[str, ScoredSentence, str | None]]) \
        -> str | None:
    """"yes" when each subject's sentence holds every key term of the attribute; "no" when one
    holds them all and the other's sentences hold none (the same search finds the attribute
    for one subject and not for the other); None otherwise."""
    if len(found) < 2:
        return None
    held = sorted(coverage(wanted, s.text) for _, s, _ in found)
    if held == [1.0, 1.0]:
        return "yes"
    return "no" if held == [0.0, 1.0] else None


def _same(pair: Pair, found: list[tuple[str, ScoredSentence, str | None]]) -> str | None:
    values = [v for _, _, v in found]
    if len(values) < 2 or None in values or _label(values[0]) != _label(values[1]):
        return None
    alike = values[0] == values[1]
    return "yes" if alike != pair.different else "no"


def _label(value: str | None) -> str:
    """The entity type a value was read as ("NORP" of "NORP:american"), "" for a word."""
    return value.split(":", 1)[0] if value and ":" in value else ""


def _value(inp: ShapeInput, s: ScoredSentence, pair: Pair, own: frozenset[str]) -> str | None:
    """What ``s`` gives as its subject's value of the attribute: the first named entity of
    the attribute's type that is not the subject itself (after the question's verb, "directed
    by", when the sentence holds it), or the word before the attribute's noun."""
    words = pair.attribute.lower().split()
    if not words:
        return None
    head = words[-1] if words[0] == "number" else words[0]
    types = _VALUE_TYPES.get(head) or _VALUE_TYPES.get(head.rstrip("s"))
    if types is not None:
        if inp.entities is None:
            return None
        text = s.text
        verb = pair.relation.split()[0] if pair.relation else ""
        at = text.lower().find(verb.lower()) if verb and verb.lower() not in ("of", "from", "in") \
            else -1
        for label in types:
            for e in inp.entities(text):
                if e.label == label and e.start >= max(at, 0) and not terms(e.text, ()) <= own:
                    year = _YEAR.search(e.text) if label == "DATE" else None
                    return f"{label}:{year.group(0) if year else e.text.lower()}"
        return None
    m = re.search(rf"([\w'’]+)[\s-]+{re.escape(head)}\b", s.text, re.I)
    if m is None or stem(m.group(1)) in own:
        return None
    return m.group(1).lower()
