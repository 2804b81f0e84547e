"""The commands a help page gives without a list of steps (rag.shapes.commands): a section that
says what, whose subsections (one per platform) each give the command, answers with the
section's sentence and each subsection's command labelled by its heading; the section with its
subsections ends at the next heading of its level. No model: the builder over a fixed page."""

from __future__ import annotations

from rag.generators.extractive import ScoredSentence
from rag.shapes import QuestionKind, ShapeInput, procedure
from rag.shapes.commands import level, per_subsection, subsections_end
from rag.shapes.text import sections
from rag.types import Passage

PAGE = """# Building Node.js

## Building Node.js with external core modules

It is possible to specify one or more JavaScript text files to be bundled in
the binary as built-in modules when building Node.js.

### Unix/macOS

This command will make `/root/myModule.js` available via `require('/root/myModule')`.

```bash
./configure --link-module '/root/myModule.js'
```

### Windows

```powershell
.\\vcbuild link-module './myModule.js'
```

Setext title
------------

Other text.
"""
SAYS = ("It is possible to specify one or more JavaScript text files to be bundled in the "
        "binary as built-in modules when building Node.js.")


def test_heading_levels_and_where_a_section_with_its_subsections_ends():
    assert [level(PAGE, s) for s in sections(PAGE)] == [1, 2, 3, 3, 2]
    at = PAGE.index("It is possible")
    assert PAGE[subsections_end(PAGE, at):].startswith("Setext title")
    assert PAGE[subsections_end(PAGE, PAGE.index("This command")):].startswith("### Windows")


def test_a_section_whose_subsections_give_the_commands_answers_with_each():
    passage = Passage("c0", "BUILDING.md", "Building Node.js", PAGE, 0, len(PAGE), 0.5)
    inp = ShapeInput("How do I ship my own JavaScript file inside the Node.js binary?",
                     QuestionKind("procedure"), [passage], [ScoredSentence(SAYS, 1, 0, 0.9, 0.5)])
    shaped = per_subsection(inp)
    assert shaped is not None and shaped.kind == "procedure"
    assert [(p.label, p.text) for p in shaped.pieces[1:]] == [
        ("Unix/macOS", "./configure --link-module '/root/myModule.js'"),
        ("Windows", ".\\vcbuild link-module './myModule.js'")]
    assert shaped.text.splitlines()[1] == \
        "- Unix/macOS: ./configure --link-module '/root/myModule.js' [1]"
    for piece in shaped.pieces:
        assert " ".join(PAGE[piece.start:piece.end].split()) == " ".join(piece.text.split())
    assert procedure.build(inp).text == shaped.text  # the procedure shape gives it


def test_the_subsections_are_read_in_the_grown_passages_the_list_search_does_not_read():
    """The Shape stage grows a procedure's passages to their sections (the list search reads
    those) and, apart, to their subsections too (``ShapeInput.grown``): the commands come from
    the grown passage, and the shape says so (the stage then cites that passage)."""
    cut = PAGE[:PAGE.index("### Unix/macOS")]
    passage = Passage("c0", "BUILDING.md", "Building Node.js", cut, 0, len(cut), 0.5)
    grown = Passage("c0", "BUILDING.md", "Building Node.js", PAGE, 0, len(PAGE), 0.5)
    inp = ShapeInput("How do I ship my own JavaScript file inside the Node.js binary?",
                     QuestionKind("procedure"), [passage], [ScoredSentence(SAYS, 1, 0, 0.9, 0.5)])
    assert per_subsection(inp) is None
    shaped = per_subsection(ShapeInput(inp.question, inp.kind, [passage], inp.sentences,
                                       grown=[grown]))
    assert shaped is not None and shaped.grown
    assert [p.label for p in shaped.pieces[1:]] == ["Unix/macOS", "Windows"]


def test_a_section_giving_its_own_command_is_not_answered_by_its_subsections():
    """pip's "Basic HTTP authentication" gives its URL itself; its subsection's example of
    percent-encoding special characters is no other way of doing it."""
    page = ("## Basic HTTP authentication\n\npip supports basic HTTP-based authentication "
            "credentials. This is done by providing the username in the URL:\n\n```\n"
            "https://username:password@pypi.company.com/simple\n```\n\n"
            "### Percent-encoding special characters\n\n```\n"
            "https://user:he%2F%2Fo@pypi.company.com/simple\n```\n")
    passage = Passage("c0", "auth.md", "Authentication", page, 0, len(page), 0.5)
    best = "pip supports basic HTTP-based authentication credentials."
    inp = ShapeInput("How do I install from a private index that asks for a password?",
                     QuestionKind("procedure"), [passage], [ScoredSentence(best, 1, 0, 0.9, 0.5)])
    assert per_subsection(inp) is None
