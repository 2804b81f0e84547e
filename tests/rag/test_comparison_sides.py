"""A comparison's sides as the question writes them, and the sentence each side is answered
with. The sides a question quotes are the quoted words ("'still reachable' in a Memcheck leak
report" is "still reachable"); a version number's dots end no side. Of the sentences naming a
side, an FAQ's own question ("what's the difference between ...?") answers nothing, and one
opening by saying what the side is ("X means ...") comes before one naming it on the way or
opening with it to say something else ("X leaks need fixing first"). No model: the
builder over a fixed passage, sentences scored by their order, best first."""

from __future__ import annotations

import pytest

from rag.generators.extractive import ScoredSentence, trim
from rag.sentences import reflowed, split_sentences
from rag.shapes import QuestionKind, ShapeInput
from rag.shapes.comparison import build
from rag.shapes.kinds import comparison_sides
from rag.types import Passage


@pytest.mark.parametrize("question, sides", [
    ("What is the difference between 'definitely lost' and 'still reachable' in a Memcheck "
     "leak report?", ("definitely lost", "still reachable")),
    ("What is the difference between `load_dotenv` and `dotenv_values`?",
     ("load_dotenv", "dotenv_values")),
    ("What is the difference between “tilde” ranges and caret ranges?", ("tilde", "caret ranges")),
    ("What is the difference between `~1.2.3` and `^1.2.3`?", ("~1.2.3", "^1.2.3")),
    ("What is the difference between v1.2 and v1.3?", ("v1.2", "v1.3")),
    ("What is the difference between the Basic plan and the Pro plan?", ("Basic plan", "Pro plan")),
    ("Basic vs Pro: which one includes support?", ("Basic", "Pro")),
])
def test_quoted_sides_are_the_quoted_words(question, sides):
    assert comparison_sides(question) == sides


FAQ = """## Leak kinds

With Memcheck's leak detector, what's the difference between "definitely lost" and "still
reachable"?

If you fix the "definitely lost" leaks, the "still reachable" ones often stay. Most leaks the tool reports as
"definitely lost" need a fix. "Definitely lost" leaks need fixing first. In short: "definitely lost" means your program is leaking memory.
"still reachable" means your program is probably ok.
"""


def test_a_side_is_answered_by_the_sentence_saying_what_it_is_not_the_faqs_question():
    question = ("What is the difference between 'definitely lost' and 'still reachable' in a "
                "Memcheck leak report?")
    passage = Passage("c1", "faq.txt", "Valgrind FAQ", FAQ, 0, len(FAQ), 0.5)
    said = [trim(s.text) for s in split_sentences(reflowed(FAQ)) if len(s.text.split()) >= 4]
    scored = [ScoredSentence(t, 1, i, 0.9 - 0.01 * i, 0.5) for i, t in enumerate(said)]
    inp = ShapeInput(question, QuestionKind("comparison", sides=comparison_sides(question)),
                     [passage], scored)
    shaped = build(inp)
    assert shaped is not None
    lost, reachable = shaped.pieces
    assert lost.label == "definitely lost" and reachable.label == "still reachable"
    assert lost.text == 'In short: "definitely lost" means your program is leaking memory.'
    assert reachable.text == '"still reachable" means your program is probably ok.'
    for piece in shaped.pieces:
        assert FAQ[piece.start:piece.end] == piece.text
