"""The words answer typing reads a question by (rag.question_typing): the head nouns of "what/which
N" by the kind of answer they ask for, units, words of money and time, the words around a
wh-word. Lemmas, lower case."""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    """The set of the blank-separated words of ``text``."""
    return frozenset(text.split())


# Head nouns of "what/which N" (lemmas, lower case) by the kind of answer they ask for.
NOUN_KINDS: dict[str, frozenset[str]] = {
    "person": words(
        "person people man men woman women child children boy girl king queen prince princess "
        "emperor empress pope chief leader mayor governor senator congressman congresswoman "
        "minister secretary ambassador spokesman spokeswoman spokesperson official general "
        "admiral captain coach actor actress author poet artist star wife husband son daughter "
        "father mother brother sister uncle aunt cousin grandson granddaughter founder chairman "
        "chairwoman chairperson ceo judge justice lawyer attorney monarch ruler dictator deputy "
        "adviser advisor aide representative delegate commissioner director producer composer "
        "singer musician guitarist drummer bassist pianist comedian astronaut scientist physicist "
        "chemist biologist mathematician inventor explorer pilot athlete footballer quarterback "
        "pitcher goalkeeper striker host presenter journalist editor reporter critic historian "
        "philosopher economist architect engineer designer painter sculptor novelist playwright "
        "screenwriter cartoonist illustrator dancer rapper model saint prophet hero heroine "
        "character villain protagonist narrator nominee winner recipient champion successor "
        "predecessor owner officer soldier bishop priest rabbi monk nun duke earl lord lady baron "
        "sheriff detective spy businessman businesswoman entrepreneur industrialist investor "
        "billionaire philanthropist politician statesman diplomat activist candidate teammate "
        "partner friend rival opponent manager trainer president vice-president premier "
        "chancellor lieutenant sergeant colonel commander student professor teacher doctor "
        "physician nurse surgeon scholar member player writer creator co-founder cofounder "
        "vocalist frontman guy individual descendant ancestor heir founder rider boxer wrestler "
        "skier swimmer runner farmer cyclist golfer bowler batsman cricketer teacher worker "
        "employee fighter racer driver jockey photographer filmmaker broadcaster lyricist "
        "songwriter conductor investigator prosecutor governor senator chairman manager head "
        "rector dean principal headmaster headmistress aristocrat nobleman noblewoman noble "
        "landowner spouse murderer murderess parent grandparent sibling stepfather stepmother "
        "widow widower fiance fiancee girlfriend boyfriend emir sultan caliph shah tsar czar "
        "kaiser raja maharaja imam sheikh"),
    "place": words(
        "city town country state nation place location region province county village capital "
        "continent island river mountain lake sea ocean area district neighborhood neighbourhood "
        "borough suburb port territory municipality commune parish kingdom republic colony "
        "peninsula valley desert bay destination hometown birthplace homeland island archipelago "
        "metropolis county-seat"),
    "facility": words(
        "stadium arena building airport bridge venue park hotel church castle station street "
        "road highway tower theatre theater cathedral palace temple mosque prison dam canal "
        "tunnel mall hall track circuit racetrack field ground grounds pitch ballpark camp "
        "terminus factory shipyard mine"),
    "organisation": words(
        "company organization organisation group band team club university college school party "
        "agency firm corporation network label newspaper magazine airline league conference "
        "committee institution department ministry bank business brand manufacturer publisher "
        "studio channel council association union federation court government army navy "
        "regiment society foundation charity retailer chain restaurant hospital museum orchestra "
        "franchise subsidiary conglomerate broadcaster outlet publication institute academy "
        "commission agency office bureau squad branch railway railroad"),
    "date": words("year date day month decade century era birthday period timeframe"),
    "time": words("time hour"),
    "money": words("price cost salary fee fare toll rent tuition budget fine revenue income "
                    "worth funding sum wage "
                    "pay fortune payment loss losses"),
    "percent": words("percentage percent proportion"),
    "count": words("number population"),
    "nationality": words("nationality religion ethnicity citizenship"),
    "language": words("language"),
    "event": words("war battle event tournament championship competition election festival "
                    "olympics revolution hurricane storm earthquake"),
    "work": words("film movie song album book novel show series play opera painting poem "
                   "single track episode sitcom documentary musical"),
    "product": words("car aircraft airplane plane ship vehicle weapon rifle tank engine console "
                      "smartphone phone"),
    "law": words("law act treaty bill constitution amendment"),
}
KIND_OF_NOUN = {noun: kind for kind, nouns in NOUN_KINDS.items() for noun in nouns}
# Nouns ending like agent nouns that are not people ("computer", "border").
NOT_PERSON = words(
    "number order border water paper member center centre river letter computer chapter error "
    "color colour sector factor motor tower power weather winter summer quarter corner matter "
    "manner layer cancer character liver silver theater theatre register filter mirror minor "
    "major interior exterior meter metre liter litre monster cluster poster answer offer other "
    "vector tractor reactor harbor harbour flavor flavour favor favour honor honour labor "
    "labour neighbor neighbour rumor rumour tumor tumour behavior behaviour")
# Agent nouns in -er/-or are too often things ("disaster", "computer") to be trusted.
PERSON_SUFFIXES = ("ist", "ian", "man", "woman", "person")
UNITS = words("kilometre kilometres kilometer kilometers mile miles metre metres meter meters "
                "foot feet inch inches yard yards ton tons tonne tonnes kilogram kilograms gram "
                "grams acre acres hectare hectares litre litres liter liters gallon gallons "
                "degree degrees square cubic")
TIME_UNITS = words("second seconds minute minutes hour hours day days week weeks month months "
                     "year years decade decades century centuries")
MONEY_WORDS = words("cost costs costed pay paid money spend spent worth earn earned earns "
                      "raise raised price priced fund funded funding budget dollars euros pounds "
                      "sell sold buy bought charge charged owe owed fine fined donate donated "
                      "lose lost")
QUANTITY_HOW = words("far tall high deep big large wide heavy long-distance fast heavy")
WH = words("who whom whose what which when where why how")
LEADING = words("and but so then also besides in on at by for from to with of during "
                  "since under after before about")
AUX = words("is are was were am be do does did can could has have had will would should may "
              "might must shall")
COPULA = words("is are was were be been 's")
NUMBER_WORDS = words("two three four five six seven eight nine ten both")
NAME_NOUNS = words("name names")
# Before "name", words that ask for a part of a person's name (a surname is no entity).
NAME_PARTS = words("family last maiden first middle given birth sur married pen stage")
# "What was the ship named / (officially) called / renamed ...": the verb after the subject.
# "named after" asks for a namesake, "known as" for what follows: neither is typed here.
NAMING = words("named called renamed")
