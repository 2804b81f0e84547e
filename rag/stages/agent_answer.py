"""The short answer to "who does X" when the sentences name no person but a role or a body
("Who approves expense claims?": "line manager"): the role the sentences read say does the
question's action (rag.agents), else one of the ``FURTHER`` best scored sentences of the best
one's document, which then opens the answer. A mixin of the short-answer stage
(rag.stages.short_answer), as rag.stages.sides is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rag import agents, time_scope
from rag.generators.extractive import ScoredSentence
from rag.grounding import find_verbatim
from rag.stages.entity_text import content as _content
from rag.stages.state import AnswerState, ShortPick
from rag.types import Passage

FURTHER = 4  # further best scored sentences a typed answer or a role is looked for in


class AgentFinder:
    """The role-or-body finder of the short-answer stage (a mixin: see the module)."""

    _nlp: Any
    _read: Any
    _said: Any
    _exact: Any
    _open_with: Any

    def _agent(self, state: AnswerState, question_text: str, question: set[str],
               scope: time_scope.Scope | None) -> ShortPick | None:
        """"Who approves expense claims?" and no person in the sentences read: the role or body
        they, or one of the ``FURTHER`` best sentences of the best one's document, say does the
        question's action (rag.agents): "line manager". Of several, the one whose sentence holds
        most of the question's words, then an agent of the verb before the possessor of its noun,
        then the better scored; a further sentence then opens the answer."""
        action = agents.asked_action(self._nlp.question_tags(question_text))
        assert state.verified is not None
        read = [self._said(state, s) for s in self._read(state.verified.kept, scope)]
        if not action or not read:
            return None
        asked = frozenset(question) | {agents.stem(w) for w in question}
        further = [(s.passage, state.passages[s.passage - 1], s.text) for s in
                   unread(state, read)[:FURTHER] if state.draft is state.evidence]
        said = [(n, p, find_verbatim(t, p.text) if p.doc_id == read[0][1].doc_id else None)
                for n, p, t in [(n, p, t) for n, p, _, t in read] + further]
        found = []  # (question words held, a verb's agent, sentence order, ...)
        for k, (n, passage, at) in enumerate(said):
            text = "" if at is None else passage.text[at[0]:at[1]]
            held = len(asked & set(_content(text)))
            for nominal in (False, True) if held else ():
                span = agents.agent_in(text, self._nlp.tag(text), action, asked, nominal)
                if span is not None:
                    found.append((-held, nominal, k, n, passage, at, span))
                    break
        for _, _, k, n, passage, at, span in sorted(found, key=lambda f: f[:3]):
            pick = self._exact(n, passage, at[0] + span[0], at[0] + span[1])
            if pick:
                text = passage.text[at[0]:at[1]]
                flat = " ".join(text.split())
                if k >= len(read) and all(c.text != flat for c in state.verified.kept):
                    self._open_with(state, n, passage, at, text)
                return pick
        return None


def unread(state: AnswerState,
            read: Sequence[tuple[int, Passage, int, str]]) -> list[ScoredSentence]:
    """The evidence sentences not among those read, best scored first."""
    seen = {" ".join(said.split()).lower() for *_, said in read}
    ranked = sorted(state.sentences, key=lambda s: (-s.score, s.order))
    return [s for s in ranked if " ".join(s.text.split()).lower() not in seen]
