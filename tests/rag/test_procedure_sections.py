"""Procedure steps read by section (rag.shapes.procedure, rag.shapes.text): a shell comment in a
code block is no heading; a list's introducing text is its whole paragraph; a command table's or
a bold-labelled list's answer is the items the question names, not all of them; the document's
title as a heading does not make its opening section the one that says how; and the Shape stage
reads a passage's steps from its whole section (tests/rag/shape_corpus/help-centre.md's
printer steps are cut across chunks there)."""

from __future__ import annotations

import pytest

from rag.generators.extractive import ScoredSentence
from rag.sentences import reflowed
from rag.shapes import QuestionKind, ShapeInput, procedure
from rag.shapes.text import blocks, is_reference, sections, terms
from rag.types import Passage

SHELL = """## Running it on several machines

To share one index between replicas, run a server and point every process at it:

```bash
chroma run --path /srv/chroma
# RAG_STORE__SSL=true if it sits behind TLS
rag serve
```
"""

KEYS = """## Keys and workers

- **API keys.** Send a key as `Authorization: Bearer KEY` on every request.
- **Named keys.** `app keys create --name NAME` prints a new key once; `app keys revoke NAME`
  refuses the key from the next request on.
- **Several workers.** `app serve --workers 4` starts processes that each load the model.
"""

TABLE = """## Commands

| command | what it does |
|---|---|
| `app collections list` | every collection with its document count |
| `app collections create NAME` | a new, empty collection |
| `app collections delete NAME [--force]` | refuses a collection that holds documents |
"""

TITLED = """# Printers: setting up and sharing

| part | what it needs |
|---|---|
| **printer** | a network cable and a share |
| **driver** | the vendor's package |

## Adding a printer on a laptop

1. Open Settings and choose Printers.
2. Click Add and pick the printer by its name.
3. Print a test page.
"""


def _input(question: str, text: str, title: str = "Help") -> ShapeInput:
    passage = Passage("c0", "help.md", title, text, 0, len(text), 0.5)
    first = text.strip().splitlines()[-1].strip("-*`| 0123456789.")
    return ShapeInput(question, QuestionKind("procedure"), [passage],
                      [ScoredSentence(first, 1, 0, 0.8, 0.5)])


def test_a_shell_comment_in_a_code_block_is_no_heading():
    assert [s.heading for s in sections(SHELL)] == ["Running it on several machines"]


def test_a_lists_introduction_is_its_whole_paragraph():
    text = "## Setup\n\nTo share one index between replicas,\nrun a server first:\n\n1. a\n2. b\n"
    (block,) = blocks(text)
    a, b = block.intro
    assert text[a:b] == "To share one index between replicas,\nrun a server first:"


def test_table_rows_are_a_block_only_when_asked_and_without_the_header():
    assert blocks(TABLE) == []
    (block,) = blocks(TABLE, rows=True)
    assert block.kind == "row" and is_reference(TABLE, block)
    assert [TABLE[a:b] for a, b in block.items][0] == \
        "`app collections list` | every collection with its document count"
    assert len(block.items) == 3


def test_the_rows_asked_of_a_command_table():
    (block,) = blocks(TABLE, rows=True)
    wanted = terms("How do I delete a collection that holds documents?")
    assert [TABLE[a:b] for a, b in procedure.asked_items(wanted, TABLE, block)] == [
        "`app collections delete NAME [--force]` | refuses a collection that holds documents"]


def test_a_bold_labelled_lists_answer_is_the_item_asked():
    shaped = procedure.build(_input("How do I revoke a named key?", KEYS))
    assert shaped is not None and len(shaped.pieces) == 1
    assert shaped.pieces[0].text.startswith("**Named keys.** `app keys create")
    assert shaped.pieces[0].text.endswith("refuses the key from the next request on.")


def test_the_documents_title_does_not_make_its_first_section_the_steps():
    shaped = procedure.build(_input("How do I set up a printer?", TITLED,
                                    title="Printers: setting up and sharing"))
    assert shaped is not None
    assert [p.text for p in shaped.pieces] == ["Open Settings and choose Printers.",
                                               "Click Add and pick the printer by its name.",
                                               "Print a test page."]


class _Texts:
    def __init__(self, text: str) -> None:
        self.text = text

    def document_text(self, doc_id: str) -> str:
        return self.text


def test_a_passage_cut_inside_a_list_is_read_as_its_whole_section():
    from index.cleaning import Cleaner
    from index.types import Document
    from rag.span_locator import SpanLocator
    from rag.stages.shape import Shape

    doc = "# Help\n\nIntro.\n\n" + TITLED.split("\n", 6)[-1] + "\n## Other\n\nElse.\n"
    clean = Cleaner().clean(Document("help.md", "Help", doc, "", 0.0, ""))
    at = clean.text.index("2. Click Add")
    cut = clean.text[at:at + 40]  # a chunk that starts and ends inside the list
    s, e = clean.original_span(at, at + len(cut))
    passage = Passage("help.md#h#3", "help.md", "Help", cut, s, e, 0.5)
    wide = Shape(None, SpanLocator(_Texts(doc)))._widened(passage)
    assert wide.text.startswith("## Adding a printer on a laptop")
    assert "1. Open Settings" in wide.text and wide.text.rstrip().endswith("Print a test page.")
    assert "## Other" not in wide.text
    assert doc[wide.start:wide.end].strip() == wide.text.strip()


@pytest.mark.slow
def test_the_steps_are_read_from_the_whole_section_across_chunks(shape_pipeline):
    answer = shape_pipeline.answers.answer("How do I set up the VPN on my laptop?")
    assert not answer.refused and answer.shape.kind == "procedure"
    assert len(answer.shape.items) == 5
    text = shape_pipeline.store.document_text("help-centre.md")
    for item in answer.shape.items:
        c = next(c for c in answer.citations if c.n == item.citation)
        assert c.start <= item.start < item.end <= c.end
        assert " ".join(text[item.start:item.end].split()) == " ".join(item.text.split())


HANDBOOK = """## Remote knee physiotherapy sessions

1. Open the video call for the remote knee study session.
2. Check the camera shows the knee.

## Cancelling a booking

1. Open the booking in the app.
2. Press Cancel at least a day before.
"""


def test_the_section_is_judged_by_the_focus_not_the_studys_name():
    q = "How do I cancel a booking of the remote knee physiotherapy study?"
    passage = Passage("c0", "handbook.md", "Handbook", HANDBOOK, 0, len(HANDBOOK), 0.5)
    best = ScoredSentence("Open the video call for the remote knee study session.", 1, 0, 0.8,
                          0.5)
    whole = ShapeInput(q, QuestionKind("procedure"), [passage], [best])
    assert procedure.best_section(whole).section.heading == "Remote knee physiotherapy sessions"
    focused = ShapeInput(q, QuestionKind("procedure"), [passage], [best],
                         focus=terms("cancel a booking"))
    found = procedure.best_section(focused)
    assert found.section.heading == "Cancelling a booking"
    # one word of focus is too little to tell sections apart: the whole question then
    alone = ShapeInput(q, QuestionKind("procedure"), [passage], [best], focus=terms("cancel"))
    assert alone.asked == terms(q)


LEAKY = """## Keys and workers

- **API keys.** Send a key as `Authorization: Bearer KEY` on every request.
- **Named keys.** `app keys create --name NAME` prints a new key once; `app keys revoke NAME`
  refuses the key from the next request on.
- **Collections.** A key sees only its collections; the API never shows another's documents
  (the leak tests prove it).
"""


def test_a_reference_item_holding_a_best_sentence_is_kept_beside_the_key_terms_best():
    """"leak" in an item about leak tests gives it more key terms than the item that says how
    to revoke a key; the evidence stage's best sentence is in the latter, which is kept too."""
    q = "How do I revoke an API key that leaked?"
    passage = Passage("c0", "README.md", "Read me", LEAKY, 0, len(LEAKY), 0.5)
    said = reflowed(LEAKY)  # as the evidence stage splits it
    start = said.index("`app keys create")
    best = ScoredSentence(said[start:said.index("on.", start) + 3], 1, 0, 0.8, 0.5)
    bare = procedure.build(ShapeInput(q, QuestionKind("procedure"), [passage], []))
    assert bare is not None and not any("revoke" in p.text for p in bare.pieces)
    shaped = procedure.build(ShapeInput(q, QuestionKind("procedure"), [passage], [best]))
    assert shaped is not None
    assert any(p.text.startswith("**Named keys.**") for p in shaped.pieces)
    assert any(p.text.startswith("**Collections.**") for p in shaped.pieces)


STORE = """## Storage

The index lives in a folder by default.

To share one index between replicas, run a server and point every process at it:

```bash
chroma run --path /srv/chroma
RAG_STORE__MODE=server rag serve
```
"""


def _introduced(question: str, best: str) -> ShapeInput:
    passage = Passage("c0", "ops.md", "Operations", STORE, 0, len(STORE), 0.5)
    return ShapeInput(question, QuestionKind("procedure"), [passage],
                      [ScoredSentence(best, 1, 0, 0.9, 0.8)])


def test_the_gate_answers_steps_the_best_sentence_introduces():
    """Two of the three key terms (no "api"), none in the heading: only the best sentence's
    introducing the steps answers for the gate; another best sentence does not."""
    q = "How do I share one index between several API replicas?"
    intro = "To share one index between replicas, run a server and point every process at it:"
    found = procedure.best_section(_introduced(q, intro))
    assert found is not None and found.whole < procedure.RESCUE_COVERAGE
    assert procedure.answers(_introduced(q, intro))
    assert not procedure.answers(_introduced(q, "The index lives in a folder by default."))


ROUTES = """## HTTP API

| route | what it does |
|---|---|
| `GET /v1/collections` | the collections the key can see |
| `POST /v1/releases/rollback` | roll back to the previous release |

## Command line

| command | what it does |
|---|---|
| `app ask QUESTION` | answer one question |
| `app releases rollback [ID]` | publish again an older release |
"""


def _routes(best: list[str]) -> ShapeInput:
    passage = Passage("c0", "README.md", "Read me", ROUTES, 0, len(ROUTES), 0.5)
    said = reflowed(ROUTES)
    scored = [ScoredSentence(said[said.index(b):said.index("\n", said.index(b))], 1, i,
                             0.9 - i / 10, 0.5) for i, b in enumerate(best)]
    return ShapeInput("How do I roll back a release?", QuestionKind("procedure"), [passage],
                      scored)


def test_another_reference_list_gives_the_other_way_of_doing_it():
    """The HTTP route answers (it holds every key term); the command line's row holding one of
    the best scored sentences and half the key terms is the other way, listed after it; a row
    holding no best sentence is not."""
    shaped = procedure.build(_routes(["| `POST /v1/releases/rollback`",
                                      "| `app releases rollback [ID]`"]))
    assert shaped is not None
    assert [p.text.split("|")[0].strip() for p in shaped.pieces] == [
        "`POST /v1/releases/rollback`", "`app releases rollback [ID]`"]
    for p in shaped.pieces:
        assert ROUTES[p.start:p.end] == p.text
    alone = procedure.build(_routes(["| `POST /v1/releases/rollback`", "| `app ask QUESTION`"]))
    assert alone is not None and len(alone.pieces) == 1


def test_the_other_ways_skip_a_list_repeated_by_an_overlapping_passage():
    inp = _routes(["| `POST /v1/releases/rollback`", "| `app releases rollback [ID]`"])
    twice = [inp.passages[0], inp.passages[0]]
    shaped = procedure.build(ShapeInput(inp.question, inp.kind, twice, inp.sentences))
    assert shaped is not None and len(shaped.pieces) == 2


CACHE = """## Clearing the cache

pip keeps downloaded files between runs. To remove every file pip has cached, run:

```bash
pip cache purge
```

## Where the cache lives

The cache is under the user's cache folder.
"""


def test_one_command_its_best_sentence_introduces_is_the_procedure():
    """A help page's "To ..., run:" and one command: both, the command as the step (a code
    block of one line is no list of steps otherwise)."""
    passage = Passage("c0", "caching.md", "Caching", CACHE, 0, len(CACHE), 0.5)
    best = "To remove every file pip has cached, run:"
    inp = ShapeInput("How do I empty pip's cache of every file?", QuestionKind("procedure"),
                     [passage], [ScoredSentence(best, 1, 0, 0.9, 0.8)])
    shaped = procedure.build(inp)
    assert shaped is not None and shaped.kind == "procedure"
    assert [p.text for p in shaped.pieces][1] == "pip cache purge"
    assert shaped.pieces[0].text.endswith(best)
    assert shaped.text.splitlines()[-1] == "1. pip cache purge [1]"
    for p in shaped.pieces:
        assert CACHE[p.start:p.end] == p.text
    other = ShapeInput("How do I empty pip's cache of every file?", QuestionKind("procedure"),
                       [passage], [ScoredSentence("The cache is under the user's cache folder.",
                                                  1, 0, 0.9, 0.8)])
    shaped = procedure.build(other)  # the command is not what the best sentence introduces
    assert shaped is None or "pip cache purge" not in [p.text for p in shaped.pieces]


SETEXT = """Multi-cluster architecture
==========================

Solving a problem
-----------------

Each cluster listens on a port of its own.

- one
- two

A rule after a blank line is no underline:

-----
"""


def test_setext_headings_are_sections_and_their_underlines_no_text():
    """A README underlining its headings ("Solving a problem" over "-----") has sections
    (postgresql-common's and redis's, in the help_docs corpus): before, the whole file was one
    section and its underlines were read as sentences of the steps."""
    assert [s.heading for s in sections(SETEXT)] == ["Multi-cluster architecture",
                                                    "Solving a problem"]
    (listed,) = blocks(SETEXT)
    assert [SETEXT[a:b] for a, b in listed.items] == ["one", "two"]
    assert listed.intro is None or "===" not in SETEXT[listed.intro[0]:listed.intro[1]]


DIRECTIVE = """## Precedence

```{note}
Command line options override environment variables, which override the
values in a configuration file.
```

To see where a value came from, run:

```bash
pip config debug
```
"""


def test_a_directive_fence_is_prose_not_commands():
    """MyST's "```{note}" holds the page's own text: its lines are no code block's commands
    (pip's pages in help_docs); a real code fence still is one."""
    kinds = [(b.kind, [DIRECTIVE[a:z] for a, z in b.items]) for b in blocks(DIRECTIVE)]
    assert kinds == [("code", ["pip config debug"])]


FAQ = """XZ Utils FAQ
============

Q:  What do the letters XZ mean?

A:  Nothing. They are just two letters. It has no deeper meaning.

Q:  What are LZMA and LZMA2?

A:  LZMA is the name of the compression algorithm. It is based on LZ77. LZMA2 is an update.

Q:  Can I recover parts of a broken .xz file?

A:  It may be possible if the file consists of multiple blocks. There is no recovery
    program yet.

Q:  Is XZ Utils patented?

A:  Nobody is aware of any patents.
"""


def test_without_a_list_the_sentences_around_the_best_one_not_the_pages_opening():
    """A page whose one heading is its title (an FAQ): the steps' sentences start at the best
    sentence's paragraph when it stands past the first six, skip the title's underline and
    every question, and stop at the next FAQ entry."""
    passage = Passage("c0", "xz-faq.txt", "XZ Utils FAQ", FAQ, 0, len(FAQ), 0.5)
    best = "It may be possible if the file consists of multiple blocks."
    inp = ShapeInput("How do I recover a damaged .xz file?", QuestionKind("procedure"),
                     [passage], [ScoredSentence(best, 1, 0, 0.9, 0.3)])
    pieces = procedure._sentences(inp)
    assert [" ".join(p.text.split()) for p in pieces] == [
        "A: It may be possible if the file consists of multiple blocks.",
        "There is no recovery program yet."]
    for p in pieces:
        assert " ".join(FAQ[p.start:p.end].split()) == " ".join(p.text.split())
    early = ShapeInput("What do the letters mean?", QuestionKind("procedure"), [passage],
                       [ScoredSentence("It has no deeper meaning.", 1, 0, 0.9, 0.3)])
    texts = [" ".join(p.text.split()) for p in procedure._sentences(early)]
    assert texts[0] == "A: Nothing." and not any("===" in t or t.endswith("?") for t in texts)


HOME = """# Cargo Home

The Cargo home is a download cache. You can alter the location of the Cargo home by setting
the CARGO_HOME environmental variable.

## Caching the Cargo home in CI

It is enough to cache these files across builds:

- .crates.toml
- registry/index/
"""


def test_the_best_sentence_says_how_when_it_holds_more_of_the_question_than_a_list():
    """The best scored sentence, in a section without a list, holds more of the question than
    the list of another section: the steps are that section's sentences, not the list."""
    question = "How do I change the location of the Cargo home?"
    said = ("You can alter the location of the Cargo home by setting the CARGO_HOME "
            "environmental variable.")
    passage = Passage("c0", "cargo-home.html", "Cargo Home", HOME, 0, len(HOME), 0.5)
    shaped = procedure.build(ShapeInput(question, QuestionKind("procedure"), [passage],
                                        [ScoredSentence(said, 1, 0, 0.8, 0.5)]))
    assert shaped is not None and any("CARGO_HOME" in p.text for p in shaped.pieces)
    assert not any(p.text == ".crates.toml" for p in shaped.pieces)


IN_ITEM = """## Environment Variables

Options can be set with environment variables.

- `PIP_DEFAULT_TIMEOUT=60` is the same as `--default-timeout=60`
- ```
  PIP_FIND_LINKS="http://mirror1.example.com"
  ```

  is the same as

  ```
  --find-links=http://mirror1.example.com
  ```

```{note}
Variables set to an empty string are not treated as false.
```

## Precedence / Override order

Command line options override environment variables, which override the
values in a configuration file.
"""


def test_a_fence_opening_a_list_item_keeps_the_fences_paired():
    """pip's "- ```" (a list item's code): read as no fence, its closing "  ```" opened a code
    block that took the next section's heading and prose as commands (help_docs)."""
    assert [s.heading for s in sections(IN_ITEM)] == ["Environment Variables",
                                                      "Precedence / Override order"]
    code = [[IN_ITEM[a:z] for a, z in b.items] for b in blocks(IN_ITEM) if b.kind == "code"]
    assert code == [['PIP_FIND_LINKS="http://mirror1.example.com"'],
                    ["--find-links=http://mirror1.example.com"]]



WALK = """## How to Use

To compile your native addon first go to its root directory:

``` bash
cd my_node_addon
```

The next step is to generate the appropriate project build files for the current
platform. Use `configure` for that:

``` bash
node-gyp configure
```

Now you will have a `Makefile` in the `build/` directory. Next, invoke the `build` command:

``` bash
node-gyp build
```

## The binding.gyp file

A `binding.gyp` file describes the configuration to build your module:

``` python
{ "targets": [] }
```
"""


def test_a_walk_through_of_introduced_commands_gives_each_step_with_its_command():
    """node-gyp's README says how in three code blocks of one command, each introduced by its
    own text: the answer was the first introduction and ``cd`` alone; now each step, in order,
    up to the section's end (the next section's block is another matter)."""
    passage = Passage("c0", "README.md", "node-gyp", WALK, 0, len(WALK), 0.5)
    best = "To compile your native addon first go to its root directory:"
    inp = ShapeInput("I have written binding.gyp for my addon; how do I compile it?",
                     QuestionKind("procedure"), [passage], [ScoredSentence(best, 1, 0, 0.9, 0.5)])
    shaped = procedure.build(inp)
    assert shaped is not None and shaped.kind == "procedure"
    commands = [p.text for p in shaped.pieces if not p.label]
    assert commands == ["cd my_node_addon", "node-gyp configure", "node-gyp build"]
    assert [p.label for p in shaped.pieces if p.label] == ["1", "2", "3"]
    lines = shaped.text.splitlines()
    assert lines[:2] == [f"{best} [1]", "1. cd my_node_addon [1]"]
    assert lines[2].startswith("The next step is to generate the appropriate project build "
                               "files for the current platform.")
    assert lines[-1] == "3. node-gyp build [1]"
    for piece in shaped.pieces:
        assert WALK[piece.start:piece.end] == piece.text
