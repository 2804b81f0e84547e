"""The kind of answer a question asks for: procedure, explanation, yes/no, comparison, list,
trend, or factoid (the typed short answers of rag.question_typing, unchanged).

Rules, never fitted: patterns over the question's words, and spaCy's tags (``Nlp.tag``, the
same call rag.question_typing makes) for what patterns cannot see (a plural noun after "which":
"which cities" asks for a list; the answer type of rag.question_typing for questions opening
with an auxiliary, "Can I ...", and for "what three rivers"). Checked in this order, the first
that matches wins:

1. **trend**: "how has X changed", "over the last four quarters", "year over year", "in each
   fiscal year", "in each of FY 2014, FY 2015 ...", "trend";
2. **factoid** guard: "how many / much / long / old / far / often ..." asks for a figure, never
   for steps;
3. **comparison**: "difference between X and Y", "X vs Y", "compare X and/with Y", "how does X
   differ from Y" (X and Y are kept);
4. **changes**: "what changed in X (since ...)", "what's new in X", "what are the changes to
   X", "what was X renamed to", "what replaced X": the statements two versions of a document
   state differently (rag.shapes.changes);
5. **procedure**: "how do I / how can we / how to", "what are the steps to", "the process of",
   "what should I do to/if";
6. **explanation**: "why", "explain", "describe", "what does X mean", "what happens if", "how
   does X work", "what is the purpose of";
7. **yes_no**: a question opening with an auxiliary ("can I", "is it", "does", "should"),
   except a choice ("A or B?"); a "not" in it makes its polarity negative; one about two
   subjects at once ("Are X and Y both ...", "... of the same nationality") keeps them
   (rag.shapes.pairs);
8. **list**: "list / name / enumerate ...", "which three ...", "what are the <plural>", a plural
   head after which/what ("which cities");
9. anything else: **factoid**.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.question_typing import AnswerType, classify, plain_request
from rag.shapes.pairs import Pair, pair_of
from rag.shapes.text import stem

KINDS = ("procedure", "explanation", "yes_no", "comparison", "list", "trend", "changes",
         "factoid")

_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
            "nine": 9, "ten": 10, "both": 2}
_NUMBER = r"(two|three|four|five|six|seven|eight|nine|ten|\d{1,2})"
_LEAD = re.compile(r"^(?:(?:and|but|so|also|ok|okay|please|then)\b[\s,]*)+", re.I)
# (not "var" alone: "variable" is no change over time; "vary", "varied", "variation" are)
_CHANGE = (r"(?:chang|evolv|develop|grow|grew|trend|mov|vari(?:ed|es|ation)|vary|shift|"
           r"progress|fluctuat|increas|"
           r"decreas|declin|rise|rose|risen|fall|fell|fallen|improv|worsen)\w*")
_TREND = [
    re.compile(rf"\bhow\s+(?:has|have|did|does|do|had|is|are|was|were)\b.*\b{_CHANGE}", re.I),
    re.compile(r"\b(?:over|across|in|during|for)\s+the\s+(?:last|past|previous|preceding)\s+"
               r"(?:\w+\s+)?(?:years?|quarters?|months?|decades?|periods?|reports?|fiscal\s+"
               r"years?)\b", re.I),
    re.compile(r"\b(?:trends?|year[-\s](?:over|on)[-\s]year|over\s+time|time\s+series)\b",
               re.I),
    re.compile(r"\b(?:in|for|of)\s+each\s+(?:of\s+the\s+)?(?:(?:fiscal|calendar)\s+)?"
               r"(?:years?|quarters?|periods?|reports?)\b", re.I),
    re.compile(r"\beach\s+(?:(?:fiscal|calendar)\s+)?(?:year|quarter)\s+(?:reported|from|"
               r"between)\b", re.I),
    # "in each of FY 2014, FY 2015 and FY 2016", "for each of 2019 and 2020"
    re.compile(r"\beach\s+of\s+(?:the\s+)?(?:(?:FY|CY|fiscal\s+years?|years?)\s*)?"
               r"(?:19|20)\d\d\b", re.I),
]
_FACTOID_HOW = re.compile(r"^how\s+(?:many|much|long|old|far|often|big|large|tall|high|deep|"
                          r"wide|heavy|fast|soon|late|early|frequently|severe)\b", re.I)
_SIDE_END = r"(?=\s*(?:[?.!,;:](?:\s|$)|\bin\s+terms\s+of\b|\bwhen\s+it\s+comes\b|$))"
_COMPARE = [
    re.compile(rf"\bdifferen(?:ce|ces|t|tiate)\b.*?\bbetween\s+(?:the\s+)?(?P<x>.+?)\s+and\s+"
               rf"(?:the\s+)?(?P<y>.+?){_SIDE_END}", re.I),
    re.compile(rf"\bhow\s+(?:does|do|is|are|did)\s+(?:the\s+)?(?P<x>.+?)\s+(?:differ|different"
               rf"|compare|contrast)\w*\s+(?:from|to|with|against)\s+(?:the\s+)?(?P<y>.+?)"
               rf"{_SIDE_END}", re.I),
    re.compile(rf"^(?:compare|contrast)\s+(?:the\s+)?(?P<x>.+?)\s+(?:and|with|to|against|versus|"
               rf"vs\.?)\s+(?:the\s+)?(?P<y>.+?){_SIDE_END}", re.I),
    re.compile(rf"\bwhat\s+distinguishes\s+(?:the\s+)?(?P<x>.+?)\s+from\s+(?:the\s+)?(?P<y>.+?)"
               rf"{_SIDE_END}", re.I),
    re.compile(rf"(?:^|[:,]\s*|\b(?:is|are|of|between)\s+)(?:the\s+)?(?P<x>[\w'’.-]+(?:\s+[\w'’.-]+)"
               rf"{{0,3}}?)\s+(?:vs\.?|versus)\s+(?:the\s+)?(?P<y>.+?){_SIDE_END}", re.I),
]
# "the rhomboid flap versus deep suturing pilonidal sinus trial" names a study, not two sides
_NAMED_STUDY = re.compile(r"\b(?:trial|study|studies|protocol|experiment|cohort|registry)s?$",
                          re.I)
_IDENTIFIER = re.compile(r"[._()/]|\w\d")  # a word of code: "semver.clean", "load_dotenv"
# A question after a clause of context: its separator, then a question word opening the rest.
_ASKED_LAST = re.compile(r"(?:[;:.!?]|\s[-–—]|,\s+(?:so|but|and))\s+((?:how|what|which|why|"
                         r"when|where|who|can|could|should|is|are|do|does)\b[^;:!?]*\??)$",
                         re.I)
# "If the variable points to an old Python, will node-gyp look for another one?"
_ASKED_AFTER_IF = re.compile(r"(?:if|when|once|after|before|while|unless)\b[^?]*?,\s+((?:will|"
                             r"would|can|could|does|do|did|is|are|was|were|should|must|may|"
                             r"how|what|why|which|where|who)\b[^,;:?]*\??)$", re.I)
_QUOTED = re.compile(r"""^['"`‘“](?P<q>[^'"`’”]+)['"`’”]""")
_VS_LEAD = re.compile(r"^(?:what(?:'s|\s+is)?|which|how|compare|comparing)\s+", re.I)
_HOW_DO_I = re.compile(r"^how\s+(?:do|can|could|should|would|will|must|may|might|shall)\s+"
                       r"(?:i|we|you|one)\b", re.I)
_PROCEDURE = [
    re.compile(r"^how\s+(?:do|can|could|should|would|will|must|may|might|shall|does)\s+"
               r"(?:i|we|you|one|someone|somebody|anyone|staff|users?|employees?|people|"
               r"members?|managers?|admins?|administrators?|operators?|customers?|my|our|a\s+"
               r"(?:user|member|manager|customer|new\s+\w+))\b", re.I),
    re.compile(r"\bhow\s+to\b", re.I),
    re.compile(r"\b(?:steps?|procedures?|process|instructions?|guide|checklist)\s+(?:to|for|"
               r"of|when|in)\b", re.I),
    re.compile(r"\bwalk\s+(?:me|us)\s+through\b", re.I),
    re.compile(r"\bwhat\s+(?:do|should|must|shall)\s+(?:i|we|you|staff)\s+do\s+(?:to|if|when|"
               r"after|before|in\s+case)\b", re.I),
    re.compile(r"^how\s+(?:is|are|can|should)\s+.+\s+(?:set\s+up|installed|configured|"
               r"created|enabled|disabled|reset|renewed|submitted|requested|registered|"
               r"cancelled|canceled|done|applied\s+for)\b", re.I),
]
_EXPLANATION = [
    re.compile(r"^(?:why|explain|describe)\b", re.I),
    re.compile(r"\bwhat\s+(?:does|do|did)\s+.+\s+mean\b", re.I),
    re.compile(r"\b(?:what\s+is\s+meant\s+by|the\s+meaning\s+of|what\s+is\s+the\s+(?:purpose|"
               r"reason|point|rationale|role|idea)\s+(?:of|for|behind))\b", re.I),
    re.compile(r"^what\s+(?:happens|would\s+happen|will\s+happen|happened)\s+(?:if|when|to|"
               r"after|before)\b", re.I),
    re.compile(r"^how\s+(?:does|do|did|is|are|was|were)\s+.+\s+(?:work|works|happen|"
               r"calculated|determined|decided|computed|measured|affect|affects|relate|"
               r"related|used)\b", re.I),
    re.compile(r"^(?:can|could|would)\s+you\s+(?:explain|describe)\b", re.I),
]
_LIST = [
    re.compile(rf"^(?:list|enumerate|name)\b(?:\s+(?:all|the|each|every|{_NUMBER}))?", re.I),
    re.compile(r"^what\s+are\s+(?:all\s+)?the\s+", re.I),
    re.compile(r"\b(?:give|tell)\s+(?:me\s+)?(?:a\s+list|the\s+list|all)\b", re.I),
]
_COUNT = re.compile(rf"\b(?:which|what|name|list|the|give)\s+(?:(?:the|me|all)\s+)?{_NUMBER}\b"
                    rf"(?!\s*(?:%|percent|years?\s+ago))", re.I)
_NEGATIVE = re.compile(r"\b(?:not|never|no)\b|n['’]t\b", re.I)
# What two versions of a document state differently: "What changed in the travel policy since
# last year?", "What's new in the 2025 handbook?", "What are the main changes to the leave policy?"
_CHANGES = [
    # ("What is different about a held release?" asks what sets it apart, not what changed)
    re.compile(r"^what(?:['’]s|\s+has|\s+have|\s+was|\s+were)?\s+(?:been\s+)?(?:changed|"
               r"updated|revised)\b", re.I),
    re.compile(r"^what(?:['’]s|\s+is|\s+was|\s+are)\s+(?:new|different(?!\s+(?:about|with)\b))"
               r"(?:\s+(?:in|about|since|for|to|with)\b|\s*[?.]?$)", re.I),
    re.compile(r"^(?:what|which)\s+(?:are|were)\s+the\s+(?:\w+\s+){0,2}?(?:changes|updates|"
               r"revisions|amendments)\s+(?:in|to|of|made\s+to)\b", re.I),
    re.compile(r"^(?:list|summari[sz]e|show)\s+(?:me\s+)?(?:the\s+)?(?:\w+\s+)?(?:changes|"
               r"updates|revisions)\s+(?:in|to|of)\b", re.I),
    # "What was the technical board renamed to?", "What replaced the paper form?"
    re.compile(r"^what\s+(?:(?:was|were|has|have|is|are)\b.*\b(?:renamed|re-named)\b|"
               r"(?:has\s+|have\s+)?(?:replaced|superseded)\b)", re.I),
]
_CHOICE = re.compile(r"\bor\b", re.I)
_SUBORDINATORS = frozenset("if while because after before until unless although though since "
                           "whenever once so".split())
_AUX_WORDS = frozenset("be been being is are was were am do does did done has have had get got "
                       "can could shall should may might must will would need".split())
_AUX_START = re.compile(r"^(?:is|are|was|were|am|do|does|did|can|could|should|shall|may|might|"
                        r"must|will|would|has|have|had)(?:n['’]t|not)?\b", re.I)


@dataclass(frozen=True)
class QuestionKind:
    """The question's kind, with what its shape needs: a list's asked ``count`` ("which
    three"), a comparison's two ``sides``, a yes/no question's polarity (``negative``) and
    its two subjects (``pair``)."""

    kind: str
    count: int | None = None
    sides: tuple[str, str] | None = None
    negative: bool = False
    head: str = ""  # a list's: the noun run it asks for ("time points", "exclusion criteria")
    pair: Pair | None = None  # a yes/no question's two subjects and what is asked of them
    # a yes/no question's own verbs, stemmed ("delete" of "Can I delete the default
    # collection?"): not its auxiliary or modal, which only make it a question
    predicates: frozenset[str] = frozenset()


def question_kind(question: str, tagged: list[tuple[str, str]]) -> QuestionKind:
    """The kind of ``question`` given its (word, tag) pairs (``Nlp.tag``)."""
    asked = _LEAD.sub("", " ".join(question.split())).strip()
    whole = _LEAD.sub("", " ".join(plain_request(question).split())).strip()
    q = _LEAD.sub("", " ".join(plain_request(asked_clause(question)).split())).strip()
    # "How do I change my password?" asks how to, not how something changed over time.
    if any(p.search(q) for p in _TREND) and not _HOW_DO_I.match(q):
        return QuestionKind("trend")
    if _FACTOID_HOW.search(q):
        return QuestionKind("factoid")
    sides = comparison_sides(whole)  # "Basic vs Pro: which one includes support?"
    if sides is not None:
        return QuestionKind("comparison", sides=sides)
    if any(p.search(q) for p in _CHANGES):
        return QuestionKind("changes")
    if any(p.search(q) for p in _PROCEDURE):
        return QuestionKind("procedure")
    if any(p.search(q) for p in _EXPLANATION):
        return QuestionKind("explanation")
    typed = classify(tagged)
    if (typed.kind == "yes_no" or _AUX_START.match(q)) and not (_CHOICE.search(q) and "," in q):
        return QuestionKind("yes_no", negative=bool(_NEGATIVE.search(q)), pair=pair_of(tagged),
                            predicates=predicates(tagged))
    if _is_list(q, typed, tagged) or _LIST[0].search(asked):  # "Name the members of ..."
        return QuestionKind("list", count=asked_count(q), head=list_head(tagged))
    return QuestionKind("factoid")


def asked_clause(question: str) -> str:
    """The question a staff member asks after saying what they are doing: "I have written
    binding.gyp for my addon; how do I compile it?" -> "how do I compile it?", "My build
    stopped with errors after a pull. How do I fix it?" -> "How do I fix it?", "If the
    variable points to an old Python, will it look for another one?" -> "will it look for
    another one?"; the question itself when nothing comes before its question word."""
    flat = " ".join(question.split())
    m = _ASKED_LAST.search(flat) or _ASKED_AFTER_IF.match(flat)
    return m.group(1) if m else question


def predicates(tagged: list[tuple[str, str]]) -> frozenset[str]:
    """The stems of the verbs of the question's main clause, not its auxiliaries or modals:
    read up to its first subordinate clause ("... when I edit it while it is running"), and
    no word of a hyphenated name ("python-dotenv", which the tagger may call a verb) nor a
    code identifier ("semver.clean", "load_dotenv")."""
    out = set()
    for i, (w, tag) in enumerate(tagged):
        if i > 0 and (tag == "WRB" or w.lower() in _SUBORDINATORS):
            break
        hyphened = any(0 <= j < len(tagged) and tagged[j][1] == "HYPH" for j in (i - 1, i + 1))
        if tag.startswith("VB") and not hyphened and len(w) > 2 \
                and w.lower() not in _AUX_WORDS and not _IDENTIFIER.search(w):
            out.add(stem(w))
    return frozenset(out)


def comparison_sides(question: str) -> tuple[str, str] | None:
    """The two things a comparison question names, or None."""
    for pattern in _COMPARE:
        m = pattern.search(question)
        if m:
            x = _quoted(_VS_LEAD.sub("", m.group("x").strip(" ,")).strip())
            y = _quoted(m.group("y").strip(" ,?"))
            if _NAMED_STUDY.search(y) and re.search(r"\b(?:vs\.?|versus)\b", m.group(0), re.I):
                continue
            if x and y and x.lower() != y.lower():
                return x, y
    return None


def _quoted(side: str) -> str:
    """A side the question quotes is the quoted words ("'still reachable' in a leak report" ->
    "still reachable", "`load_dotenv`" -> "load_dotenv"); else the side without quotes round
    it."""
    m = _QUOTED.match(side)
    return m.group("q").strip() if m else side.strip(" '\"`")


def asked_count(question: str) -> int | None:
    m = _COUNT.search(question)
    if not m:
        return None
    return count_of(m.group(1))


def count_of(word: str) -> int | None:
    """The number a count word gives ("four" -> 4, "3" -> 3), else None."""
    word = word.lower()
    return int(word) if word.isdigit() else _NUMBERS.get(word)


def _is_list(q: str, typed: AnswerType, tagged: list[tuple[str, str]]) -> bool:
    if typed.is_list or asked_count(q) is not None and re.match(r"^(?:which|what|name|list)\b",
                                                                q, re.I):
        return True
    if any(p.search(q) for p in _LIST[::2]):
        return True
    rest = _after_wh(tagged)
    return rest is not None and _noun_run(rest)[1] in ("NNS", "NNPS")


def list_head(tagged: list[tuple[str, str]]) -> str:
    """The noun run a list question asks for, after its which/what ("At which time points
    ..." -> "time points", "What are the secondary outcome measures of ..." -> "secondary
    outcome measures"), without numbers; "" when it has none."""
    rest = _after_wh(tagged)
    if rest is not None and len(rest) > 2 and rest[0][0] in _SORTS and rest[1][0] == "of":
        rest = rest[2:]  # "What kinds of leave ..." asks for leave
    run = _noun_run(rest)[0] if rest is not None else []
    return " ".join(w for w, t in run if t != "CD")


_AUXILIARIES = frozenset("do does did is are was were has have had can could will would should "
                         "must may might".split())
_SORTS = frozenset({"kinds", "kind", "types", "type", "sorts", "sort", "forms", "categories"})


def _after_wh(tagged: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
    """The (word, tag) pairs after the question's first which/what (and its "are the"), None
    when it has none."""
    words = [(w.lower(), t) for w, t in tagged]
    for i, (word, _) in enumerate(words):
        if word in ("which", "what"):
            rest = words[i + 1:]
            if [w for w, _ in rest[:2]] in (["are", "the"], ["were", "the"]):
                rest = rest[2:]
            elif len(rest) > 1 and rest[0][1] == "VBZ" and rest[1][0] in _AUXILIARIES:
                # "Which exploits does ...": between "which" and an auxiliary stands a noun,
                # whatever the tagger read ("exploits" as a verb)
                rest = [(rest[0][0], "NNS"), *rest[1:]]
            return rest
    return None


def _noun_run(words: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], str | None]:
    """The noun run opening ``words`` (its modifiers, then its nouns, an adjective between them
    when a noun follows: "high-risk cytogenetic abnormalities") and its last noun's tag (None
    when it holds no noun)."""
    run: list[tuple[str, str]] = []
    between: list[tuple[str, str]] = []  # adjectives after a noun, kept if a noun follows
    head = None
    for word, tag in words:
        if tag.startswith("NN"):
            head = tag
            run.extend(between)
            between = []
        elif head is not None and tag in ("JJ", "HYPH"):
            between.append((word, tag))
            continue
        elif not (tag in ("JJ", "JJS", "JJR", "CD", "HYPH", "VBN", "VBG") and head is None):
            break
        run.append((word, tag))
    return (run if head else []), head
