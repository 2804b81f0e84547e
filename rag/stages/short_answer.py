"""Stage 9: the exact answer (a name, a figure, a date, a list of places) taken from the best
verified sentences, with its offsets in the original document (see rag.question_typing).

The question is typed (``Nlp.classify``); a type that an entity can answer names spaCy labels.
The supporting passage text of the first verified sentences, best first, is run through the
entity recogniser, one sentence at a time until one holds a candidate: an entity of an expected
label that the question does not already name. Among a sentence's candidates the preferred
label wins, then the one with most words of the question close around it ("Acting Deputy
Secretary of Homeland Security Kristie Canegallo" for "who was acting deputy secretary of
homeland security"); a list question takes a run of candidates joined by commas and "and"
("New York, Chicago and Denver") as one span, looking on to the next sentence for one. The span is located in the original document
exactly as the citation spans are (rag.span_locator), and kept only if the document's own text there
reads the same, so ``document[start:end] == text`` always holds.

When the question asks for a measure (a figure, an amount, a duration, a date) the best evidence
sentences of *other* documents are read too; a value there that cannot be true beside the short
answer's (rag.claims) makes a disagreement: each side is kept, its sentence cited as a span, and
assemble opens the answer by saying the sources disagree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from rag import time_scope
from rag.question_typing import AnswerType, Entity, Nlp, same_unit
from rag.claims import MEASURED, NAMED, conflict, rivals, value_of
from rag.generators.extractive import SELECT_MARGIN
from rag.pages import page_of
from rag.span_locator import SpanLocator
from rag.table_cells import cell_for
from rag.stages.state import AnswerState, ShortPick
from rag.sentences import STOPWORDS, split_sentences
from rag.types import Passage, Span

_WORD = re.compile(r"[^\W_]+")
# What may stand between the items of a listed answer: "A, B and C", "A, B, or C", "A & B",
# titles included ("Biden, President López Obrador, and Prime Minister Justin Trudeau").
_LIST_GLUE = re.compile(r"^\s*(?:,\s*(?:(?:and|or|&)\s+)?|(?:and|or|&|as well as)\s+)"
                        r"(?:[A-Z][\w.'’-]*\s+)*$")
_SPACE = re.compile(r"\s+")
# "more than 191,000", "nearly $50 million": the figure is the answer, the hedge stays in the
# sentence that follows it (durations and dates keep theirs: "more than two hours").
_HEDGE = re.compile(r"^(?:(?:just|well|an|some)\s+)?(?:about|around|approximately|roughly|nearly|"
                    r"almost|over|under|more than|less than|fewer than|at least|at most|up to|"
                    r"as many as|as much as|close to|upwards of|estimated|some)\s+(?=[$€£]?\d)",
                    re.IGNORECASE)
_FIGURES = frozenset({"CARDINAL", "MONEY", "PERCENT", "QUANTITY"})
_CURRENCY = frozenset("$€£¥")
WINDOW = 8  # tokens either side of an entity in which question words count
SIDE_SENTENCES = 3  # other documents' sentences read for a conflicting value, at most
NAME_TITLE = 6  # words of a title that names what its document is about, at most
ANCHOR = 24  # characters either side of a value that a version must state the same
# Entity labels that say what a sentence is about (rival values must be about the same one).
_SUBJECT_LABELS = frozenset({"PERSON", "ORG", "WORK_OF_ART", "PRODUCT", "EVENT", "FAC", "LAW"})
# What may stand between a holder's name and the range of years of its line: "( 1943–1951 )",
# ", from 1970 to 1986".
_BETWEEN = re.compile(r"[\s(),:;\-–—]+|\b(?:from|in|between|during)\b", re.IGNORECASE)
# A name going on past where the recogniser stopped: a particle and a capitalised surname.
_NAME_PARTICLE = re.compile(r"\s(?:i|y|e|de|da|do|dos|das|del|della|di|du|van|von|der|den|ter|"
                            r"bin|ibn|al|el|la|le)\s[A-Z][\w'’-]*[^\W\d_]")
# Labels of a name that may head a line of holders and their years (see ShortAnswer._holder).
_HOLDER_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "FAC", "LOC", "WORK_OF_ART",
                            "PRODUCT", "EVENT"})


def _content(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


class ShortAnswer:
    name = "short_answer"

    def __init__(self, nlp: Nlp, locator: SpanLocator, max_sentences: int = 2) -> None:
        self._nlp = nlp
        self._locator = locator
        self._max_sentences = max_sentences

    def run(self, state: AnswerState) -> Iterable[str]:
        verified = state.verified
        if verified is None or not verified.kept:
            return ()
        question_text = state.standalone or state.question
        answer_type = self._nlp.classify(question_text)
        state.answer_type = answer_type
        state.short = self._table_cell(state, question_text)
        if state.short is not None or not answer_type.labels:
            return ()
        question = set(_content(question_text))
        scope = time_scope.asked(question_text)
        first = None
        for sentence in verified.kept[: self._max_sentences]:
            support = max(sentence.supports, key=lambda s: s.score)
            passage = state.passages[support.passage - 1]
            a, b = support.span
            found = self._pick(passage.text[a:b], answer_type, question, scope)
            if found is None and scope is not None and not answer_type.is_list:
                found = self._holder(passage.text[a:b], scope, question)
            if found is None:
                continue
            (s, e), listed = found
            pick = (support.passage, passage, a + s, a + e, passage.text[a:b])
            first = first or pick
            if listed or not answer_type.is_list:  # a list question looks on for a list
                first = pick
                break
        if first is not None:
            n, passage, s, e, said = first
            state.short = self._exact(n, passage, s, e)
            if state.short is not None and answer_type.kind in MEASURED | NAMED and \
                    not answer_type.is_list:
                state.sides = self._sides(state, answer_type, question, passage, s, e, said)
        return ()

    def _table_cell(self, state: AnswerState, question: str) -> ShortPick | None:
        """The cell of the column the question names, when the best sentence is a table row
        (rag.table_cells): "... in the quarter ended July 1, 2023?" reads that column."""
        assert state.verified is not None
        support = max(state.verified.kept[0].supports, key=lambda s: s.score)
        passage = state.passages[support.passage - 1]
        a, b = support.span
        found = cell_for(passage.text[a:b], question)
        return None if found is None else self._exact(support.passage, passage, a + found[0],
                                                      a + found[1])

    def _exact(self, n: int, passage: Passage, s: int, e: int) -> ShortPick | None:
        """``passage.text[s:e]`` as the document states it, None when markup inside it makes
        the document's own text there read otherwise."""
        start, end = self._locator.locate(passage, s, e)
        document = self._locator.document_text(passage)
        if document is None or _SPACE.sub(" ", document[start:end]) != passage.text[s:e]:
            return None
        return ShortPick(text=document[start:end], passage=n, start=start, end=end)

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
            at = other.text.find(sentence.text)
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

    def _holder(self, text: str, scope: time_scope.Scope,
                question: set[str]) -> tuple[tuple[int, int], bool] | None:
        """In a line stating the asked range itself ("Panagiotis Poulitsas ( 1943–1951 ) ,
        interim Prime Minister", a list of holders and their years), the name standing next to
        the range, whatever label the recogniser gave it (an unfamiliar name is often taken
        for a place): the holder of that period."""
        if time_scope.period_fit(text, scope) != time_scope.EXACT:
            return None
        at = next((m.start() for m in time_scope.RANGE_STATED.finditer(text)
                   if sorted(int(g) for g in m.groups() if g) == [scope.first, scope.last]), None)
        if at is None:
            return None
        entities, _ = self._nlp.entities(text)
        names = [e for e in entities if e.label in _HOLDER_LABELS and not _named_in(e, question)
                 and not _BETWEEN.sub("", text[min(e.end, at):max(e.start, at)])]
        if not names:
            return None
        best = min(names, key=lambda e: abs((e.end if e.end <= at else e.start) - at))
        return (best.start, best.end), False

    def _pick(self, text: str, answer_type: AnswerType, question: set[str],
              scope: time_scope.Scope | None = None) -> tuple[tuple[int, int], bool] | None:
        """Offsets in ``text`` of the answer entity (or listed entities) and whether it is a
        list, or None. With a dated ``scope``, a candidate whose nearest stated year is
        outside it ranks after those nearest a year inside it (or no year): "It moved its
        headquarters to New York in 1959 and to Jerusalem in 1973" answers "... in 1973" with
        Jerusalem."""
        entities, tokens = self._nlp.entities(text)
        labels = answer_type.labels
        if answer_type.kind == "person":
            entities = tuple(_split_title(e, tokens, question) for e in entities)
        candidates = [e for e in entities
                      if e.label in labels and not _named_in(e, question)]
        if answer_type.kind == "quantity" and answer_type.focus:
            # "How many kilometres ...": a figure of another unit (680,000 people) is no answer.
            candidates = [e for e in candidates
                          if any(same_unit(t, answer_type.focus)
                                 for t in tokens[e.token_start:e.token_end + 2])]
        if not candidates:
            return None
        hits = [i for i, t in enumerate(tokens) if _content(t) and
                all(w in question for w in _content(t))]

        def rank(e: Entity) -> tuple[int, int, float, int]:
            near = sum(1 / (e.token_start - i) if i < e.token_start else 1 / (i - e.token_end + 1)
                       for i in hits if not e.token_start <= i < e.token_end
                       and e.token_start - WINDOW <= i < e.token_end + WINDOW)
            return (_vague(e, answer_type), off_period(e), labels.index(e.label), -near, e.start)

        years = [] if scope is None or scope.latest else time_scope.year_mentions(text, scope)

        def off_period(e: Entity) -> int:
            """1: the year written nearest the entity is outside the scope."""
            if not years:
                return 0
            nearest = min(years, key=lambda y: max(y[0] - e.end, e.start - y[1], 0))
            return 0 if nearest[2] else 1

        if answer_type.is_list:
            listed = [r for r in _runs(text, candidates) if len(r) > 1]
            if listed:
                best = min(listed, key=lambda r: (min(rank(e) for e in r), -len(r)))
                return (best[0].start, best[-1].end), True
        best = min(candidates, key=rank)
        start, end = _trim(best, text)
        if best.label == "PERSON" and (m := _NAME_PARTICLE.match(text, end)):
            end = m.end()  # "Albert Royo i Mariné", "Ludwig van Beethoven": the whole name
        return (start, end), False


def _trim(one: Entity, text: str) -> tuple[int, int]:
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
    passage and its versions, in rank order; never a report on another organisation."""
    out = list(passage.versions)
    for p in passages:
        if p is not passage:
            out += [p, *p.versions]
    return [p for p in out if not other_subject(passage, p)]


def other_subject(a: Passage, b: Passage) -> bool:
    """``a`` and ``b`` come from reports on different organisations: both documents state the
    period they cover and the organisation they are about (index.context.record_facts), and
    the organisations differ. Two companies' quarterly reports say the same sentence with their
    own figures ("Research and development expenses ... were $12.4 million"): no dispute."""
    return bool(a.series and b.series and a.period and b.period and a.series != b.series)


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


def _named_in(entity: Entity, question: set[str]) -> bool:
    """The question already names it (all its words, or a person's surname)."""
    words = _content(entity.text)
    if not words:
        return False
    return all(w in question for w in words) or (
        entity.label == "PERSON" and words[-1] in question)


def _split_title(entity: Entity, tokens: Sequence[str], question: set[str]) -> Entity:
    """A title the question names run together with a name ("Homeland Security Kristie
    Canegallo", "Mexico Ken Salazar", tagged as one organisation): the name after it, a
    person."""
    words = tokens[entity.token_start:entity.token_end]
    cut = 0
    while cut < len(words) and _content(words[cut]) and \
            all(w in question for w in _content(words[cut])):
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


def _vague(entity: Entity, answer_type: AnswerType) -> int:
    """1 for a date with no figure in it ("this week") when a date is asked for."""
    if answer_type.kind in ("date", "time") and not any(c.isdigit() for c in entity.text):
        return 1
    return 0


def _runs(text: str, entities: Sequence[Entity]) -> list[list[Entity]]:
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
