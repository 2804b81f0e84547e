"""Who does it: the short answer to "Who approves expense claims?" when the documents name no
person but a role or a body, as policies and procedures do: "Every claim is approved by the
line manager", "The finance director approves ...", "... need the finance director's approval".

The question's action is its verbs that are not auxiliaries ("approves", "sign", "booking"),
Snowball-stemmed so that "approved" and "approval" are the same action. In a sentence, the
agent of that action is the noun phrase after "by" following its participle (passive), the
noun phrase right before its finite verb (active; a modal or an adverb may stand between), or
the possessor of its noun ("the finance director's approval"). Determiners are left out; a
phrase of a pronoun, of more than ``MAX_WORDS`` words or holding a word of the question
(what is acted on, not who acts) is none. Part-of-speech tags only: the parser is not loaded
(rag.question_typing.Nlp)."""

from __future__ import annotations

from collections.abc import Sequence

from rag.roles import offsets
from rag.sentences import stem

MAX_WORDS = 6
_AUX = frozenset("be is are was were am been being do does did done have has had having "
                 "can could shall should may might must will would need needs get gets got "
                 "let make made".split())
_FINITE = frozenset({"VBZ", "VBP", "VBD"})
_NOUN = frozenset({"NN", "NNS", "NNP", "NNPS"})
_PHRASE = frozenset({"JJ", "NN", "NNS", "NNP", "NNPS", "POS"})
_BETWEEN = frozenset({"MD", "RB"})  # "the finance director must approve", "... also approves"


def asked_action(tagged: Sequence[tuple[str, str]]) -> frozenset[str]:
    """The stems of the question's verbs that are no auxiliaries: {"approv"} for "Who
    approves expense claims?"; empty for "Who was the rector?"."""
    return frozenset(stem(w) for w, t in tagged
                     if t.startswith("VB") and w.lower() not in _AUX and w.isalpha())


def agent_in(text: str, tagged: Sequence[tuple[str, str]], action: frozenset[str],
             asked: frozenset[str], nominal: bool = False) -> tuple[int, int] | None:
    """Offsets in ``text`` of the first agent of ``action`` it states (see the module), or
    None; the possessor of the action's noun only with ``nominal`` (a weaker reading: "also
    need the finance director's approval" is a condition more often than the rule).
    ``asked``: the question's content words, lower case (an agent holding one is what is
    acted on)."""
    words = [w for w, _ in tagged]
    tags = [t for _, t in tagged]
    spans = offsets(text, words)
    for i, (word, tag) in enumerate(tagged):
        if stem(word) not in action:
            continue
        found = None
        if tag == "VBN" and i + 1 < len(words) and words[i + 1].lower() == "by":
            found = _after(tags, words, i + 2)
        elif tag in _FINITE or tag == "VB" and i and tags[i - 1] == "MD":
            j = i
            while j and tags[j - 1] in _BETWEEN:
                j -= 1
            found = _before(tags, j)
        elif nominal and tag in ("NN", "NNS") and i >= 2 and tags[i - 1] == "POS":
            found = _before(tags, i - 1)
        if found is not None and _acceptable(words, tags, found, asked):
            return spans[found[0]][0], spans[found[1] - 1][1]
    return None


def _after(tags: Sequence[str], words: Sequence[str], at: int) -> tuple[int, int] | None:
    """The noun phrase from ``at`` (a determiner skipped): adjectives and nouns, then "of" and
    a noun phrase ("the head of department")."""
    i = at + (at < len(tags) and tags[at] in ("DT", "PRP$"))
    start = i
    while i < len(tags) and tags[i] in _PHRASE and tags[i] != "POS":
        i += 1
    if i + 1 < len(tags) and words[i].lower() == "of" and i > start:
        j = i + 1 + (tags[i + 1] == "DT")
        k = j
        while k < len(tags) and tags[k] in _PHRASE and tags[k] != "POS":
            k += 1
        if k > j and tags[k - 1] in _NOUN:
            i = k
    return (start, i) if i > start and tags[i - 1] in _NOUN else None


def _before(tags: Sequence[str], end: int) -> tuple[int, int] | None:
    """The noun phrase ending right before ``end`` (adjectives and nouns, back to a
    determiner or anything else)."""
    i = end
    while i and tags[i - 1] in _PHRASE and tags[i - 1] != "POS":
        i -= 1
    return (i, end) if i < end and tags[end - 1] in _NOUN else None


def _acceptable(words: Sequence[str], tags: Sequence[str], found: tuple[int, int],
                asked: frozenset[str]) -> bool:
    start, end = found
    phrase = [w.lower() for w in words[start:end]]
    return end - start <= MAX_WORDS and not any(w in asked or stem(w) in asked for w in phrase) \
        and any(w.isalpha() for w in phrase)
