"""A yes/no question is decided by the sentence that says whether its own verb may be done
(rag.shapes.yes_no.deciding): the verb under a modal ("`default` cannot be deleted", "can each
hold") or with a verdict in its clause ("uploads are refused", "is not permitted"), read at the
verb, not over the whole sentence. A sentence holding more of the question's words that says
no such thing (a command table's row naming "delete" and "default") does not decide it. The
question's verbs come from spaCy's tags (real model)."""

from __future__ import annotations

import pytest

from rag.generators.extractive import ScoredSentence
from rag.question_typing import Nlp
from rag.shapes import QuestionKind, ShapeInput, yes_no
from rag.shapes.kinds import question_kind
from rag.types import Passage

ROW = ("| `app collections list|create NAME|delete NAME [--force]` | the document collections: "
       "each with its document count; `delete` refuses a collection that holds documents "
       "unless `--force`; `default` always exists |")
CANNOT = "The `default` collection cannot be deleted."
HOLD = ("So the collections `hr` and `finance` can each hold a file named `handbook.md`, the "
        "manifest stays a flat map and releases needed no change.")


@pytest.fixture(scope="module")
def nlp() -> Nlp:
    return Nlp()


def _input(nlp: Nlp, question: str, texts: list[str]) -> ShapeInput:
    text = "\n\n".join(texts)
    passage = Passage("c0", "collections.md", "Collections", text, 0, len(text), 0.5)
    scored = [ScoredSentence(t, 1, i, 0.9 - 0.1 * i, 0.5) for i, t in enumerate(texts)]
    return ShapeInput(question, question_kind(question, nlp.question_tags(question)), [passage],
                      scored)


@pytest.mark.parametrize("question, verbs", [
    ("Can I delete the default collection?", {"delet"}),
    ("Does the app support dark mode?", {"support"}),
    ("Is it possible to export my data to CSV?", {"export"}),
    # a code identifier the tagger calls a verb is none ("semver.clean", "load_dotenv")
    ("Does semver.clean() work on a range?", set()),
    ("Can load_dotenv read a file?", {"read"}),
    # a hyphenated name is no verb, nor is a subordinate clause's ("edit", "running")
    ("Can python-dotenv reload the .env file automatically when I edit it while the app is "
     "running?", set()),
])
def test_the_questions_own_verbs_not_its_auxiliaries(nlp, question, verbs):
    kind = question_kind(question, nlp.question_tags(question))
    assert kind.kind == "yes_no" and set(kind.predicates) == verbs


def test_the_sentence_saying_whether_decides_over_one_holding_more_words(nlp):
    shaped = yes_no.build(_input(nlp, "Can I delete the default collection?", [ROW, CANNOT]))
    assert shaped is not None
    assert shaped.verdict == "no" and shaped.pieces[0].text == CANNOT
    assert shaped.text.startswith("No. The `default` collection cannot be deleted.")


def test_a_negation_elsewhere_in_the_sentence_says_nothing_of_the_verb(nlp):
    question = "Can two collections each hold a document with the same file name?"
    shaped = yes_no.build(_input(nlp, question, [ROW, HOLD]))
    assert shaped is not None and shaped.pieces[0].text == HOLD
    assert shaped.verdict == "yes"  # "no change" is about the releases, not the holding


@pytest.mark.parametrize("sentence, said", [
    ("Uploads and deletes are refused while only a read key is set.", "no"),
    ("Working from home every day is not permitted, except for medical reasons.", "no"),
    ("Only managers may approve a change to the agreed days.", "only"),
    ("Staff can claim up to 150 euros for a desk chair.", "yes"),
    ("Exports to CSV are supported from the settings page.", "yes"),
    ("Exports to PDF aren't supported yet.", "no"),
    ("Uploads over 10 MB are blocked by the proxy.", "no"),
    ("The upload page lists the formats; there is no limit on names.", None),  # no modal
])
def test_what_a_sentence_says_of_the_verb(sentence, said):
    from rag.shapes.text import stem

    verbs = frozenset(stem(v) for v in ("upload", "work", "approve", "claim", "export"))
    assert yes_no.says_whether(verbs, sentence) == said


def test_without_a_deciding_sentence_the_best_covered_one_is_read(nlp):
    """No sentence says whether: the rule before it (most key terms among the best three)."""
    question = "Can I delete the default collection?"
    shaped = yes_no.build(_input(nlp, question, [ROW, "Collections group documents."]))
    assert shaped is not None and shaped.pieces[0].text == ROW


def test_a_question_kind_without_verbs_keeps_the_rule_before():
    text = "\n\n".join([ROW, CANNOT])
    passage = Passage("c0", "collections.md", "Collections", text, 0, len(text), 0.5)
    scored = [ScoredSentence(t, 1, i, 0.9 - 0.1 * i, 0.5) for i, t in enumerate([ROW, CANNOT])]
    shaped = yes_no.build(ShapeInput("Can I delete the default collection?",
                                     QuestionKind("yes_no"), [passage], scored))
    assert shaped is not None and shaped.pieces[0].text == ROW


LAST = "pip 20.3 was the last version of pip that supported Python 2."
OLDER = "Older versions of CPython may be supported at the discretion of pip maintainers."


@pytest.mark.parametrize("question, verdict", [
    ("Does pip still support Python 2?", "no"),
    ("Is Python 2 still supported by pip?", "no"),
    ("Does pip support Python 2 any longer?", "no"),
])
def test_a_still_question_is_answered_no_by_the_sentence_saying_it_ended(nlp, question, verdict):
    """The sentence saying it ended decides over one whose modal says whether ("may be
    supported"); the answer reads it from its passage although its first word, "pip", is in
    lower case (the sentence as scored is capitalised)."""
    scored = [ScoredSentence("Pip 20.3 was the last version of pip that supported Python 2.",
                             1, 0, 0.9, 0.5), ScoredSentence(OLDER, 1, 1, 0.8, 0.5)]
    inp = _input(nlp, question, [LAST, OLDER])
    shaped = yes_no.build(ShapeInput(inp.question, inp.kind, inp.passages, scored))
    assert shaped is not None and shaped.verdict == verdict
    assert shaped.text == f"No. {LAST} [1]"


def test_the_ending_asked_of_is_no_verdict_against_it(nlp):
    assert yes_no.verdict("Is the old form still replaced by the new one?", False,
                          "The old form was replaced by the new one in 2024.") == "yes"
    assert yes_no.verdict("Does pip still support Python 2?", False,
                          "Support for Python 2 was not dropped.") == "yes"


def test_a_fence_read_into_the_deciding_sentence_is_not_quoted(nlp):
    note = ("```{note}\nAs mentioned in the standard library documentation, only ASCII "
            "characters are allowed in `.netrc` files.\n```")
    question = "Can my .netrc password contain non-ASCII characters?"
    shaped = yes_no.build(_input(nlp, question, [note]))
    assert shaped is not None and shaped.pieces[0].text.startswith("As mentioned"), shaped


def test_a_line_of_code_or_a_heading_decides_nothing_and_does_not_is_a_verdict(nlp):
    """semver's README: the best scored "sentence" was a run of example calls, read as a "yes";
    a heading or a grammar in a code fence says nothing either. "This does not work for
    ranges" answers "Does cleaning work on a range?": "does" stands for a modal."""
    code = ("semver.clean(' =v1.2.3 ') // '1.2.3'\nsemver.satisfies('1.2.3', '1.x || >=2.5.0') "
            "// true")
    heading = "#### Cleaning ranges `~1.0.0` `^1.2`"
    fenced = "```bnf\nrange-set ::= range ( logical-or range ) * cleaning\n```"
    says = "This does not work for ranges and cleaning."
    question = "Does cleaning work on a range?"
    shaped = yes_no.build(_input(nlp, question, [code, heading, fenced, says]))
    assert shaped is not None and shaped.verdict == "no"
    assert shaped.text == f"No. {says} [1]"
    assert yes_no.says_whether(frozenset({"work"}), "It does work on ranges.") == "yes"
