"""A yes/no question about two subjects at once: "Are X and Y both <attribute>?", "Were X and Y
of the same <attribute>?". Read from the question's (word, tag) pairs (``Nlp.tag``), never
fitted: the two subjects are the name-like runs either side of its first "and" (capitalised
words and what joins them in a title, "Battle of the Ch'ongch'on River"; a run of nouns when the
subjects are written in lower case, "contractors and interns"); the attribute is what follows,
with "both" dropped; "the same" or "different" before it asks whether the two share one value of
it (``same``) rather than whether each has it. Only a question saying so ("both", "each",
"the same", "different") is read as one about the two each: "Do carrageenan and zanamivir have
a benefit?" asks of the two together.

The builder (rag.shapes.yes_no) decides from one sentence per subject."""

from __future__ import annotations

import re
from dataclasses import dataclass

_AUX = frozenset("is are was were do does did can could should may might must will would has "
                 "have had".split())
_BOTH = frozenset(("both", "all", "each"))
# words a title or a name holds in lower case ("Battle of the River", "Le roi malgré lui")
_JOIN = frozenset("of the a an to for de du des la le von van der den da di del 's ' & - ."
                  .split())
_VERB = ("VB", "VBD", "VBN", "VBP", "VBZ")
# The words that make a question about the two subjects each ("both", "the same"): without
# one, "Do carrageenan and zanamivir have a benefit?" asks of the two together.
_EACH = frozenset(("both", "all", "each", "same", "different", "either", "neither"))
_SAME = re.compile(r"\b(?:the\s+|that\s+|a\s+)?(same|different)\s+(.+)$", re.I)


@dataclass(frozen=True)
class Pair:
    """The two subjects, the attribute asked of them ("flowering plants", "located in
    Michigan"; for ``same``, the noun after "same": "nationality", "number of acts"), and what
    the question says between the subjects and "same" ("located in", "directed by")."""

    x: str
    y: str
    attribute: str
    same: bool = False
    different: bool = False  # "belong to different genres": yes when the values differ
    relation: str = ""
    key: str = ""  # the attribute without its verbs: "Michigan" of "located in Michigan"


def _name_end(words: list[tuple[str, str]], i: int) -> int:
    """The end of the subject starting at ``words[i]``: a capitalised run (with a title's
    joining words inside it), or a run of lower-case nouns."""
    capital = words[i][0][:1].isupper() or words[i][0][:1].isdigit() or words[i][0] in '"“'
    j = i
    while j < len(words):
        word, tag = words[j]
        low = word.lower()
        if low in _BOTH or low == "and" and j > i:
            break
        if capital:
            if word[:1].isupper() or word[:1].isdigit() or word in '"“”\'':
                # a capitalised adjective before a lower-case noun ends the name ("Argentinian
                # authors") unless it is the subject's first word
                if tag == "JJ" and j > i and j + 1 < len(words) and \
                        words[j + 1][0].islower() and words[j + 1][1].startswith("NN"):
                    break
                j += 1
                continue
            if low in _JOIN and j + 1 < len(words) and (words[j + 1][0][:1].isupper()
                                                        or words[j + 1][0].lower() in _JOIN):
                j += 1
                continue
            # lower-case nouns closing the name ("the Pro plan") before "and", "both" or a verb
            k = j
            while k < len(words) and words[k][1] in ("NN", "NNS") and words[k][0].islower():
                k += 1
            if k > j and k < len(words) and (words[k][0].lower() in _BOTH | {"and"}
                                             or words[k][1] in _VERB):
                j = k
            break
        if tag.startswith("NN") or tag in ("JJ", "HYPH") and j + 1 < len(words) and \
                words[j + 1][1].startswith("NN"):
            j += 1
            continue
        break
    while j > i and words[j - 1][0].lower() in _JOIN:  # "Ed Wood of (the same ...)"
        j -= 1
    return j


def pair_of(tagged: list[tuple[str, str]]) -> Pair | None:
    """The two subjects and the attribute of a yes/no question about both, else None."""
    words = [(w, t) for w, t in tagged if w.strip()]
    if len(words) < 5 or words[0][0].lower() not in _AUX or \
            not any(w.lower() in _EACH for w, _ in words):
        return None
    i = 1
    if words[i][0].lower() in _BOTH:
        i += 1
    # "the drinks Gibson and Zurracapote", "the documentaries One Big Hapa Family and ..."
    if words[i][0].lower() == "the" and i + 1 < len(words) and words[i + 1][0][:1].islower():
        k = i + 1
        while k < len(words) and words[k][1] in ("NNS", "NN") and words[k][0][:1].islower():
            k += 1
        if k < len(words) and words[k][0][:1].isupper():
            i = k
    if words[i][0].lower() == "the":
        i += 1
    if i + 3 > len(words):  # no room left for "X and Y"
        return None
    x_end = _name_end(words, i)
    if x_end == i or x_end + 2 >= len(words) or words[x_end][0].lower() != "and":
        return None
    y_start = x_end + 1 + (words[x_end + 1][0].lower() == "the")
    y_end = _name_end(words, y_start)
    if y_end == y_start:
        return None
    x = _text(words[i:x_end])
    y = _text(words[y_start:y_end])
    rest = [(w, t) for w, t in words[y_end:] if w.lower() not in _BOTH and t != "."]
    if rest and rest[0][0].lower() in ("are", "is", "were", "was"):  # "both X and Y are ..."
        rest = rest[1:]
    if not rest and len(y.split()) > 1 and words[y_end - 1][0][:1].isupper():
        # "Are both Jim McBride and Neil Jordan American?": the last capitalised word
        y, rest = _text(words[y_start:y_end - 1]), [words[y_end - 1]]
    attribute = _text(rest).strip(" ?")
    if rest and rest[0][0].lower() in ("of", "'s", "’s") and not _SAME.search(attribute):
        return None  # "the origin and epidemiology of the 1918 flu": one subject's two aspects
    key = _text([(w, t) for w, t in rest if t not in _VERB])
    if not attribute or not x or not y:
        return None
    m = _SAME.search(attribute)
    if m:
        relation = attribute[:m.start()].strip()
        return Pair(x, y, m.group(2).strip(), same=True,
                    different=m.group(1).lower() == "different", relation=relation)
    return Pair(x, y, attribute, key=key)


def _text(words: list[tuple[str, str]]) -> str:
    """The words as written: no space around a hyphen ("sign-on") or before "'s"."""
    out = " ".join(w for w, _ in words)
    out = re.sub(r"\s+(['’]s|[.,])", r"\1", out)
    out = re.sub(r"\s*-\s*", "-", out)
    return out.strip(' "“”\'').strip()
