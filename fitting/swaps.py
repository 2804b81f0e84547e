"""Entity-swapped questions for the refusal gate's calibration (fitting/calibrate.py): a
question's key entity (spaCy NER: a name, place, organisation, date, number ...) replaced by
another of the same label found in the corpus, so the documents stay on topic but no longer
answer. A swap is kept only when it is safe (:func:`build_swaps`)."""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.dataset import QAItem
from rag.answerability import content_words
from rag.question_typing import Nlp


@dataclass(frozen=True)
class Swap:
    """``question`` with one entity (``original``, characters ``start:end``, label ``label``)
    replaced by ``replacement``: ``swapped``."""

    item_id: str
    question: str
    swapped: str
    label: str
    original: str
    replacement: str
    start: int
    end: int


# Entity labels worth swapping: what a question hinges on (not ORDINAL "first").
SWAP_LABELS = ("PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "EVENT", "WORK_OF_ART", "PRODUCT",
               "LAW", "LANGUAGE", "DATE", "CARDINAL", "QUANTITY", "MONEY", "PERCENT", "TIME")


def entity_pool(nlp: Nlp, texts: Iterable[str], labels: Sequence[str] = SWAP_LABELS
                ) -> dict[str, list[str]]:
    """Entity texts by label found in ``texts`` (each text's first 2,000 characters), sorted."""
    pool: dict[str, set[str]] = {}
    for text in texts:
        for e in nlp.entities(text[:2000])[0]:
            name = _THE.sub("", " ".join(e.text.split()))
            if e.label in labels and _swappable(name) and len(name) <= 40 and \
                    name[:1].isalnum() and not name.endswith(("'s", "’s")):
                pool.setdefault(e.label, set()).add(name)
    return {label: sorted(names) for label, names in sorted(pool.items())}


_THE = re.compile(r"^the\s+", re.IGNORECASE)
_WH_WORDS = frozenset("what which who whom whose when where why how".split())
_DATED = frozenset({"DATE", "TIME"})


def _swappable(text: str) -> bool:
    """An entity a swap may take out or put in: content words, no wh-word ("what year"), and a
    date or time only with a figure in it ("March 2020", not "this week")."""
    words = content_words(text)
    return bool(words) and not _WH_WORDS & set(text.lower().split())


def _fits(original: str, replacement: str, label: str) -> bool:
    """A date or time is swapped only for another with a figure ("in 2014" -> "in 1998")."""
    if label in _DATED:
        return any(c.isdigit() for c in original) and any(c.isdigit() for c in replacement)
    return True


class CorpusWords:
    """Each corpus document's set of content words, and their document frequencies: what a
    swap's replacement is checked against."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.words = {doc: frozenset(content_words(t)) for doc, t in texts.items()}
        self.df = Counter(w for ws in self.words.values() for w in ws)

    @classmethod
    def of(cls, corpus: Path) -> CorpusWords:
        return cls({p.name: p.read_text(encoding="utf-8", errors="ignore")
                    for p in sorted(corpus.iterdir()) if p.is_file()})

    def rarity(self, word: str) -> float:
        return math.log((1 + len(self.words)) / (1 + self.df.get(word, 0)))


def build_swaps(nlp: Nlp, items: Sequence[QAItem], pool: dict[str, list[str]],
                corpus: CorpusWords, seed: int = 13, tries: int = 25) -> list[Swap]:
    """One entity-swapped question per answerable item (with gold documents and no history)
    where a safe swap exists (see the module doc): the key entity is the question's rarest
    swappable one, the replacement a random pool entity of its label that

    - shares no word with it and is not in the question already,
    - occurs in no gold document (all its words in one),
    - occurs in no corpus document together with the question's two rarest other words,
    - and is read by the recogniser, in the swapped question, as an entity of the same label."""
    swaps: list[Swap] = []
    for item in items:
        if not item.answerable or not item.doc_ids or item.extra.get("history"):
            continue
        rng = random.Random(f"{seed}/{item.id}")
        q_words = set(content_words(item.question))
        entities = [e for e in nlp.entities(item.question)[0]
                    if e.label in SWAP_LABELS and _swappable(e.text) and pool.get(e.label)]
        entities.sort(key=lambda e: (-max(corpus.rarity(w) for w in content_words(e.text)),
                                     e.start))
        gold = [corpus.words.get(d, frozenset()) for d in item.doc_ids]
        found = None
        for entity in entities[:3]:
            own = set(content_words(entity.text))
            others = sorted(q_words - own, key=lambda w: (-corpus.rarity(w), w))[:2]
            names = pool[entity.label]
            for replacement in rng.sample(names, min(tries, len(names))):
                if not _fits(entity.text, replacement, entity.label):
                    continue
                the = None if entity.label in _DATED else _THE.match(entity.text)
                replacement = the.group(0) + replacement if the else replacement
                new = set(content_words(replacement))
                if new & own or new <= q_words:
                    continue
                if any(new <= g for g in gold):
                    continue
                if any(new <= ws and all(w in ws for w in others)
                       for ws in corpus.words.values()):
                    continue
                swapped = item.question[:entity.start] + replacement + item.question[entity.end:]
                at = entity.start
                if not any(e.label == entity.label and e.start == at and
                           e.text == replacement for e in nlp.entities(swapped)[0]):
                    continue
                found = Swap(item.id, item.question, swapped, entity.label, entity.text,
                             replacement, entity.start, entity.end)
                break
            if found is not None:
                break
        if found is not None:
            swaps.append(found)
    return swaps
