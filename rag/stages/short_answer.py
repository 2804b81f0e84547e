"""Stage 9: the exact answer (a name, a figure, a date, a list of places) taken from the best
verified sentences, with its offsets in the original document (see rag.question_typing).

The question is typed (``Nlp.classify``); a type that an entity can answer names spaCy labels.
The supporting passage text of the first verified sentences, best first, is run through the
entity recogniser, one sentence at a time until one holds a candidate: an entity of an expected
label that the question does not already name. Among a sentence's candidates the preferred
label wins, then the one with most words of the question close around it ("Acting Deputy
Secretary of Homeland Security Kristie Canegallo" for "who was acting deputy secretary of
homeland security"); a list question takes a run of candidates joined by commas and "and"
("New York, Chicago and Denver") as one span, looking on to the next sentence for one. The
span is located in the original document exactly as the citation spans are
(rag.span_locator), and kept only if the document's own text there reads the same, so
``document[start:end] == text`` always holds. A "who" question whose sentences name no person
is answered with the role or body they say acts (rag.stages.agent_answer: "line manager").

When the question asks for a measure (a figure, an amount, a duration, a date) or a name, other
documents are read too (rag.stages.sides); a value there that cannot be true beside the short
answer's (rag.claims) makes a disagreement: each side is kept, its sentence cited as a span, and
assemble opens the answer by saying the sources disagree. A question asking for a position held
is answered from the words that give it (rag.roles). A question naming a period whose sentences
read do not speak of it (no year of it stated, not a document of that period) is answered from
the same document's sentence that states it, which then opens the answer (``_dated``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rag import time_scope
from rag.answerability import FIGURE_KINDS, counted_in, measures_time
from rag.claims import MEASURED, NAMED
from rag.generators.extractive import ScoredSentence
from rag.grounding import CheckedSentence, Support, find_verbatim
from rag.question_typing import AnswerType, Entity, Nlp, same_unit
from rag.question_words import NOUN_KINDS
from rag.roles import asks_for_role, roles
from rag.span_locator import SpanLocator
from rag.stages.entity_text import acronyms
from rag.stages.entity_text import content as _content
from rag.stages.entity_text import named_in as _named_in
from rag.stages.entity_text import entry_holder, runs, split_title, whole_name, with_region
from rag.stages.entity_text import trim as _trim
from rag.stages.agent_answer import FURTHER, AgentFinder, unread as _unread
from rag.stages.sides import SideFinder
from rag.stages.state import AnswerState, ShortPick
from rag.table_cells import cell_for
from rag.types import Passage

_SPACE = re.compile(r"\s+")
READ_DATED = 4  # verified sentences looked at for one dating the start of an asked range
ANY, BESIDE, COUNTED = 0, 1, 2  # how a candidate must stand by the question's words
# The figure questions read a figure standing by the question's words first (a count: the
# counted noun after it first), in the sentences read, then in further ones; a name is read as
# before (near words of the question are often the subject's own: "ATSV Alemannia 1900").
_LEVELS = {"count": (COUNTED, BESIDE), "quantity": (BESIDE,), "money": (BESIDE,),
           "percent": (BESIDE,), "duration": (BESIDE,)}
COUNTED_REACH = 4  # words after a figure the counted noun may be in ("734,000 private plans")
WINDOW = 8  # tokens either side of an entity in which question words count
# What may stand between a holder's name and the range of years of its line: "( 1943–1951 )",
# ", from 1970 to 1986".
_BETWEEN = re.compile(r"[\s(),:;\-–—]+|\b(?:from|in|between|during)\b", re.IGNORECASE)
# A league or competition named before one of its members: "Serie B club Grosseto", "Premier
# League side Chelsea" (the recogniser often labels the member a person or a place).
_MEMBER_OF = re.compile(r"\s+(?:club|side|team|outfit|franchise)\s+"
                        r"(?P<name>[A-Z][\w'’.-]*(?:\s+(?:de\s+|of\s+)?[A-Z][\w'’.-]*)*)")
# A year written as a bare number is no count ("In FY 2022, OPM ..." for "how many cases"):
# one after a word that dates, or not followed by the thing counted ("2000 people").
_YEAR = re.compile(r"(?:1[89]|20)\d\d")
_DATING = frozenset("fy fiscal year years in since until by from through during of to and "
                    "early late mid before after circa".split())
_RANGE_REST = re.compile(r"\s*(?:to|-|–|—|(?P<and>and))\s*[$€£]?\d[\d,.]*\d?"
                         r"(?:\s*(?:%|percent|per cent|thousand|million|billion|trillion)\b)?")
_UNIT_AFTER = re.compile(r" ?([A-Za-z°][\w/°]*)")  # the word right after a figure: "8GB", "8 GB"
_BETWEEN_BEFORE = re.compile(r"\bbetween\s+$", re.IGNORECASE)
_NAME_KINDS = frozenset({"person", "organisation", "place", "facility", "name"})
# Labels of a name that may head a line of holders and their years (see ShortAnswer._holder).
# Words of a position before a holder's name in a list's line ("Director Ernst Aichner").
_ROLE_WORDS = NOUN_KINDS["person"] - {"lady", "lord"}
_HOLDER_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "FAC", "LOC", "WORK_OF_ART",
                            "PRODUCT", "EVENT"})
# A "who" question's person the recogniser took for another kind of name is taken for an
# organisation ("Alf Normann Hansen ( SV )"), hardly for a place, a building, an event or a
# work: "London", "Finnmark county" answer no "who edited ..." question.
_OTHER_LABELS: dict[str, frozenset[str]] = {"person": frozenset({"ORG"})}


class ShortAnswer(SideFinder, AgentFinder):
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
        question = set(_content(question_text)) | acronyms(question_text)
        scope = time_scope.asked(question_text)
        if state.short is None and asks_for_role(answer_type, question_text,
                                                 scope is not None):
            state.short = self._role(state, question, scope)
        if state.short is None and answer_type.labels:
            self._entity(state, answer_type, question, scope)
        if state.short is None and answer_type.kind == "person" and not answer_type.is_list:
            state.short = self._agent(state, question_text, question, scope)
        if not state.sides and answer_type.kind in MEASURED | NAMED and \
                not answer_type.is_list:
            state.sides = self._revised_sides(state, answer_type, question)
        return ()

    def _entity(self, state: AnswerState, answer_type: AnswerType, question: set[str],
                scope: time_scope.Scope | None) -> None:
        """The short answer an entity of the asked label gives (and its sides). For a figure
        question (``_LEVELS``), first one with a word of the question beside it in the sentences
        read; else, for an extractive answer, one so placed in a further top sentence of the
        best one's document, which then opens the answer (:meth:`_further`). Else any of the
        asked label in the sentences read."""
        verified = state.verified
        assert verified is not None
        read = [self._said(state, sentence) for sentence in self._read(verified.kept, scope)]
        further = state.draft is state.evidence and bool(state.sentences)
        first = None
        levels = _LEVELS.get(answer_type.kind, ())
        for beside in levels:  # the sentences read first, then further ones
            first = first or self._first(read, answer_type, question, scope, beside)
        for beside in levels if further else ():
            first = first or self._further(state, read, answer_type, question, scope, beside)
        if first is None:
            first = self._first(read, answer_type, question, scope, ANY)
        if further and scope is not None and not scope.latest and not answer_type.is_list:
            least = _unstated(read, scope)
            if least is not None:
                first = self._dated(state, read, answer_type, question, scope, least) or first
        if first is not None:
            n, passage, s, e, said = first
            state.short = self._exact(n, passage, s, e)
            if state.short is not None and answer_type.kind in MEASURED | NAMED and \
                    not answer_type.is_list:
                state.sides = self._sides(state, answer_type, question, passage, s, e, said)

    @staticmethod
    def _said(state: AnswerState, sentence: CheckedSentence) -> tuple[int, Passage, int, str]:
        support = max(sentence.supports, key=lambda s: s.score)
        passage = state.passages[support.passage - 1]
        a, b = support.span
        return support.passage, passage, a, passage.text[a:b]

    def _first(self, read: Sequence[tuple[int, Passage, int, str]], answer_type: AnswerType,
               question: set[str], scope: time_scope.Scope | None,
               beside: int) -> tuple[int, Passage, int, int, str] | None:
        first = None
        for n, passage, a, said in read:
            found = self.found(said, answer_type, question, scope, beside)
            if found is None:
                continue
            (s, e), listed = found
            first = first or (n, passage, a + s, a + e, said)
            if listed or not answer_type.is_list:  # a list question looks on for a list
                return n, passage, a + s, a + e, said
        return first

    def _further(self, state: AnswerState, read: Sequence[tuple[int, Passage, int, str]],
                 answer_type: AnswerType, question: set[str], scope: time_scope.Scope | None,
                 beside: int) -> tuple[int, Passage, int, int, str] | None:
        """An answer with a word of the question beside it in one of the ``FURTHER`` best
        scored sentences not read, from the document of the best one read; its sentence is
        cited and opens the answer ("A total of 90 stroke patients ..." when the sentences
        read give only "the two treatment groups"). A figure the counted noun follows
        (``COUNTED``) is also looked for, past those, in the sentences of that document that
        state one by the gate's own test (rag.answerability.counted_in), best scored first."""
        if not read or answer_type.is_list:
            return None
        doc = read[0][1].doc_id
        unread = _unread(state, read)
        if beside == COUNTED:  # a figure the counted noun follows: any sentence of the document
            # stating one (the gate's test), so the recogniser reads only those past the first
            unread = unread[:FURTHER] + [s for s in unread[FURTHER:]
                                         if counted_in(s.text, answer_type)]
        else:
            unread = unread[:FURTHER]
        return self._first_of(state, unread, doc, answer_type, question, scope, beside)

    def _dated(self, state: AnswerState, read: Sequence[tuple[int, Passage, int, str]],
               answer_type: AnswerType, question: set[str], scope: time_scope.Scope,
               least: int = time_scope.BOUND) -> tuple[int, Passage, int, int, str] | None:
        """When no sentence read states the asked period, an answer in a sentence of the same
        document that does: one stating the period itself first, then one stating a year that
        begins or ends it (one dating its start first: time_scope.begins), best scored first:
        "Hideyo Hanazumi - from 12 June, 2018 to present" for "Who governed the prefecture
        from Jun 2018 to Jun 2019?" when the sentences read describe the prefecture."""
        fits = {id(s): time_scope.period_fit(s.text, scope) for s in state.sentences}
        ranked = sorted((s for s in state.sentences if fits[id(s)] >= least),
                        key=lambda s: (-fits[id(s)], not time_scope.begins(s.text, scope),
                                       -s.score, s.order))
        return self._first_of(state, ranked, read[0][1].doc_id, answer_type, question, scope, ANY)

    def _first_of(self, state: AnswerState, sentences: Sequence[ScoredSentence], doc: str,
                  answer_type: AnswerType, question: set[str], scope: time_scope.Scope | None,
                  beside: int) -> tuple[int, Passage, int, int, str] | None:
        """The answer in the first of ``sentences`` (of document ``doc``) that holds one the
        document states as read; that sentence is cited and opens the answer."""
        for scored in sentences:
            passage = state.passages[scored.passage - 1]
            at = find_verbatim(scored.text, passage.text) if passage.doc_id == doc else None
            if at is None:
                continue
            said = passage.text[at[0]:at[1]]
            found = self.found(said, answer_type, question, scope, beside)
            if found is None:
                continue
            s, e = at[0] + found[0][0], at[0] + found[0][1]
            if self._exact(scored.passage, passage, s, e) is not None:
                self._open_with(state, scored.passage, passage, at, said)
                return scored.passage, passage, s, e, said
        return None

    def _open_with(self, state: AnswerState, n: int, passage: Passage, at: tuple[int, int],
                   said: str) -> None:
        assert state.verified is not None
        support = Support(passage=n, lexical=1.0, dense=1.0, numbers_ok=True, span=at,
                          supported=True)
        state.verified.sentences.insert(0, CheckedSentence(" ".join(said.split()), (support,),
                                                           supported=True))
        self._cite_sentence(state, n, passage, *at)

    def found(self, said: str, answer_type: AnswerType, question: set[str],
              scope: time_scope.Scope | None,
              beside: int = ANY) -> tuple[tuple[int, int], bool] | None:
        """Offsets in the sentence ``said`` of its answer and whether it is a list, or None. A
        name standing right by the asked range ("coach of Reggina from 2004 to 2007") holds it
        (:meth:`_holder`), before a name of the asked label farther off ("Serie A"); otherwise
        the best candidate of the asked label (:meth:`_pick`; ``beside`` BESIDE: one with a
        word of the question within ``WINDOW`` tokens or the counted noun after it; COUNTED:
        one the counted noun follows)."""
        if scope is None or answer_type.is_list:
            return self._pick(said, answer_type, question, scope, beside)
        if answer_type.kind in _NAME_KINDS:
            return self._holder(said, scope, question) or \
                self._pick(said, answer_type, question, scope, beside)
        return self._pick(said, answer_type, question, scope, beside) or \
            self._holder(said, scope, question)

    def _role(self, state: AnswerState, question: set[str],
              scope: time_scope.Scope | None) -> ShortPick | None:
        """The position the first verified sentences give, for a question asking for one
        (:meth:`role_in`)."""
        assert state.verified is not None
        for sentence in self._read(state.verified.kept, scope):
            support = max(sentence.supports, key=lambda s: s.score)
            passage = state.passages[support.passage - 1]
            a, b = support.span
            found = self.role_in(passage.text[a:b], question, scope)
            if found is not None:
                return self._exact(support.passage, passage, a + found[0], a + found[1])
        return None

    def _read(self, kept: Sequence[CheckedSentence],
              scope: time_scope.Scope | None) -> list[CheckedSentence]:
        """The verified sentences the short answer is read from, best first: the first
        ``max_sentences``; for a range of years asked, the ones among the first
        ``READ_DATED`` that date its start (time_scope.begins) come first: a state held over a
        range is told where it begins, and the range's last year starts the next one."""
        if scope is None or not kept:
            return list(kept[: self._max_sentences])
        head = list(kept[: max(self._max_sentences, READ_DATED)])
        head.sort(key=lambda s: not time_scope.begins(s.text, scope))
        return head[: self._max_sentences]

    def role_in(self, text: str, question: set[str],
                scope: time_scope.Scope | None) -> tuple[int, int] | None:
        """Offsets of the role ``text`` gives (rag.roles) that the question does not already
        name: the one nearest a year inside the asked period when it asks for one, else the
        first."""
        found = [(s, e) for s, e in roles(text, self._nlp.tag(text))
                 if not all(w in question for w in _content(text[s:e]))]
        if found:  # "an American journalist": the position is "journalist"
            nationalities = [x for x in self._nlp.entities(text)[0] if x.label == "NORP"]
            found = [next(((x.end + 1, e) for x in nationalities
                           if x.start == s and x.end + 1 < e), (s, e)) for s, e in found]
        if found and scope is not None and not scope.latest:
            # each role's own words of time: from its end to the next role (or the end)
            ends = [s for s, _ in found[1:]] + [len(text)]
            fit = {span: time_scope.period_fit(text[span[1]:stop], scope)
                   for span, stop in zip(found, ends)}
            found.sort(key=lambda span: -fit[span])  # stable: text order among equals
        return found[0] if found else None

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

    def _holder(self, text: str, scope: time_scope.Scope,
                question: set[str]) -> tuple[tuple[int, int], bool] | None:
        """In a line stating the asked range itself ("Panagiotis Poulitsas ( 1943–1951 ) ,
        interim Prime Minister", a list of holders and their years), the name standing next to
        the range, whatever label the recogniser gave it (an unfamiliar name is often taken
        for a place): the holder of that period."""
        if time_scope.period_fit(text, scope) != time_scope.EXACT:
            return None
        stated = next((r for r in time_scope.written_ranges(text)
                       if r[2:] == (scope.first, scope.last)), None)
        if stated is None:
            return None
        at = stated[0]
        held = entry_holder(text, stated[0], stated[1], _ROLE_WORDS)
        if held is not None and not all(w in question for w in _content(text[held[0]:held[1]])):
            return held, False  # a list's line: "1719–1724: Hugo Hamilton Hamilton af Hageby"
        entities, _ = self._nlp.entities(text)
        names = [e for e in entities if e.label in _HOLDER_LABELS and not _named_in(e, question)
                 and not _BETWEEN.sub("", text[min(e.end, at):max(e.start, at)])]
        if not names:
            return None
        best = min(names, key=lambda e: abs((e.end if e.end <= at else e.start) - at))
        return whole_name(text, best, best.start, best.end), False

    def _pick(self, text: str, answer_type: AnswerType, question: set[str],
              scope: time_scope.Scope | None = None,
              beside: int = ANY) -> tuple[tuple[int, int], bool] | None:
        """Offsets in ``text`` of the answer entity (or listed entities) and whether it is a
        list, or None. With a dated ``scope``, a candidate whose nearest stated year is
        outside it ranks after those nearest a year inside it (or no year): "It moved its
        headquarters to New York in 1959 and to Jerusalem in 1973" answers "... in 1973" with
        Jerusalem."""
        entities, tokens = self._nlp.entities(text)
        candidates, labels = _candidates(entities, tokens, answer_type, question)
        if not candidates:
            return None
        hits = [i for i, t in enumerate(tokens) if _content(t) and
                all(w in question for w in _content(t))]

        def rank(e: Entity) -> tuple[int, int, int, int, float, int]:
            return (_vague(e, answer_type), off_period(e), _uncounted(e, tokens, answer_type),
                    0 if answer_type.kind == "name" else labels.index(e.label), -near(e),
                    e.start)

        def near(e: Entity) -> float:
            return sum(1 / (e.token_start - i) if i < e.token_start else 1 / (i - e.token_end + 1)
                       for i in hits if not e.token_start <= i < e.token_end
                       and e.token_start - WINDOW <= i < e.token_end + WINDOW)

        if beside != ANY:
            candidates = [e for e in candidates if not _uncounted(e, tokens, answer_type)
                          or (beside == BESIDE and near(e) > 0)]
            if not candidates:
                return None
        years = [] if scope is None or scope.latest else time_scope.year_mentions(text, scope)

        def off_period(e: Entity) -> int:
            """0: the year written nearest the entity begins the scope (or there is none); 1:
            it is inside the scope; 2: outside it."""
            if not years:
                return 0
            nearest = min(years, key=lambda y: max(y[0] - e.end, e.start - y[1], 0))
            if not nearest[2]:
                return 2
            return 0 if time_scope.covers_first(text[nearest[0]:nearest[1]], scope) else 1

        if answer_type.is_list:
            listed = [r for r in runs(text, candidates) if len(r) > 1]
            if listed:
                best = min(listed, key=lambda r: (min(rank(e) for e in r), -len(r)))
                return (best[0].start, best[-1].end), True
        best = min(candidates, key=rank)
        start, end = _trim(best, text)
        if answer_type.kind in FIGURE_KINDS:
            end = _figure_end(text, start, end, answer_type)
        if best.label in _HOLDER_LABELS and text[end - 2:end] in ("'s", "’s"):
            end -= 2  # "Nelson Rockefeller's": the name without its possessive
        if answer_type.kind == "place":
            start, end = with_region(entities, best, text, question)
        if answer_type.kind == "organisation" and (m := _MEMBER_OF.match(text, end)):
            return m.span("name"), False  # "Serie B club Grosseto": the club, not its league
        return whole_name(text, best, start, end), False


def _unstated(read: Sequence[tuple[int, Passage, int, str]],
              scope: time_scope.Scope) -> int | None:
    """How closely a further sentence must state the asked period to answer instead of the
    sentences read (None: they state it as closely as any can): one that bounds it when none
    read speaks of it (none states it or a year beginning or ending it, nor states no year in a
    document of that period); one stating the asked range itself when none read does ("Yuri
    Puntus ( 1 March 1996 – 30 November 2004 )" over "The club was re-established in 1996")."""
    fit = max((time_scope.document_fit(said, scope, passage.period)
               for _, passage, _, said in read), default=time_scope.NONE)
    if fit < time_scope.BOUND:
        return time_scope.BOUND
    if fit < time_scope.EXACT and scope.first < scope.last:
        return time_scope.EXACT
    return None


def _candidates(entities: Sequence[Entity], tokens: Sequence[str], answer_type: AnswerType,
                question: set[str]) -> tuple[list[Entity], tuple[str, ...]]:
    """The entities that may answer (of the asked labels, not named by the question) and the
    labels in order of preference."""
    labels = answer_type.labels
    if answer_type.kind == "person":
        entities = tuple(split_title(e, tokens, question) for e in entities)
    candidates = [e for e in entities if e.label in labels and not _named_in(e, question)]
    if not candidates and answer_type.kind in _NAME_KINDS:
        # The recogniser often takes one kind of name for another ("Patrice Louvet" an
        # organisation, "Lazio" a person, "Nijmegen" an organisation): in the sentence read
        # first, a name of another label answers before a next sentence's one does.
        others = _OTHER_LABELS.get(answer_type.kind, _HOLDER_LABELS - {"NORP"})
        candidates = [e for e in entities if e.label in others and not _named_in(e, question)]
        labels = labels + tuple(sorted({e.label for e in candidates} - set(labels)))
    if answer_type.kind in FIGURE_KINDS:
        candidates = [e for e in candidates if not _a_year(e, tokens)]
    if answer_type.kind == "duration":  # "how long did it last": a span of time, not a date
        candidates = [e for e in candidates if measures_time(e, tokens)]
    if answer_type.kind == "quantity" and answer_type.focus:
        # "How many kilometres ...": a figure of another unit (680,000 people) is no answer.
        candidates = [e for e in candidates
                      if any(same_unit(t, answer_type.focus)
                             for t in tokens[e.token_start:e.token_end + 2])]
    return candidates, labels


def _uncounted(e: Entity, tokens: Sequence[str], answer_type: AnswerType) -> int:
    """0: a figure the counted noun follows ("24 trials" for "how many trials")."""
    focus = answer_type.focus if answer_type.kind == "count" else None
    if focus:
        for t in tokens[e.token_end:e.token_end + COUNTED_REACH]:
            if same_unit(t, focus):
                return 0
            if not t[:1].isalpha() or t in ("and", "or"):
                break  # the noun phrase after the figure ends
    return 1


def _figure_end(text: str, start: int, end: int, answer_type: AnswerType) -> int:
    """The end of a figure's span: the range it opens (:func:`_range_end`), and for a quantity
    the unit right after it that the recogniser left out ("8GB" of "at least 8GB")."""
    end = _range_end(text, start, end)
    if answer_type.kind == "quantity" and answer_type.focus and \
            (m := _UNIT_AFTER.match(text, end)) and same_unit(m.group(1), answer_type.focus):
        end = m.end()
    return end


def _range_end(text: str, start: int, end: int) -> int:
    """The end of the range the figure at ``text[start:end]`` opens, else ``end``."""
    rest = _RANGE_REST.match(text, end)
    if rest is None or (rest.group("and") and not _BETWEEN_BEFORE.search(text[:start])):
        return end
    return rest.end()


def _a_year(entity: Entity, tokens: Sequence[str]) -> bool:
    if not _YEAR.fullmatch(entity.text.strip()):
        return False
    before = tokens[entity.token_start - 1].lower() if entity.token_start > 0 else ""
    after = tokens[entity.token_end] if entity.token_end < len(tokens) else ""
    return before in _DATING or not (after[:1].isalpha() and after[:1].islower())


def _vague(entity: Entity, answer_type: AnswerType) -> int:
    """1 for a date with no figure in it ("this week") when a date is asked for."""
    if answer_type.kind in ("date", "time") and not any(c.isdigit() for c in entity.text):
        return 1
    return 0
