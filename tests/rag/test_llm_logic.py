"""What AnswerService does with an LLM's reply, whatever the model: a scripted ChatModel stands in
for the model (the real backends are in test_llm_generators.py) over the real index and encoder."""

from collections.abc import Iterator

import pytest

from rag.factory import build_stages
from rag.generators.llm import Message
from rag.answer_service import AnswerService, StreamDelta, StreamDone
from rag.prompts import load_prompts

NOVEMBER = "How many migrants did Border Patrol apprehend in November?"


class ScriptedChat:
    """Replies with a fixed text, streamed in word pieces; records the messages it got."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.seen: list[list[Message]] = []

    def chat(self, messages: list[Message]) -> str:
        return "".join(self.stream_chat(messages))

    def stream_chat(self, messages: list[Message]) -> Iterator[str]:
        self.seen.append(messages)
        for i, word in enumerate(self.reply.split(" ")):
            yield word if i == 0 else " " + word


def service(seeded, reply: str) -> tuple[AnswerService, ScriptedChat]:
    """The production answering sequence, built by the factory with the settings' default gate,
    verifier and condenser, around a scripted model standing in for the 'openai' backend."""
    chat = ScriptedChat(reply)
    settings = seeded.settings.model_copy(update={
        "generator": seeded.settings.generator.model_copy(update={"name": "openai"})})
    answers = build_stages(settings, embedder=seeded.embedder, store=seeded.store,
                           retriever=seeded.retriever, keyword=seeded.keyword,
                           prompts=load_prompts(settings.generator.prompt_version), chat=chat)
    return answers, chat


def test_a_supported_paraphrase_is_kept_with_its_spans(seeded):
    answers, chat = service(seeded, "Border Patrol agents apprehended more than 191,000 "
                                    "migrants in November. [1] [2] [3] [4] [5]")
    answer = answers.answer(NOVEMBER)
    assert not answer.verification.fallback and answer.generator == "openai"
    # The exact figure first (taken from the passage that supports the sentence), then the reply.
    assert answer.short_answer is not None and answer.short_answer.text == "191,000"
    assert answer.answer.startswith("191,000. [1] Border Patrol agents apprehended more than 191,000")
    assert answer.verification.removed_markers >= 1  # passages without the figure lose theirs
    assert all(any("191,000" in s.text for s in c.spans) for c in answer.citations)
    assert chat.seen and "<passage n=\"1\"" in chat.seen[0][1].content


@pytest.mark.parametrize("reply", [
    "Border Patrol agents apprehended 250,000 migrants in November [1].",  # invented figure
    "Top Biden Administration Officials Meet Mexican President Amid Registered Immigrant "
    "Crossing [1].",  # supported, but answers nothing
    "",
])
def test_unsupported_or_off_topic_replies_fall_back_to_the_extractive_answer(seeded, reply):
    answers, _ = service(seeded, reply)
    answer = answers.answer(NOVEMBER)
    assert answer.verification.fallback and not answer.refused
    assert "191,000" in answer.answer and "250,000" not in answer.answer


def test_the_models_refusal_is_honoured(seeded):
    answers, _ = service(seeded, "The documents do not contain an answer to this question.")
    answer = answers.answer(NOVEMBER)
    assert answer.refused and answer.citations == []


def test_tokens_are_streamed_as_the_model_produces_them(seeded):
    reply = "Border Patrol agents apprehended more than 191,000 migrants in November [1]."
    answers, _ = service(seeded, reply)
    events = list(answers.stream(NOVEMBER))
    deltas = [e.text for e in events if isinstance(e, StreamDelta)]
    assert "".join(deltas) == reply and len(deltas) == len(reply.split(" "))
    assert isinstance(events[-1], StreamDone) and not events[-1].answer.verification.fallback
