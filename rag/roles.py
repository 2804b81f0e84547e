"""The position, rank or title a sentence gives someone: the short answer to "What position did
X hold from 2004 to 2006?", "Which rank did she reach in 1988?", "What job did he do?".

No entity label names a position ("lieutenant governor", "Minister of National Defence",
"International Grandmaster"), so the answer is read from the part-of-speech tags: the noun phrase
that a word giving a role introduces ("served as the lieutenant governor", "became an
International Master", "was Minister of National Defence", "the rank of Kapitän zur See"),
determiners and ordinals left out, with its "of ..." complement when a name or a noun follows
("duke of Carinthia", "national master of the USSR"), and where it is held when a name follows
"for" or "at" ("MP for South Antrim", "lecturer at the Collegium Albertinum"); nothing else after
it (a time).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.question_typing import AnswerType

# Head nouns of a question asking for a position (Nlp.classify types these "other" or
# "definition", focus the noun).
ROLE_NOUNS = frozenset("position rank office post job title role occupation profession "
                       "designation".split())
# "What role does the gate play?" asks for an explanation, not a position.
_PLAYS = re.compile(r"\bplay(?:s|ed|ing)?\b", re.IGNORECASE)


def asks_for_role(answer_type: AnswerType, question: str, dated: bool) -> bool:
    """Whether the question asks for a position held: "Which position did X take?", "What
    was the rank X received in 1988?" (``dated``: it names a time). "What is the role of the
    release manager?" with no time is a definition, answered by the passage's sentences."""
    return answer_type.focus in ROLE_NOUNS and not _PLAYS.search(question) and (
        answer_type.kind == "other" or answer_type.kind == "definition" and dated)


# Words after which the role stands ("served as", "became", "was", "named", "the rank of").
_AFTER = frozenset("as became become becomes becoming was is were named appointed elected "
                   "promoted made crowned installed".split())
_OF_ROLE = frozenset("rank position title post office role grade degree".split())
_SKIP = frozenset({"DT", "PRP$", "CD"})  # "the", "his", "40th" (ordinals are tagged JJ, see below)
_PART = frozenset({"JJ", "NN", "NNS", "NNP", "NNPS", "VBN"})
_NOUN = frozenset({"NN", "NNS", "NNP", "NNPS"})
_ORDINAL_ENDS = ("st", "nd", "rd", "th")
_NOT_ROLE = frozenset("member part one head".split())  # heads that name no role by themselves
# Words before a role that are not part of it: "was elected diocesan administrator", "the new
# Ulster Unionist MP".
_LEADING = frozenset("new former elected appointed named promoted".split())
MAX_WORDS = 8


def _ordinal(word: str) -> bool:
    return word[:-2].isdigit() and word.lower().endswith(_ORDINAL_ENDS) or \
        word.lower() in ("first", "second", "third", "fourth", "fifth", "sixth", "last")


def offsets(text: str, words: Sequence[str]) -> list[tuple[int, int]]:
    """Character offsets of each tagged word in ``text`` (the tagger keeps words in order)."""
    out, at = [], 0
    for w in words:
        i = text.find(w, at)
        if i < 0:
            i = at
        out.append((i, i + len(w)))
        at = i + len(w)
    return out


def roles(text: str, tagged: Sequence[tuple[str, str]]) -> list[tuple[int, int]]:
    """Offsets in ``text`` of each role a word giving one introduces, in text order."""
    words = [w for w, _ in tagged]
    tags = [t for _, t in tagged]
    spans = offsets(text, words)
    lower = [w.lower() for w in words]
    found: list[tuple[int, int]] = []
    for i, word in enumerate(lower):
        if not (word in _AFTER or (word == "of" and i > 0 and lower[i - 1] in _OF_ROLE)):
            continue
        phrase = _phrase(words, tags, lower, i + 1)
        while phrase is not None:
            start, stop = phrase
            found.append((spans[start][0], spans[stop - 1][1]))
            # "a national master in 1982, an International Master in 1988 and ...": the roles
            # listed after it, each past the words of its own time
            j = stop
            while j < len(words) and tags[j] in ("IN", "CD") and lower[j] != "of":
                j += 1
            if j < len(words) and lower[j] in (",", "and", "or", ";"):
                j += 1 + (j + 1 < len(words) and lower[j + 1] in ("and", "or"))
                phrase = _phrase(words, tags, lower, j) if j < len(words) and \
                    tags[j] in _SKIP else None
            else:
                phrase = None
    return sorted(set(found))


def _phrase(words: list[str], tags: list[str], lower: list[str],
            at: int) -> tuple[int, int] | None:
    """The role's words from ``at``: determiners, ordinals and words of becoming ("elected",
    "new") skipped, adjectives and nouns, then "of" and a following run of nouns (a determiner
    allowed before it), then "for" or "at" and a name (where the role is held)."""
    i = at
    while i < len(words) and (tags[i] in _SKIP or _ordinal(words[i]) or lower[i] in _LEADING):
        i += 1
    start = i
    while i < len(words) and tags[i] in _PART and not _ordinal(words[i]) and i - start < MAX_WORDS:
        i += 1
    if i == start or tags[i - 1] not in _NOUN or lower[i - 1] in _NOT_ROLE:
        return None
    if not any(w[:1].isalpha() for w in words[start:i]):
        return None
    if i + 1 < len(words) and lower[i] == "of":
        j = i + 1
        if j < len(words) and tags[j] == "DT":
            j += 1
        k = j
        while k < len(words) and tags[k] in _NOUN and k - start < MAX_WORDS:
            k += 1
        if k > j:
            i = k
    if i + 1 < len(words) and lower[i] in ("for", "at"):
        # where the role is held: "MP for South Antrim", "lecturer at the Collegium Albertinum"
        j = i + 1 + (tags[i + 1] == "DT")
        k = j
        while k < len(words) and tags[k] in ("NNP", "NNPS") and k - start < MAX_WORDS:
            k += 1
        if k > j:
            i = k
    return start, i
