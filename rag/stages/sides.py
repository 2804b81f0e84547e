"""Sources that disagree about the short answer's value (docs/time.md "Sources that disagree"):
the same statement in another document (its versions and the other passages), a revised
passage wherever the answer looks (rag.revisions), and other documents' evidence sentences.

:class:`SideFinder` is mixed into the short-answer stage (rag.stages.short_answer), whose
``_nlp``, ``_locator``, ``_exact`` and ``_pick`` it uses.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from index.context import same_series
from rag.claims import MEASURED, NAMED, conflict, rivals, value_of
from rag.generators.extractive import SELECT_MARGIN, find_trimmed
from rag.pages import page_of
from rag.question_typing import AnswerType
from rag.revisions import changed_values
from rag.sentences import reflowed, split_sentences
from rag.stages.entity_text import content as _content
from rag.stages.entity_text import named_in as _named_in
from rag.stages.entity_text import trim as _trim
from rag.stages.state import AnswerState, ShortPick
from rag.types import Passage, Span

SIDE_SENTENCES = 3  # other documents' sentences read for a conflicting value, at most
NAME_TITLE = 6  # words of a title that names what its document is about, at most
REVISED_WORDS = 2  # question words a revised sentence must state, at least (fewer if it has fewer)
ANCHOR = 24  # characters either side of a value that a version must state the same
# Entity labels that say what a sentence is about (rival values must be about the same one).
_SUBJECT_LABELS = frozenset({"PERSON", "ORG", "WORK_OF_ART", "PRODUCT", "EVENT", "FAC", "LAW"})
# Kinds asking for a figure, and the labels a figure may carry: a revised "80%" answers "how
# much" as well as a count would (the recogniser reads it as a percent, not a quantity).
_FIGURE_KINDS = frozenset({"count", "quantity", "percent", "money"})
_FIGURE_LABELS = frozenset({"CARDINAL", "QUANTITY", "PERCENT", "MONEY"})


class SideFinder:
    """The disagreement finder of the short-answer stage (a mixin: see the module docstring)."""

    _nlp: Any
    _locator: Any

    def _sides(self, state: AnswerState, answer_type: AnswerType, question: set[str],
               passage: Passage, s: int, e: int, said: str) -> list[ShortPick]:
        """The short answer and each rival value other documents state, or [] when none:
        first the versions of its own passage (``Passage.versions``: other documents' copies
        of the story, collapsed in retrieval) that state another value in the same words
        around it, then (measured values only) other documents' evidence sentences."""
        assert state.short is not None
        kind = answer_type.kind
        first, versions = self._version_sides(state, answer_type, question, passage, s, e, said)
        if first is not None and first is not state.short:
            return [first, *versions]  # about another figure of the sentence: no more to read
        sides = [state.short, *versions]
        main = value_of(kind, passage.text[s:e], passage.text[e:e + 60])
        if main is not None and state.sentences:
            values = [main, *(v for v in (value_of(kind, p.text) for p in versions)
                              if v is not None)]
            seen = {passage.doc_id} | {state.passages[p.passage - 1].doc_id for p in versions}
            sides += self._other_sides(state, answer_type, question, said, values, seen)
        return sides if len(sides) > 1 else []

    def _version_sides(self, state: AnswerState, answer_type: AnswerType, question: set[str],
                       passage: Passage, s: int, e: int,
                       said: str) -> tuple[ShortPick | None, list[ShortPick]]:
        """The side this passage takes and the rival values of :meth:`_statement_sides`: for
        the short answer (``s``:``e``), else (measured kinds) for another figure of the asked
        kind in the sentence the answer quotes (``said``), the first that has rivals: the
        answer quotes that sentence, so another document's telling of it otherwise is a
        disagreement about what the answer says, even where the short answer is another of
        the sentence's figures ("Over 168 million people across 50 countries")."""
        assert state.short is not None
        picks = self._statement_sides(state, answer_type.kind, passage, s, e, said)
        a = passage.text.find(said)
        if picks or a < 0 or answer_type.kind not in MEASURED:
            return (state.short if picks else None), picks
        entities, _ = self._nlp.entities(said)
        for entity in entities:
            if entity.label not in answer_type.labels or _named_in(entity, question):
                continue
            x, y = (a + i for i in _trim(entity, said))
            if x < e and s < y:
                continue  # the short answer itself, read above
            picks = self._statement_sides(state, answer_type.kind, passage, x, y, said)
            main = self._exact(state.short.passage, passage, x, y) if picks else None
            if main is not None:
                return main, picks
        return None, []

    def _revised_sides(self, state: AnswerState, answer_type: AnswerType,
                       question: set[str]) -> list[ShortPick]:
        """Where a passage and another document's version of it (``Passage.versions``, or
        another passage) read alike but for a value of the asked kind (rag.revisions) in a sentence about the
        question (REVISED_WORDS of its words at least, its document's title's counting with
        them once the sentence states one: "Wytheville's population was 8,211" in "Wytheville,
        Virginia" is about a town in Virginia), both readings, each cited: a revised report or
        policy, a corrected story. The first such sentence, in passage order, the one sharing
        most of the question's words."""
        need = min(REVISED_WORDS, len(question))
        found: list[tuple[int, int, Passage, int, int, str]] = []
        passages = list(state.passages)
        for n, passage in enumerate(passages, 1):
            # its versions, and the later passages of other documents (a report's copy whose
            # pages were cut otherwise is not collapsed into it), never reports on another
            # organisation or of another period
            others = [*passage.versions,
                      *(p for p in passages[n:] if p.doc_id != passage.doc_id)]
            for version in others:
                if other_subject(passage, version) or other_period(passage, version) or \
                        other_named(passage, version):
                    continue
                for change in changed_values(answer_type.kind, passage.text, version.text):
                    lo, hi = change.sentence
                    said = passage.text[lo:hi]
                    own = set(_content(said)) & question
                    shared = len(own | set(_content(passage.title or "")) & question) if own \
                        else 0
                    if shared < need or _titled(passage, passage.text[change.start:change.end]):
                        continue
                    # the two stand in like words: one read as the asked label will do; the
                    # side is that reading's whole entity ("January 30, 2023" for "2023")
                    s, e = change.start, change.end
                    at = self._label_span(said, s - lo, e - lo, answer_type)
                    if at is not None or self._label_span(version.text, change.other_start,
                                                          change.other_end, answer_type):
                        s, e = (lo + at[0], lo + at[1]) if at is not None else (s, e)
                        found.append((-shared, n, passage, s, e, said))
        for _, n, passage, s, e, said in sorted(found, key=lambda f: f[:2]):
            picks = self._statement_sides(state, answer_type.kind, passage, s, e, said)
            main = self._exact(n, passage, s, e) if picks else None
            if main is not None:
                lo = passage.text.find(said)
                self._cite_sentence(state, n, passage, lo, lo + len(said))
                return [main, *picks]
        return []

    def _label_span(self, text: str, s: int, e: int,
                    answer_type: AnswerType) -> tuple[int, int] | None:
        """Where ``text[s:e]`` overlaps an entity of a label the question asks for (the
        recogniser reads the sentence around it; any figure's label when it asks for a figure):
        that entity's offsets when it holds ``text[s:e]`` whole, else ``(s, e)``; None when it
        overlaps none."""
        lo = max(text.rfind(". ", 0, s) + 2, text.rfind("\n", 0, s) + 1, 0)
        hi = _sentence_end(text, e)
        entities, _ = self._nlp.entities(text[lo:hi + 1])
        labels = set(answer_type.labels)
        if answer_type.kind in _FIGURE_KINDS:
            labels |= _FIGURE_LABELS
        for x in entities:
            if x.label in labels and lo + x.start < e and s < lo + x.end:
                a, b = (lo + i for i in _trim(x, text[lo:hi + 1]))
                return (a, b) if a <= s and e <= b else (s, e)
        return None

    def _statement_sides(self, state: AnswerState, kind: str, passage: Passage, s: int,
                         e: int, said: str) -> list[ShortPick]:
        """Values other documents state where this passage states ``passage.text[s:e]``: the same
        words before and after it (ANCHOR characters each, within its sentence), another value
        between them (rag.claims.rivals decides whether the two can both be true). Read: the
        versions of this passage (``Passage.versions``: other documents' copies of the story,
        collapsed in retrieval), then the other passages and their versions, one value per
        document. A side's passage joins the state's, cited at its sentence."""
        a = passage.text.find(said)
        a = a if 0 <= a <= s else s
        before = passage.text[max(a, s - ANCHOR):s]
        after = passage.text[e:min(a + len(said), e + ANCHOR)]
        seen = {passage.doc_id}
        picks: list[ShortPick] = []
        for version in _readable(passage, state.passages):
            found = None if version.doc_id in seen else next(
                ((x, y) for x, y in _aligned(before, after, version.text)
                 if rivals(kind, passage.text[s:e], after, version.text[x:y],
                           version.text[y:y + 60])), None)
            if found is None or _titled(passage, passage.text[s:e]) and \
                    _titled(version, version.text[found[0]:found[1]]):
                continue  # "The 2011 ... team" and "The 2009 ... team": a series, no dispute
            x, y = found
            listed = next((i for i, p in enumerate(state.passages, 1) if p is version), None)
            if listed is None:
                state.passages.append(version)
            n = listed or len(state.passages)
            pick = self._exact(n, version, x, y)
            if pick is None:
                if listed is None:
                    state.passages.pop()
                continue
            picks.append(pick)
            seen.add(version.doc_id)
            sentence = next((t for t in split_sentences(version.text)
                             if t.start <= x and y <= t.end), None)
            lo, hi = (sentence.start, sentence.end) if sentence else (x, y)
            self._cite_sentence(state, n, version, lo, hi)
        return picks

    def _other_sides(self, state: AnswerState, answer_type: AnswerType, question: set[str],
                     said: str, values: list, seen: set[str]) -> list[ShortPick]:
        """Conflicting values of other documents' evidence sentences that score within
        SELECT_MARGIN of the best and hold every word of the question that the short
        answer's sentence (``said``) holds, so they speak of the same thing (a year of another
        person's birth is no rival to this one's), SIDE_SENTENCES at most (each costs an
        entity-recogniser call), one value per document."""
        kind = answer_type.kind
        asked = question & set(_content(said))
        about = self._subjects(said, question)
        top = max(x.score for x in state.sentences)
        pool = sorted((x for x in state.sentences if x.score >= top - SELECT_MARGIN),
                      key=lambda x: (-x.score, x.order))
        sides: list[ShortPick] = []
        checked = 0
        for sentence in pool:
            other = state.passages[sentence.passage - 1]
            if checked >= SIDE_SENTENCES:
                break
            if other.doc_id in seen or other_subject(state.passages[state.short.passage - 1],
                                                      other):
                continue
            words = set(_content(sentence.text))
            if not asked <= words or len(words & question) < min(2, len(question)):
                continue  # close in meaning, but not about the same thing
            at = find_trimmed(reflowed(other.text), sentence.text)  # as split: same offsets
            if at < 0:
                continue
            checked += 1
            if not _same_subjects(about, self._subjects(sentence.text, question)):
                continue  # another manager's years, another film's box office
            found = self._pick(sentence.text, answer_type, question)
            if found is None or found[1]:
                continue
            (a, b), _ = found
            value = value_of(kind, sentence.text[a:b], sentence.text[b:b + 60])
            if value is None or not all(conflict(value, v) for v in values):
                continue
            pick = self._exact(sentence.passage, other, at + a, at + b)
            if pick is None:
                continue
            sides.append(pick)
            values.append(value)
            seen.add(other.doc_id)
            self._cite_sentence(state, sentence.passage, other, at, at + len(sentence.text))
        return sides

    def _subjects(self, text: str, question: set[str]) -> dict[str, set[str]]:
        """The named things ``text`` speaks of that the question does not name, by label: the
        last word of each person, organisation, work, product, event, facility or law."""
        entities, _ = self._nlp.entities(text)
        out: dict[str, set[str]] = {}
        for e in entities:
            words = _content(e.text)
            if e.label in _SUBJECT_LABELS and words and not _named_in(e, question):
                out.setdefault(e.label, set()).add(words[-1])
        return out

    def _cite_sentence(self, state: AnswerState, n: int, passage: Passage, a: int,
                       b: int) -> None:
        """The sentence that states a side, as a span of its citation (support 1.0: the value
        the answer quotes is inside it, by construction)."""
        start, end = self._locator.locate(passage, a, b)
        spans = state.spans.setdefault(n, [])
        if all((x.start, x.end) != (start, end) for x in spans):
            page = page_of(passage, start, self._locator.document_text(passage)
                           if passage.page_end > passage.page_start else None)
            spans.append(Span(start=start, end=end, text=passage.text[a:b], support=1.0,
                              page=page))


class Disputed:
    """Called by the gate on a refusal: True (answer after all) when the passages state the
    asked value two ways in one sentence about the question (:meth:`SideFinder._revised_sides`
    finds both sides): a revised copy that states another figure is an answer to give, naming
    both, though the best evidence sentences state neither (the gate's ``figure_missing``).
    Read on a scratch state; ``short_answer`` finds the sides again on the real one."""

    def __init__(self, finder: Any) -> None:
        self._finder = finder  # the short-answer stage (a SideFinder)

    def __call__(self, state: AnswerState) -> bool:
        question = state.standalone or state.question
        answer_type = self._finder._nlp.classify(question)
        if answer_type.kind not in MEASURED | NAMED or answer_type.is_list or \
                not state.passages:
            return False
        scratch = AnswerState(question=state.question, history=state.history,
                              options=state.options, standalone=question,
                              passages=list(state.passages))
        return bool(self._finder._revised_sides(scratch, answer_type, set(_content(question))))


def _titled(passage: Passage, value: str) -> bool:
    """The passage's document is named by ``value``: a short title (NAME_TITLE words at most,
    a name rather than a headline) that holds it ("2011 Colorado Buffaloes football team").
    Two such documents stating one sentence with their own values are a series (seasons,
    editions, people), not a dispute."""
    title = (passage.title or "").lower()
    return bool(value.strip()) and len(title.split()) <= NAME_TITLE and \
        value.strip().lower() in title


def _readable(passage: Passage, passages: Sequence[Passage]) -> list[Passage]:
    """Where a rival to ``passage``'s statement may stand: its versions, then every other
    passage and its versions, in rank order; never a report on another organisation, nor a
    document named after another thing."""
    out = list(passage.versions)
    for p in passages:
        if p is not passage:
            out += [p, *p.versions]
    return [p for p in out if not other_subject(passage, p) and not other_named(passage, p)]


def other_subject(a: Passage, b: Passage) -> bool:
    """``a`` and ``b`` come from reports on different organisations: both documents state the
    period they cover and the organisation they are about (index.context.record_facts), and
    the organisations differ. Two companies' quarterly reports say the same sentence with their
    own figures ("Research and development expenses ... were $12.4 million"): no dispute."""
    return bool(a.series and b.series and a.period and b.period and
                not same_series(a.series, b.series))


def other_named(a: Passage, b: Passage) -> bool:
    """``a`` and ``b`` come from documents named after two different things: both titles are
    names (NAME_TITLE words at most) and share no word. Two athletes' pages say one sentence
    with their own figures ("... in the 1967 Pan American Games 800 metres" on one, "... 400
    metres" on the other): no dispute. A revised copy or another outlet's story keeps a word
    of the title, or is titled by a headline."""
    x, y = set(_content(a.title or "")), set(_content(b.title or ""))
    return bool(x and y) and len((a.title or "").split()) <= NAME_TITLE and \
        len((b.title or "").split()) <= NAME_TITLE and not x & y


def other_period(a: Passage, b: Passage) -> bool:
    """``a`` and ``b`` come from documents covering periods that do not overlap (each states
    the years it covers, rag.time_scope): this year's report saying last year's sentence with
    its own figures is no dispute."""
    return bool(a.period and b.period and (a.period[1] < b.period[0] or b.period[1] < a.period[0]))


def _aligned(before: str, after: str, text: str) -> Iterator[tuple[int, int]]:
    """Offsets in ``text`` of each thing that stands between ``before`` and ``after`` (the
    words around a value in one version of a statement), in text order; none when they are
    not found in order, or too little stands around the value to call it the same statement.
    An empty side reaches to the sentence's edge."""
    if len(before.strip()) + len(after.strip()) < ANCHOR // 2:
        return
    if not before:
        j = text.find(after)
        while j >= 0:
            x = max(text.rfind(". ", 0, j) + 2, text.rfind("\n", 0, j) + 1, 0)
            if 0 < j - x <= 80:
                yield x, j
            j = text.find(after, j + 1)
        return
    i = text.find(before)
    while i >= 0:
        x = i + len(before)
        y = text.find(after, x) if after else _sentence_end(text, x)
        if 0 < y - x <= 80 and text[x:y].strip():
            yield x, y
        i = text.find(before, i + 1)


def _sentence_end(text: str, x: int) -> int:
    ends = [k for k in (text.find(". ", x), text.find("\n", x)) if k >= 0]
    return min(ends) if ends else len(text.rstrip(". "))


def _same_subjects(a: dict[str, set[str]], b: dict[str, set[str]]) -> bool:
    """Two sentences that both name people (or organisations, works, ...) speak of the same
    thing only if they share one of each such kind: "Mangnall managed Manchester United between
    1903 and 1912" and "Busby managed Manchester United between 1945 and 1969" do not disagree,
    they are about two managers. A sentence naming none constrains nothing ("the meeting lasted
    four hours, an official said")."""
    return all(a[label] & b[label] for label in a.keys() & b.keys())
