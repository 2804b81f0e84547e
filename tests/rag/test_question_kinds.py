"""The question-kind classifier (rag.shapes.kinds) with the real spaCy tags, on many phrasings
of each kind, and the factoids that must stay factoids ("How many/much/long ..." ask for a
figure, never for steps)."""

from __future__ import annotations

import pytest

from rag.question_typing import Nlp
from rag.shapes.kinds import asked_count, comparison_sides, question_kind


@pytest.fixture(scope="module")
def nlp() -> Nlp:
    return Nlp()


@pytest.mark.parametrize("question, kind", [
    # procedure
    ("How do I set up the VPN on my laptop?", "procedure"),
    ("How can I request annual leave?", "procedure"),
    ("how should we report a lost badge", "procedure"),
    ("How to reset a forgotten password?", "procedure"),
    ("What are the steps to request a refund?", "procedure"),
    ("What is the procedure for onboarding a contractor?", "procedure"),
    ("Explain the process of filing an expense claim.", "procedure"),
    ("Walk me through creating an API key.", "procedure"),
    ("What should I do if my laptop is stolen?", "procedure"),
    ("Can you tell me how to roll back a release?", "procedure"),
    # "how do I change ..." asks how to, not how a figure changed
    ("How do I change my password?", "procedure"),
    ("How do I update the baseline after a change that moves the figures?", "procedure"),
    ("How has the number of staff changed since 2019?", "trend"),
    ("How does one set an option with an environment variable?", "procedure"),  # not "var..."
    ("How did the figures vary across the regions?", "trend"),
    ("How is a held release published?", "factoid"),
    # explanation
    ("Why do passwords expire every 90 days?", "explanation"),
    ("Why was the release held?", "explanation"),
    ("Explain why the gate refuses some questions.", "explanation"),
    ("What does a held release mean?", "explanation"),
    ("What is meant by near-duplicate?", "explanation"),
    ("What happens if I miss the deadline?", "explanation"),
    ("How does the refusal gate work?", "explanation"),
    ("What is the purpose of the release gate?", "explanation"),
    ("Describe the retention policy.", "explanation"),
    # yes/no
    ("Can I work from home every day?", "yes_no"),
    ("Is it allowed to bring pets to the office?", "yes_no"),
    ("Does the policy cover contractors?", "yes_no"),
    ("Should I report a near miss?", "yes_no"),
    ("Are visitors allowed in the lab?", "yes_no"),
    ("May interns approve purchase orders?", "yes_no"),
    ("Do I need a badge to enter the building?", "yes_no"),
    # comparison
    ("What is the difference between the Basic plan and the Pro plan?", "comparison"),
    ("What are the differences between annual leave and sick leave?", "comparison"),
    ("Basic vs Pro: which one includes support?", "comparison"),
    ("Compare the Basic plan with the Pro plan.", "comparison"),
    ("How does the Pro plan differ from the Basic plan?", "comparison"),
    ("Is there a difference between a staged and a held release?", "comparison"),
    # list
    ("Which three cities signed the pact?", "list"),
    ("List the documents required for a visa.", "list"),
    ("Name the members of the board.", "list"),
    ("What are the opening hours of the library?", "list"),
    ("What are the side effects of the vaccine?", "list"),
    ("Which countries does the memorandum target?", "list"),
    ("At which time points are data collected?", "list"),
    ("What two languages are spoken there?", "list"),
    # a trial named "X versus Y" is the question's subject, not two sides
    ("What are the secondary outcome measures of the rhomboid flap versus deep suturing "
     "pilonidal sinus trial?", "list"),
    ("Which scales are used in the PRP versus corticosteroid rotator cuff study?", "list"),
    # an adjective between the head's nouns: "high-risk cytogenetic abnormalities"
    ("Which high-risk cytogenetic abnormalities count toward the double-hit definition?", "list"),
    ("Which new drug is approved?", "factoid"),
    # trend
    ("How has the backlog changed over the last four quarters?", "trend"),
    ("How did the number of claims change from 2015 to 2019?", "trend"),
    ("What was the average processing time in each fiscal year from FY 2018 to FY 2022?",
     "trend"),
    ("What is the trend in staff turnover?", "trend"),
    ("How have retirement claims evolved?", "trend"),
    ("What was revenue over the past three years?", "trend"),
    ("How did sales grow year over year?", "trend"),
    ("What percent of claims were processed within 60 days in each of FY 2014, FY 2015 and "
     "FY 2016?", "trend"),
    # factoids stay factoids
    ("How many people crossed the border in November?", "factoid"),
    ("How much did the company pay for the building?", "factoid"),
    ("How long did the meeting last?", "factoid"),
    ("How old was the president in 2015?", "factoid"),
    ("How far is the airport from the city?", "factoid"),
    ("How often are passwords rotated?", "factoid"),
    ("How many steps are there in the process?", "factoid"),
    ("How much does the Pro plan cost?", "factoid"),
    ("Who is the Foreign Secretary of Mexico?", "factoid"),
    ("When did the bridge open?", "factoid"),
    ("Where was the treaty signed?", "factoid"),
    ("What is the capital of Canada?", "factoid"),
    ("Which company estimated the cost?", "factoid"),
    ("What percentage of claims were processed within 60 days in FY 2017?", "factoid"),
    ("Who won the cup in 2015?", "factoid"),
    ("Who is older, Alice or Bob?", "factoid"),
    ("Who owned the house from 1811 to 1827?", "factoid"),
    # the question after a clause saying what the staff member is doing
    ("I have written binding.gyp for my addon; how do I compile it?", "procedure"),
    ("My build stopped with errors after a pull. How do I fix it?", "procedure"),
    ("The export looks wrong - why does it drop the header row?", "explanation"),
    ("In 2019, who won the cup?", "factoid"),
    ("If the variable points to an old Python, will the tool look for another one?", "yes_no"),
    ("When the cache is full, how do I clear it?", "procedure"),
])
def test_kinds(nlp, question, kind):
    assert question_kind(question, nlp.tag(question)).kind == kind


def test_comparison_sides():
    assert comparison_sides("What is the difference between the Basic plan and the Pro plan?") \
        == ("Basic plan", "Pro plan")
    assert comparison_sides("Basic vs Pro: which one includes support?") == ("Basic", "Pro")
    assert comparison_sides("How does annual leave differ from sick leave?") == \
        ("annual leave", "sick leave")
    assert comparison_sides("What is the capital of Canada?") is None


@pytest.mark.parametrize("question, count", [
    ("Which three cities signed the pact?", 3), ("Name two rivers of Spain.", 2),
    ("List the 4 phases of the trial.", 4), ("Which cities signed the pact?", None),
    ("What are the three time points?", 3),
])
def test_asked_count(question, count):
    assert asked_count(question) == count


def test_polarity_of_a_yes_no_question(nlp):
    q = "Can't I bring a guest to the gym?"
    assert question_kind(q, nlp.tag(q)).negative
    q = "Can I bring a guest to the gym?"
    assert not question_kind(q, nlp.tag(q)).negative
