"""The stages of answering a question, one module each, run in order by ``AnswerService``.

condense → embed → retrieve → evidence → gate → generate → verify → spans → short_answer → shape,
then
assemble.
Each stage reads and fills its own fields of one :class:`~rag.stages.state.AnswerState`; a stage
that refuses stops the sequence, and ``assemble`` then builds the refusal. The factory
(``rag.factory.build_stages``) chooses the sequence, so a new stage is a new module here and a
line there; ``AnswerService`` times every stage by its name (``timings_ms``).
"""

from rag.stages.base import Stage
from rag.stages.state import AnswerState

__all__ = ["AnswerState", "Stage"]
