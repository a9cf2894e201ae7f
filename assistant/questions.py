"""What shape of answer a question asks for, and whether a text has that shape. Shapes only
rank candidate answers (and are one feature of the answer policy); they never refuse."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from ingest.text import SV_MONTHS, fold_diacritics

from .followup import needs_context
from .language import compound_parts, is_common_word, is_content, is_lexicon_word, term

_WHO = re.compile(
    r"^\s*(och\s+)?(vem|vems|vilka personer|vilken person|vilken (organisation|nämnd|"
    r"enhet|funktion|del)|who|whom)\b|\b(vem|vilka|who)\s+(leder|är ansvarig|ansvarar|är kontakt|"
    r"kontaktar|har ansvar|sköter|håller i|leads?|runs?|is responsible)\b|\bansvarig för\b|"
    r"\bkontaktperson|\bvart vänder\b|\bvem (kan|ska) jag\b",
    re.I,
)
_WHEN = re.compile(
    r"^\s*(och\s+)?(när|sedan när|vilket år|vilket datum|vilken månad|vilka år|hur länge|"
    r"when|what year|since when|how long)\b|\bvilket (år|datum)\b|\bhur länge\b",
    re.I,
)
_LIST = re.compile(
    r"^\s*(och\s+)?(vilka|vad ingår|räkna upp|lista|ge exempel|ge några exempel|list|which|"
    r"name the)\b|\bvilka (är|var)\b|\bvad (är|var) (de|dom)\b|\bwhat are the\b",
    re.I,
)
_COUNT = re.compile(r"\bhur (många|mycket|stor|stora)\b|\bantal\b|\bhow (many|much)\b", re.I)
_WHY = re.compile(r"^\s*(och\s+)?(varför|why)\b|\bvad är (syftet|målet|poängen)\b|\bsyftet\b", re.I)


@dataclass(frozen=True)
class _EitherWay:
    """A question pattern that also matches the question typed without å/ä/ö, or partly
    without them ("nar ar nästa mote" once the corrector has restored one word)."""

    pattern: re.Pattern

    def search(self, question: str) -> re.Match | None:
        return self.pattern.search(question) or _folded(self.pattern).search(
            fold_diacritics(question)
        )


def _typed_either_way(pattern: str) -> _EitherWay:
    return _EitherWay(re.compile(pattern, re.I))


def _with_folded(words: list[str]) -> frozenset[str]:
    """The words as written and as typed without å/ä/ö ("nådde", "nadde")."""
    return frozenset(w for word in words for w in (word, fold_diacritics(word)))


# How something is done: "hur" before a verb ("Hur ska planen följas upp?", "Hur ansöker
# man?", "Hur går det till?"). Before an adjective or an adverb it asks a degree: how many,
# how long, how often, how important (Swedish grammars' "hur + adjektiv/adverb"); these are
# the degree words questions use, typed with or without å/ä/ö
_DEGREE = "|".join(
    sorted(
        _with_folded(
            ["många", "mycket", "stor", "stort", "stora", "länge", "lång", "långt", "långa"]
            + ["ofta", "gammal", "gammalt", "gamla", "bra", "dåligt", "nära", "snabbt"]
            + ["tidigt", "sent", "dyr", "dyrt", "viktig", "viktigt", "viktiga", "svårt"]
            + ["lätt", "vanligt", "stor del"]
        )
    )
)
_HOW = re.compile(
    rf"^\s*(och\s+|men\s+)?(hur\s+(?!(?:{_DEGREE})\b)\w|på vilket sätt\b|pa vilket satt\b)|"
    r"^\s*(and\s+)?how\s+(do|does|did|should|can|could|will|would|is|are)\b",
    re.I,
)
_NUMBER_WORDS = "två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|tjugo|hundra|tusen"
# "Vad är de fem delmålen?", "What are the three …?": a plural determiner and a number ask
# for a list ("What is the 2030 target?", "What are the 3-month rules?" still define)
_COUNTED = (
    rf"\s+(de|dom|the)\s+(\d+|{_NUMBER_WORDS}|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve)\b(?!-)"
)
# "Vad står X för?" asks an acronym's expansion (asked_acronym), not a definition; "står"
# followed by anything and "för" also reads "Vad står det i planen för Hallsberg?" and "Vad
# står på dagordningen … för social välfärd?" as definitions of "Hallsberg" and "social välfärd"
_DEFINE = re.compile(
    rf"^\s*(och\s+)?(vad (är(?!{_COUNTED})|betyder|innebär|menas med)|"
    rf"what (is|does|are(?!{_COUNTED})))\s+"
    r"(en |ett |the |a |an )?(?P<term>.+?)\s*(för något|egentligen|för)?\s*\??$",
    re.I,
)

_MONTHS = "|".join(SV_MONTHS)
# "sedan" is "since" before a time ("sedan 2018", "sedan många år", "sedan dess", "sedan
# en tid"); before a verb it is the adverb "then" ("behov som sedan matchats"), which
# dates nothing
_SINCE = (
    rf"\bsedan\s+(?:\d|(?:många|flera|några|ett par|ett|en|{_NUMBER_WORDS})\s+\w+|"
    r"länge|dess|förra|i fjol|i år|starten|början)\b"
)
DATE_LIKE = re.compile(
    rf"\b(19|20)\d{{2}}\b|\b(\d{{1,2}} )?({_MONTHS})\b|\b(våren|hösten|vintern|sommaren|"
    rf"årsskiftet|början av|slutet av|fram till|efter|innan|när)\b|{_SINCE}",
    re.I,
)
NUMBER = re.compile(rf"\d|\b({_NUMBER_WORDS}|miljon\w*|miljard\w*)\b", re.I)
# A person's name: two or three capitalised words; an e-mail address; an organisation named
# by the words Swedish public bodies are named with (a council, a board, a group, a unit).
PERSON = re.compile(r"\b[A-ZÅÄÖ][a-zåäöéü]+(?:[ -][A-ZÅÄÖ][a-zåäöéü]+){1,2}\b")
# Capitalised pairs that begin the names of the region's bodies, not of people ("Region
# Örebro län", "Område välfärd och folkhälsa", "Specifika/Regionala samverkansrådet").
_NOT_PEOPLE = ("Region", "Örebro", "Område", "Specifika", "Regionala")
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")
ORGANISATION = re.compile(
    r"\b\w*(nämnd|råd|rådet|styrelse|fullmäktige|grupp|gruppen|nätverk|nätverket|förvaltning|område|"
    r"enhet|regionen|kommunerna|kommun|myndighet|förbund|ansvarig|chef|ledare|samordnare|"
    r"funktion)\w*\b",
    re.I,
)


# in the order they are tried: "Vem …" before "Hur många …", a definition before a list
_KINDS = (
    ("who", _WHO, re.Pattern.search),
    ("count", _COUNT, re.Pattern.search),
    ("when", _WHEN, re.Pattern.search),
    ("why", _WHY, re.Pattern.search),
    ("define", _DEFINE, re.Pattern.match),
    ("list", _LIST, re.Pattern.search),
)
KINDS = (*(kind for kind, _, _ in _KINDS), "what")  # what question_kind returns


# A frame that makes a question indirect ("Jag undrar vem …", "Kan du berätta när …")
_INDIRECT = re.compile(
    r"^\s*(?:jag\s+)?(?:undrar|undrade|vill veta|skulle vilja veta)\s+|"
    r"^\s*(?:kan|kunde|skulle)\s+(?:du|ni)\s+(?:berätta|säga|förklara)"
    r"(?:\s+för\s+mig)?\s+|^\s*(?:vet|veta)\s+(?:du|ni)\s+",
    re.I,
)


# The same frame after a statement: "Jag är ny här och undrar vem som leder …"
_EMBEDDED_INDIRECT = re.compile(
    r"(?:,\s*|\s(?:och|men)\s+)(?:jag\s+)?(?:undrar|undrade|vill veta|skulle vilja veta)\s+"
    r"(?=(?:vem|vems|vad|när|var|vart|hur|vilk\w*|varför|om)\b)",
    re.I,
)
# A topic named first, then the question: "Kunskapsstyrning – vilka delar består den av?"
_CLAUSE = re.compile(r"\s[–-]\s+|:\s+")


def direct(question: str) -> str:
    """The question without a frame that makes it indirect: "Jag undrar vem som leder …" asks
    what "vem (som) leder …" asks. The frame's words are not search words, and the question
    word after it decides the kind, as at the start of a direct question. After a statement
    ("Jag är ny här och undrar vem …") the statement goes too, as before a question mark
    (followup.asked_part), unless the question points back into it."""
    embedded = _EMBEDDED_INDIRECT.search(question)
    if embedded:
        rest = question[embedded.end() :]
        # kept whole when the question points back into it ("Jag läser planen och undrar
        # när den antogs?"), as asked_part keeps it
        return question if needs_context(rest) else rest
    return _INDIRECT.sub("", question, count=1) or question


def asks_manner(question: str) -> bool:
    """Whether the question asks how something is done (see _HOW), in any of its clauses.
    Not a kind of its own: as a policy prior it would answer the how-to questions the
    sources leave open as readily as those they answer (dev: refusal accuracy 0.681 ->
    0.673 with it)."""
    return any(_HOW.search(clause) for clause in [question, *_CLAUSE.split(question)[1:]])


def question_kind(question: str) -> str:
    """The kind of the question as written; failing that, compared without diacritics ("nar
    antogs …" asks when, as "när antogs …" does). Written first: folding merges "är" and "år",
    and "Vilka är …" is no question about years; and only for a question typed without any
    å, ä or ö ("Vilket är nästa steg?" is no "vilket år" either)."""
    # the question, then each clause after a topic named first ("Kunskapsstyrning – vilka …")
    clauses = [question, *_CLAUSE.split(question)[1:]]
    for kind, pattern, search in _KINDS:
        if any(search(pattern, clause) for clause in clauses):
            return kind
    if fold_diacritics(question) != question:
        return "what"
    return next(
        (kind for kind, p, search in _KINDS if any(search(_folded(p), c) for c in clauses)), "what"
    )


@cache
def _folded(pattern: re.Pattern) -> re.Pattern:
    return re.compile(fold_diacritics(pattern.pattern), pattern.flags)


_FOCUS = re.compile(
    r"^\s*(?:och\s+|men\s+)?(?:vem är|vad heter|vad kostar|"
    r"hur (?:stor|stort|stora|många|mycket))\s+(?P<rest>.+)$",
    re.I,
)


# "Vem leder nätverket för socialchefer?": a network, a group or a council is named by whom
# it is for, and only a text that names them answers ("Socialchefer – Ansvarig: …"), not
# the list of the other networks ("nätverket för ekonomichefer" is none of them)
_FOCUS_FOR = re.compile(
    r"\b(?:\w*nätverk\w*|\w*grupp\w*|\w*råd(?:et)?|team\w*)\s+för\s+(?P<rest>[^?,]+)", re.I
)


def focus_word(question: str) -> str | None:
    """What a question asks about, when its first words name it: the first content word after
    "Hur många/Hur stor/Vem är/Vad heter/Vad kostar …" ("Hur stor budget …" -> budget, "Vem
    är ordförande …" -> ordförande), or in a who-question whom a network or a group is for
    ("Vem leder nätverket för ekonomichefer?" -> ekonomichefer). None when the question does
    not name it there.
    "Vilken X"/"Vilka X" are left out: the answer names a member of X ("Vilken yrkesgrupp …"
    -> dietister), rarely the word X; so is "Vad är …", whose next word is as often an adverb
    or a frame ("egentligen", "tanken med") as the thing asked about."""
    m = _FOCUS.match(question)
    if not m:
        m = _FOCUS_FOR.search(question) if question_kind(question) == "who" else None
    if not m:
        return None
    words = re.findall(r"[\wåäöÅÄÖé-]+", m.group("rest").lower())
    if len(words) > 2 and words[1] == "av":  # "Hur stor del av budgeten …": budgeten
        words = words[2:]
    return next((w for w in words[:2] if is_content(w)), None)


_ENUMERATED = re.compile(r"\b(?:vilka|which)\s+(?P<rest>.+)", re.I)


def enumerated(question: str) -> str | None:
    """What a "Vilka X …?" question asks to have listed: X, the first word after "vilka"
    that is no number ("Vilka risker finns …?" -> risker, "Vilka fem önskvärda lägen …?" ->
    önskvärda). None when the question has no "vilka" or what follows it is a function
    word ("Vilka är …?")."""
    m = _ENUMERATED.search(question)
    if not m:
        return None
    for word in re.findall(r"[\wåäöÅÄÖé-]+", m.group("rest").lower())[:3]:
        if not (word.isdigit() or word in _NUMBER_VALUES):
            return word if is_content(word) else None
    return None


def defined_term(question: str) -> str | None:
    """The X of "Vad är X?" / "Vad betyder X?"."""
    m = _DEFINE.match(question)
    return m.group("term").strip(" ?.") if m else None


def has_person(text: str, question: str = "") -> bool:
    """A person's name in the text that the question does not already name: neither inside
    the question nor holding a name the question gives ("Karin Sundin Ordförande" is the
    Karin Sundin of "Vem efterträdde Karin Sundin?", no one new; "Anna Lind" is new)."""
    low = question.lower()
    asked = [n.lower() for n in people(question)]
    return any(
        name.lower() not in low and not any(a in name.lower() for a in asked)
        for name in people(text)
    )


def _new_organisation(text: str, question: str) -> bool:
    """An organisation or role in the text that the question does not already name: a unit
    that only repeats the role asked about ("Vem är samverkansledare …") does not answer."""
    asked = question.lower()
    return any(m.group(0).lower() not in asked for m in ORGANISATION.finditer(text))


YEAR_ONLY = re.compile(r"^(19|20)\d{2}$")
DAY_MONTH = re.compile(rf"\b\d{{1,2}} ({_MONTHS})\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b", re.I)
YEAR = re.compile(r"\b(19|20)\d{2}\b")
# How long, or since when: a year, a month, a season, or a number of units of time
# ("sedan många år", "i tre år", "två timmar")
PERIOD = re.compile(
    rf"{YEAR.pattern}|\b({_MONTHS})\b|\b(våren|hösten|vintern|sommaren|årsskiftet)\b|"
    rf"\b(\d+|en|ett|{_NUMBER_WORDS}|många|flera|några|ett par)\s+(år|månad|månader|vecka|"
    r"veckor|dag|dagar|timme|timmar|decennier|decennium|halvår)\b",
    re.I,
)
WEEKDAY = re.compile(
    r"\b(måndag|tisdag|onsdag|torsdag|fredag|lördag|söndag)(ar|en|arna|s)?\b|"
    r"\bvardag(ar|arna)?\b|\bhelg(er|en|erna|dagar)?\b|"
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekday|weekend)s?\b",
    re.I,
)
PHONE = re.compile(r"\b0\d{1,3}[- ]?\d{2,3}[ ]?\d{2}[ ]?\d{2}\b|\+46")
# How often names a period ("varje månad", "två gånger per år", "årligen"); "regelbundet"
# says only that something recurs, which does not answer "Hur ofta …?"
# "varje"/"var" is a frequency before a time ("varje vecka", "vart annat år", "varje
# tisdag"), not before a place or a group ("i varje länsdel", "på varje vårdcentral")
_TIME_UNIT = (
    r"(?:dag|dagen|år|året|kvartal|kvartalet|termin|terminen|halvår|halvåret|vår|våren|"
    r"höst|hösten|morgon|kväll|måndag|tisdag|onsdag|torsdag|fredag|lördag|söndag)"
)
FREQUENCY = re.compile(
    r"\b(gång|gånger|årligen|dagligen|månad\w*|vecka\w*|veckovis|kvartalsvis|per år|"
    rf"(?:varje|varannan|vartannat|var(?:t)?\s+(?:annan|annat|\w+de))\s+{_TIME_UNIT})\b",
    re.I,
)
CLOCK = re.compile(r"\bkl\.?\s?\d|\b\d{1,2}[.:]\d{2}\b|\b\d{1,2}\s?[-–]\s?\d{1,2}\b(?![-–]\d)")
# Where a meeting is held: a room, an address or street, "digitalt", "på plats", or a
# place after a verb of meeting ("hålls i Kumla")
VENUE = re.compile(
    r"\b(lokalen|lokaler\w*|sal|salen|besöksadress\w*|adress\w*|\w+(?:gatan|vägen|torget)|"
    r"plan \d|digitalt|på distans|på plats|teams|zoom|online|venue|room|address|in person)\b|"
    r"\b(hålls|hölls|träffas|träffades|möts|möttes|sammanträder|sammanträdde)\s+(i|på)\s+"
    r"[A-ZÅÄÖ]\w+",
)
# A comparison the text draws: "mår sämre än pojkarna", "jämfört med riket", "skillnaden
# mellan …"
COMPARISON = re.compile(
    r"\b(?:än|jämfört med|i jämförelse med|than|compared (?:with|to))\s+\w+|"
    r"\b(?:skillnad\w*|skiljer\s+sig|differences?)\b",
    re.I,
)
AMOUNT = re.compile(
    r"\d[\d  ]*\s?(kr\b|kronor|tkr|mkr|miljon\w*|miljard\w*|euro\b|€)|\b(miljon|miljard)\w* kr",
    re.I,
)
# An acronym: a word with two or more capitals ("RSS", "FaR", "SoL", "MAS/MAR", "ÖLBF")
ACRONYM = re.compile(r"\b[A-ZÅÄÖ]\w*[A-ZÅÄÖ]\w*(?:/[A-ZÅÄÖ]\w*)*")
# How a question asks what the acronym ("{a}", a whole word) stands for
_ASKS_EXPANSION = (
    r"\bstår\s+(?:förkortningen\s+|namnet\s+)?{a}\s+för\b",
    r"(?<!\w){a}(?!\w)[^?]*\bvad\s+står\s+(?:det|den|de)\s+för\b",
    r"\bförkortning\w*\s+{a}(?!\w)|(?<!\w){a}(?!\w)[^?]*\bförkortning",
    r"\bbetyder\s+(?:förkortningen\s+)?{a}\s*\??\s*$",  # not "Vad betyder SIP för mig?"
    r"\bdoes\s+{a}\s+(?:stand\s+for|mean\s*\??\s*$)|(?<!\w){a}\s+(?:stands?|is\s+short)\s+for\b",
    r"\babbreviation\s+{a}(?!\w)|(?<!\w){a}(?!\w)[^?]*\babbreviation",
)


@dataclass(frozen=True)
class Found:
    """A long form found, read like a regex match (`group`, `start`)."""

    text: str
    at: int

    def group(self, _: int = 0) -> str:
        return self.text

    def start(self) -> int:
        return self.at


@dataclass(frozen=True)
class Expansion:
    """What shows an acronym's expansion in a text, after Schwartz & Hearst (2003): a long
    form beside the acronym ("Örebro läns bildningsförbund (ÖLBF)", "KCRD – kommunchefs-/
    regiondirektörsnätverket", "FaR (…)") whose words, or the parts of its compounds, begin
    with the acronym's capitals in order, the first with the first. "FaR (ny modell arbetas
    fram i samverkan)" explains nothing. Has `finditer` like a compiled pattern."""

    acronym: str

    def finditer(self, text: str) -> list[Found]:
        """Long forms of the acronym or of one of its parts ("MAS/MAR"), after or before it."""
        parts = [p for p in self.acronym.split("/") if p]
        if not parts:
            return []
        spellings = [acronym_letters(p) for p in parts]
        window = 2 * max(len(s) for s in spellings) + 2
        found = []
        for short in dict.fromkeys([self.acronym, *parts]):
            q = rf"(?<!\w){re.escape(short)}(?!\w)"
            after = rf"{q}\s*(?:\(([^()]{{1,160}})\)|[–:-]\s+([^.()\n]{{1,160}}))"
            for m in re.finditer(after, text):
                words = (m.group(1) or m.group(2)).split()[:window]
                if any(_spells(letters, words, from_first=True) for letters in spellings):
                    found.append(Found(" ".join(words), m.start()))
            for m in re.finditer(rf"\(\s*{q}\s*[),;]", text):
                # the words just before the parenthesis (a bounded look-back: linear in text)
                words = text[max(0, m.start() - 40 * window) : m.start()].split()[-window:]
                if any(_spells(letters, words, to_last=True) for letters in spellings):
                    found.append(Found(" ".join(words), m.start()))
        return found


def _initials(words: list[str]) -> list[tuple[int, str, bool]]:
    """(word index, initial, whether it begins the word) of each word's compound parts."""
    out: list[tuple[int, str, bool]] = []
    for i, word in enumerate(words):
        for k, piece in enumerate(re.findall(r"[^\W\d_]+", word)):
            parts = compound_parts(piece) or (piece,)
            out.extend((i, p[0].lower(), k == 0 and n == 0) for n, p in enumerate(parts))
    return out


def _spells(
    letters: list[str], words: list[str], from_first: bool = False, to_last: bool = False
) -> bool:
    """Whether the initials of the words (and of their compounds' parts) hold the letters in
    order, the first letter beginning a word: the first word with `from_first` (a long form
    after the acronym starts there), the last letter in the last word with `to_last` (one
    before it runs up to it)."""
    initials = _initials(words)
    for s, (i, c, begins) in enumerate(initials):
        if c != letters[0] or not begins or (from_first and i != 0):
            continue
        k = 1
        for j, d, _ in initials[s + 1 :]:
            if k == len(letters):
                break
            if d == letters[k] and not (to_last and k == len(letters) - 1 and j != len(words) - 1):
                k += 1
        if k == len(letters) and (not to_last or len(letters) > 1 or i == len(words) - 1):
            return True
    return False


def acronym_letters(acronym: str) -> list[str]:
    """The letters an acronym's long form begins its words with: its capitals ("SoL": s, l)."""
    return [c.lower() for c in acronym if c.isupper()] or [acronym[:1].lower()]


_MAX_SPELLED = 8  # letters: a longer "acronym" is not one a long form is searched for
_MAX_GAP = 2  # stopwords between two words of a long form ("hälso- och sjukvårdslagen")
_CLAUSE_END = re.compile(r"[.!?;:,()\n•–]")


def spelled_out(acronym: str, text: str) -> bool:
    """Whether the text writes the acronym (each part of "MAS/MAR") out, even where it never
    uses it: within one clause, a run of words whose compound parts begin with its capitals in
    order, each word with its first part, the last capital with the last word's head, at most
    two stopwords between words, and one compound giving two capitals or more ("hälso- och
    sjukvårdslagen" for HSL, "socialtjänstlagen" for SoL, "Universitetssjukhuset i Örebro" for
    USÖ). That is how Swedish acronyms of laws and bodies are made, and staff write them where
    the documents spell them out. Without such a compound, a few words in a row spell three
    letters by chance ("utanför sjukhuset ökar"); a long form of plain words ("samordnad
    individuell plan") is introduced with its acronym, which the vocabulary then has. Two
    capitals need the small letters after the first as well ("So|cialtjänst|lagen"): a
    compound's two parts begin with any two letters by chance ("erfarenhets|utbyte" for EU).
    Unlike Expansion (a long form beside the acronym, found by its initials anywhere in a
    window), nothing here anchors the run, so it must be tight."""
    parts = [p for p in acronym.split("/") if p]
    return bool(parts) and all(_spelled_part(p, text) for p in parts)


def _spelled_part(acronym: str, text: str) -> bool:
    letters = acronym_letters(acronym)
    lead = re.match(r".[^A-ZÅÄÖ]*", acronym).group(0).lower()  # "so" of SoL, "h" of HSL
    if not 2 <= len(letters) <= _MAX_SPELLED or (len(letters) == 2 and len(lead) < 2):
        return False
    for clause in _CLAUSE_END.split(text.lower()):
        words = re.findall(r"[^\W\d_]+", clause)
        if any(w.startswith(lead) and is_content(w) for w in words):
            spells = _Run(letters, words)
            if any(w.startswith(lead) and spells.start(i) for i, w in enumerate(words)):
                return True
    return False


class _Run:
    """The search for letters spelled by a run of one clause's words (see spelled_out),
    memoised on (word, letter, compound seen): linear in the clause, not exponential in the
    acronym's letters."""

    def __init__(self, letters: list[str], words: list[str]) -> None:
        self.letters, self.words = letters, words
        self.spells = cache(self._spells)

    def start(self, i: int) -> bool:
        return is_content(self.words[i]) and self.spells(i, 0, False)

    def _spells(self, i: int, k: int, compound: bool) -> bool:
        """Whether the words from words[i] (a content word) spell letters[k:]; `compound`:
        a word before gave two letters or more."""
        letters = self.letters
        parts = _part_initials(self.words[i])
        if letters[k] not in parts[0]:
            return False
        rest = letters[k + 1 :]
        if not rest:  # the last letter begins the word: it must be its head too
            return compound and (len(parts) == 1 or letters[k] in parts[-1])
        if len(parts) > 1 and rest[-1] in parts[-1] and _subsequence(rest[:-1], parts[1:-1]):
            return True  # this word gives two letters or more
        nxt = self._next_content(i)
        if nxt is None or len(letters) == 2:  # two capitals: one compound (spelled_out)
            return False
        # the word's later parts spell some letters, the next words the rest
        return any(
            _subsequence(rest[:m], parts[1:]) and self.spells(nxt, k + 1 + m, compound or m > 0)
            for m in range(min(len(rest) - 1, len(parts) - 1) + 1)
        )

    def _next_content(self, i: int) -> int | None:
        for j in range(i + 1, min(i + 2 + _MAX_GAP, len(self.words))):
            if is_content(self.words[j]):
                return j
        return None


def _subsequence(letters: list[str], parts: list[frozenset[str]]) -> bool:
    """Whether the parts, in order, begin with the letters in order (skipping parts): one
    iterator over the parts, so each letter is looked for after the last one found."""
    remaining = iter(parts)
    return all(any(c in options for options in remaining) for c in letters)


@lru_cache(maxsize=20_000)
def _part_initials(word: str) -> list[frozenset[str]]:
    """The letters each part of a compound may begin with, its parts split down to words
    ("familjeomsorgschefer": f, o, c). A later part after a linking s may begin after it:
    the longest head the lexicon knows can swallow the s ("sjukvårds|lagen" splits as
    "slag"). The first part begins where the word does."""
    out = _initials_of(word, 3)
    return [frozenset({word[0]}), *out[1:]] if out else [frozenset({word[0]})]


def _initials_of(word: str, depth: int) -> list[frozenset[str]]:
    parts = compound_parts(word) if depth else ()
    if not parts:
        rest = word[1:]
        linking = word.startswith("s") and len(rest) > 2 and is_lexicon_word(rest)
        return [frozenset({word[0], rest[0]} if linking else {word[0]})]
    return [options for part in parts for options in _initials_of(part, depth - 1)]


def asked_acronym(question: str) -> str | None:
    """The acronym whose meaning the question asks ("Vad står FaR för?", "KCRD, vad står det
    för?", "What does SIP stand for?"), or None."""
    for m in ACRONYM.finditer(question):
        a = re.escape(m.group(0))
        if any(re.search(p.format(a=a), question, re.I) for p in _ASKS_EXPANSION):
            return m.group(0)
    return None


# How to take part in something: sign up, apply, register, the form or the link to use. The
# sources describe the collaboration rather than its procedures, and a unit that names the
# network or the agreement asked about does not say how to join it: only a text that speaks
# of signing up or applying, or gives a form, an e-service or a web address, answers.
_SIGN_UP = r"anmäl\w*|ansök\w*|sök(?:a|er|s|te)|registrera(?:r)?(?=\s+(?:dig|er|sig|mig|oss))|bli\w*\s+medlem|gå\s+med"
_LINK = r"(?:en|någon|vilken)\s+länk\b|\blänk(?:en|ar|arna)?\s+(?:till|nedan|här)"
PROCEDURE = re.compile(
    rf"\b(?:{_SIGN_UP}|blankett\w*|formulär\w*|e-tjänst\w*|{_LINK}|sign(?:s|ed)?\s+up)\b|"
    r"https?://|\bwww\.|\b[\w-]+\.(?:se|nu|com|org)/",
    re.I,
)
_ASKS_PROCEDURE = _typed_either_way(
    # "Hur anmäler jag mig …?", "Var söker man …?", "Kan jag anmäla mig …?", not a degree
    # ("Hur många ansökningar …?") nor a relative clause ("… kommunerna som söker medel")
    rf"\b(?:hur|var|vart|kan|får)\s+(?!(?:{_DEGREE})\b)(?:\w+\s+){{0,3}}?(?:{_SIGN_UP})\s+"
    r"(?:jag|man|vi|ni|du|en|mig|sig|oss|medlem)\b|\bhur\s+går\s+(?:anmälan|ansökan)\b|"
    r"\bhur\s+blir\s+(?:jag|man|vi|en)\s+medlem\b|"
    r"\b(?:kan|får)\s+(?:jag|man|vi|en)\s+(?:bli\s+medlem|gå\s+med)\b|"
    rf"\b(?:blankett\w*|formulär\w*|e-tjänst\w*)\b|\b{_LINK}\b|"
    r"\bhow\s+(?:do|can|should)\s+(?:i|we|you|one)\s+(?:sign\s+up|register|apply|join)\b"
)
# The next occurrence of a meeting or an event ("nästa möte", "kommande workshop"): static
# documents rarely know it, and only a text that speaks of the next one answers ("nästa
# möte hålls …"), not "se nästa sida" or "kommande år"
_NEXT = r"nästa|kommande|next|upcoming"
_OCCASION = (
    r"\w*möte\w*|\w*träff\w*|sammanträde\w*|konferens\w*|utbildning\w*|workshop\w*|"
    r"tillfälle\w*|gång|revidering\w*|meeting\w*|session\w*|conference\w*"
)
NEXT = re.compile(rf"\b(?:{_NEXT})\s+(?:\w+\s+)?(?:{_OCCASION})\b|\bhärnäst\b", re.I)
_ASKS_NEXT = _typed_either_way(NEXT.pattern)
# Whether something goes on after its period: extended, continued, made permanent. Only a
# text that speaks of extending or continuing it answers; the description of the project
# or the agreement does not.
CONTINUATION = re.compile(
    r"\b(förläng\w*|fortsätt\w*|fortgå\w*|permanent\w*|(?:bli\w*|som)\s+(?:en\s+)?ordinarie|"
    r"extend(?:s|ed)?\b(?!\s+to\b)|extension|continu(?:e|es|ed|ing|ation)|renew\w*)\b",
    re.I,
)
# asked yes or no ("Kommer avtalet att förlängas?", "Förlängs avtalet?", "Ska projektet bli
# permanent?"); "Vad förlängdes 2016?" asks what, and a text that says so in other words
# answers it. Not typed without å/ä/ö: "fortsatt" ("still") is a word of its own, and the
# corrector restores "forlangs"
_ASKS_CONTINUATION = re.compile(
    r"^\s*(?:och\s+|and\s+)?(?:(?:kommer|ska|skall|blir|blev|har|hade|är|var|will|would|is|"
    r"are|was|were|has|have|does|did)\b[^?]*?)?" + CONTINUATION.pattern,
    re.I,
)
# Who or what came after someone or something ("Vem efterträdde …?", "Vad ersattes planen
# av?", "Vilket projekt tog vid efter Cherries?"): only a text that speaks of succeeding or
# replacing answers; the text about the one before does not
_SUCCEEDS = (
    r"\b(efterträd\w*|ersatt\w*|ersätt\w*|tog\s+(?:över|vid)|tar\s+(?:över|vid)|tagit\s+över|"
    r"tillträd\w*|successor\w*|succeed\w*|replac\w*|took\s+over|takes\s+over)\b"
)
SUCCESSION = re.compile(
    _SUCCEEDS + r"|\b(?:efter|after)\s+(?-i:[A-ZÅÄÖ])\w+",  # "Efter Anna Berg kom Per Ek."
    re.I,
)
# "efter 2029", not "efter 2019 års revidering"
_AFTER_YEAR = re.compile(
    r"\b(?:efter|after|beyond|bortom)\s+(?:år\s+|the\s+year\s+)?((?:19|20)\d{2})\b(?!\s+års\b)",
    re.I,
)


@dataclass(frozen=True)
class Later:
    """What shows a time after a year the question names ("Vad händer efter 2029?"): a later
    year in the text. A text about the period up to that year says nothing of what follows.
    Has `finditer` like a compiled pattern."""

    year: int

    def finditer(self, text: str) -> list[re.Match]:
        return [m for m in YEAR.finditer(text) if int(m.group(0)) > self.year]


# A person's role: Swedish titles are compounds on a few heads ("Projektledare",
# "Områdeschefen", "hälso- och sjukvårdsnämndens ordförande", "ledamot i …nämnden")
ROLE = re.compile(
    r"\b\w*(chef|ledare|ordförande|ledamot|ledamöt|samordnare|strateg|direktör|ansvarig|"
    r"handläggare|sekreterare|koordinator|utredare|rådgivare|kommunalråd|regionråd|director|"
    r"manager|chair|coordinator|officer)(en|n|er|erna|na|ar|arna|a|s)?\b",
    re.I,
)
# A question about what a named person does: "Vad har X för roll/titel?", "Vem är X?"
_ASKS_ROLE = re.compile(
    r"\b(titel|titeln|roll|rollen|befattning|yrke|title|role|job)\b|"
    r"\b(jobbar|arbetar)\s+(han|hon)\s+(med|som)\b",
    re.I,
)
_WHO_IS = re.compile(
    r"\s*(?:och\s+)?(?:vem|who)\s+(?:är|var|is|was)\s+(?P<name>[^?]+?)\s*\??\s*", re.I
)


def asks_role(question: str) -> bool:
    """Whether the question asks what a person it names does ("Vad har Bo Rudolfsson för
    roll?", "Vem är Karin Sundin?"); "Vem är ordförande efter Karin Sundin?" asks for
    someone else, "Vem är ordförande?" names no one."""
    named = people(question)
    if not named:
        return False
    who = _WHO_IS.fullmatch(question)
    if who:
        return who.group("name") in named
    return bool(_ASKS_ROLE.search(question))


# What a question asks for, when it names it: (question pattern, what the answer must show).
REQUESTED = [
    (re.compile(r"\b(e-?post\w*|mejl\w*|e-?mail\w*)\b", re.I), EMAIL),
    (re.compile(r"\b(telefon\w*|ringa|phone|call)\b", re.I), PHONE),
    (
        re.compile(
            r"\bdag(en)? i veckan\b|\bveckodag\w*|\bvilka (vecko)?dagar\b|\bday of the week\b", re.I
        ),
        WEEKDAY,
    ),
    (re.compile(r"\b(vilket|vilka) datum\b|\bvilken dag\b|\bwhat (date|day)\b", re.I), DAY_MONTH),
    (re.compile(r"\bhur länge\b|\b(sedan|sen) när\b|\bhow long\b|\bsince when\b", re.I), PERIOD),
    (re.compile(r"\b(vilket|vilka) år\b|\b(what|which) years?\b", re.I), YEAR),
    (re.compile(r"\bhur ofta\b|\bhow often\b", re.I), FREQUENCY),
    # opening hours are answered by times of day ("8–16", "kl. 13.00")
    (re.compile(r"\b(öppettid\w*|öppet|opening hours|open)\b", re.I), CLOCK),
    # where a meeting or an event is held is answered by a place: "var" before a verb of
    # meeting within the clause ("var det" is "was it"; "Var kan jag läsa protokollen från
    # mötena?" asks for a document)
    (
        re.compile(
            r"^\s*(?:och\s+)?var\b(?!\s+det\b)[^?,]{0,80}?\b(?:möts|möttes|träffas|träffades|"
            r"sammanträder|sammanträdde|hålls|hölls|äger\s+rum|ägde\s+rum|"
            r"(?:ha|har|håller|hålla|hade)\s+(?:\w+\s+){0,4}?(?:sina|sitt|sin|era|ert)\s+"
            r"(?:möten|möte|träffar))\b|"
            r"\b(?:i|på)\s+vilken\s+(?:lokal|sal|adress|plats|ort)\b|\bvilken\s+(?:lokal|adress)\b|"
            r"^\s*(?:and\s+)?where\b[^?]{0,80}?\b(?:held|meets?|met|take\s+place|took\s+place)\b",
            re.I,
        ),
        VENUE,
    ),
    # what something costs is answered by a sum of money
    (re.compile(r"\b(kost(a|ar|ade|at|nad\w*)|pris\w*|budget\w*|cost\w*|price)\b", re.I), AMOUNT),
    (_ASKS_PROCEDURE, PROCEDURE),
    (_ASKS_CONTINUATION, CONTINUATION),  # before NEXT: "Fortsätter projektet nästa år?"
    (_ASKS_NEXT, NEXT),
    (_typed_either_way(_SUCCEEDS), SUCCESSION),  # asked by its verb, not "efter Cherries"
    # a comparison with something else ("… vanligare här än i Stockholm?", "Hur ligger vi
    # till jämfört med riket?") is answered only by a text that compares; not a threshold
    # ("fler än tio"), "än så länge" (yet) or "mer än" (besides)
    (
        re.compile(
            r"\bjämför\w*|\bskiljer\b|\bskillnad\w*\s+mellan\b|"
            r"\b(?:\w+are|fler|färre|mindre|bättre|sämre|högre|lägre|större|längre|kortare)"
            rf"(?:\s+[\w-]+){{0,3}}\s+än\b(?!\s+(?:så\b|idag|\d|{_NUMBER_WORDS}))|"
            r"\bcompar\w*|\bdiffer(?:s|ed|ences?)?\b|"
            r"\b(?:more|less|fewer|better|worse|higher|lower|\w+ier)(?:\s+\w+){0,3}\s+than\b",
            re.I,
        ),
        COMPARISON,
    ),
]


# What an answer must show: a pattern, an acronym's expansion or a later year (each has
# `finditer`)
Wanted = re.Pattern | Expansion | Later

# What a text reports as found or come to ("Utvärderingen visade …", "Utredningen kom fram
# till …", "… har resulterat i"): what answers a question after an outcome (asks_outcome);
# a text about the evaluation's plan or the project's aim does not
RESULT = re.compile(
    r"\b(visade|visat|framkom\w*|konstater\w*|slutsats\w*|resulter\w*|påvisa\w*|"
    r"kom(?:mit)?\s+fram\s+till|pekar\s+på|showed|shows|found|conclu\w*|resulted)\b",
    re.I,
)
# Wants a text shows in the question's own words: a comparison, a procedure, the next
# occurrence, a continuation, a result, a succession
SAID_AS_ASKED = (COMPARISON, PROCEDURE, NEXT, CONTINUATION, RESULT, SUCCESSION)

CONTACT_WINDOW = 200  # characters: a contact block lists a person's address and number
# What a question asks of a person it names, shown only near that name (shows_contact)
# A person's background: what they did before ("Vad jobbade hon med innan?", "Vad har han
# för bakgrund?") is answered only by a text that speaks of an earlier time near the name;
# a title line ("Ingmar Ångman – Områdeschef") says what they do now
_ASKS_BACKGROUND = re.compile(
    r"\b(bakgrund\w*|yrkesbakgrund|tidigare\s+(?:jobb|arbete|tjänst|roll|uppdrag)\w*|"
    r"(?:jobbade|arbetade)\b[^?]{0,40}\binnan\b|innan\s+(?:han|hon|hen|de)\s+(?:blev|kom|började|fick)|"
    r"background|previously|before\s+(?:she|he|they)\s+(?:became|joined|took))",
    re.I,
)
_PERSONAL_PRONOUN = re.compile(r"\b(han|hon|hen|she|he)\b", re.I)  # a project has no "hon"
BACKGROUND = re.compile(
    r"\b(tidigare|innan|har arbetat|arbetade|har varit|utbildad|bakgrund|formerly|previously)\b",
    re.I,
)
# "yrkesbakgrund" is always a person's, also when the name is typed in lower case
_ALWAYS_PERSONAL = re.compile(r"\b(yrkesbakgrund\w*|professional\s+background)\b", re.I)
PERSONAL = (EMAIL, PHONE, ROLE, BACKGROUND)


# What ends before a sentence, a list item, a labelled field or a quote begins: a capital
# after it (or after a line break) says nothing about a name
_BEFORE_START = ".!?:•–-(\"”'"


def _starts_sentence(text: str, at: int) -> bool:
    before = text[max(0, at - 80) : at]  # a bounded look-back: linear in the text
    kept = before.rstrip()
    gap = before[len(kept) :]
    if "\n" in gap:
        return True
    return kept[-1] in _BEFORE_START if kept else at - len(gap) <= 0


def people(text: str) -> list[str]:
    """The names of people a text mentions (two or three capitalised words). A common word
    that is capitalised because it starts a sentence does not start a name: "Projektet
    Cherries …", "Från Europa …" name no one; "Exempelvis Anna Nergårdh" names her."""
    return list(_people(text))


@lru_cache(maxsize=20_000)  # units recur across questions; bounded
def _people(text: str) -> tuple[str, ...]:
    out = []
    for m in PERSON.finditer(text):
        name = m.group(0)
        first, *rest = name.split()
        if _starts_sentence(text, m.start()) and is_common_word(first):
            if len(rest) < 2:
                continue
            name = " ".join(rest)
        if not name.startswith(_NOT_PEOPLE):
            out.append(name)
    return tuple(out)


def shows_contact(want: Wanted, text: str, names: list[str]) -> bool:
    """Whether the text shows the e-mail address, phone number or role asked for, and, when the
    question names people, within a contact block's reach of one of them: the switchboard
    number on the page does not answer "Vilket telefonnummer har Johanna Ek?"."""
    found = [m.start() for m in want.finditer(text)]
    if not found or not names:
        return bool(found)
    low = text.lower()
    at = [m.start() for n in names for m in re.finditer(_surname(n), low)]
    return any(abs(f - a) <= CONTACT_WINDOW for f in found for a in at)


def _surname(name: str) -> str:
    """The surname as a word, also without the genitive s ("Anders Bros nummer")."""
    last = name.split()[-1].lower()
    forms = [last, last[:-1]] if last.endswith("s") and len(last) > 3 else [last]
    return r"\b(?:" + "|".join(re.escape(f) for f in forms) + r")\b"


def shows(want: Wanted, text: str, question: str) -> bool:
    """Whether the text shows what the question asks for, other than what the question itself
    says ("Träffas de varje månad, eller hur ofta?" is not answered by "varje månad")."""
    if want in SAID_AS_ASKED:  # "Mår flickor sämre än pojkar?" — "Flickor mår sämre än
        # pojkar."; "När är nästa möte?" — "Nästa möte hålls …"
        return bool(want.search(text))
    asked = question.lower()
    return any(m.group(0).lower() not in asked for m in want.finditer(text))


@lru_cache(maxsize=1024)  # asked once per candidate unit of a question
def requested(question: str) -> Wanted | None:
    """The pattern an answer must show when the question names what it wants (what an
    acronym stands for, a named person's role, an e-mail address, a phone number, a weekday,
    a date, a period, a year, a frequency, opening hours, a meeting's place, an amount, a
    named person's background, a comparison, how to sign up, the next meeting, whether
    something goes on, who came after, what followed a year, what an inquiry found)."""
    acronym = asked_acronym(question)
    if acronym is not None:
        return Expansion(acronym)
    if _ASKS_BACKGROUND.search(question) and (
        people(question) or _PERSONAL_PRONOUN.search(question) or _ALWAYS_PERSONAL.search(question)
    ):
        return BACKGROUND
    if asks_role(question):
        return ROLE
    want = next((want for ask, want in REQUESTED if ask.search(question)), None)
    if want is COMPARISON and question_kind(question) != "what":
        return None  # "Varför … jämfört med …?" asks for a reason; the comparison is given
    if want is None and (after := _AFTER_YEAR.search(question)):
        return Later(int(after.group(1)))
    if want is None and asks_outcome(question):
        return RESULT
    return want


def asks_shape(kind: str, question: str) -> bool:
    """Whether the question wants a particular shape of answer (see `shape`)."""
    return kind in ("who", "when", "count", "list") or requested(question) is not None


_NUMBER_WORD = re.compile(rf"\b({_NUMBER_WORDS})\b", re.I)


def has_count(text: str, question: str = "") -> bool:
    """A number that counts something (not a year on its own) and that the question does
    not already give ("Hur många av de 12 kommunerna …")."""
    asked = {
        m.group(0).lower() for m in re.finditer(rf"\d+|{_NUMBER_WORD.pattern}", question, re.I)
    }
    digits = (m.group(0) for m in re.finditer(r"\d+", text))
    words = (m.group(0).lower() for m in _NUMBER_WORD.finditer(text))
    return any(n not in asked and not YEAR_ONLY.match(n) for n in digits) or any(
        w not in asked for w in words
    )


def has_date(text: str, question: str = "") -> bool:
    """A date or time expression that the question does not already give: the "2030" of
    "När beslutades målbilden för 2030?" does not answer it."""
    given = set(re.findall(r"\d+", question))
    return any(not (set(re.findall(r"\d+", m.group(0))) & given) for m in DATE_LIKE.finditer(text))


def shape(kind: str, text: str, is_list: bool = False, question: str = "") -> float:
    """How well a text has the shape the question asks for, 0–1."""
    want = requested(question) if question else None
    if want is not None:
        return 1.0 if shows(want, text, question) else 0.0
    match kind:
        case "who":
            if has_person(text, question) or EMAIL.search(text):
                return 1.0
            return 0.6 if _new_organisation(text, question) else 0.0
        case "when":
            return 1.0 if has_date(text, question) else 0.0
        case "count":
            return 1.0 if has_count(text, question) else 0.0
        case "list":
            return 1.0 if is_list else (0.6 if text.count(",") >= 3 else 0.0)
        case "why":
            return 1.0 if _CAUSE.search(text) else 0.0
        case _:
            return 0.0


_CAUSE = re.compile(
    r"\b(för att|eftersom|därför|syfte\w*|mål\w*|behov\w*|leder till|bidra\w* till|kräver)\b",
    re.I,
)


def defines(term: str, text: str) -> bool:
    """Whether a text defines a term: "X är …", "X – …", "X (…)", "X: …", "… (X)"."""
    t = re.escape(term.strip())
    return bool(
        re.search(rf"(^|[.•]\s*){t}\s*(är|innebär|betyder|handlar om|[-–:(])", text, re.I)
        or re.search(rf"\({t}\)", text, re.I)
    )


# --- Years and counts a text states ----------------------------------------------------

# A number as written: not part of a decimal, a thousands group or a decade ("1,5",
# "10 000", "2020-talet"); its value and the words after it tell a year from a count
_NUMERAL = re.compile(
    rf"(?<![\d,.])\b(\d{{1,4}}|{_NUMBER_WORDS})\b(?![,.]\d|\s\d{{3}}\b|[-\u2011]?tal)", re.I
)
_NUMBER_VALUES = dict(
    zip(_NUMBER_WORDS.split("|"), (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20, 100, 1000), strict=True)
)
# A span of years as the sources write a plan's period ("2019–2022", "2016 - 2018"): every
# year inside is covered
YEAR_SPAN = re.compile(r"\b((?:19|20)\d{2})\s*(?:[-–—]|\s+till\s+)\s*((?:19|20)\d{2})\b")
# "de sju delmålen", "alla fem": a determiner before a count asks about the whole set; "tre
# av delmålen", "nämn två delmål", "vilka två delmål är viktigast" ask for some of them
_WHOLE_SET = re.compile(r"\b(de|dom|alla|the|all)\s+$", re.I)
# A number as a bound, not a count of things ("fler än 3 vårdcentraler", "minst fem", "at
# least 20 places"): the sources' smaller count does not contradict it
_BOUND = re.compile(
    r"\b(?:fler|mer|färre|mindre|more|fewer|less)\s+(?:än|than)\s+$|"
    r"\b(?:minst|högst|max|maximalt|över|under|upp\s+till|cirka|ca|drygt|knappt|"
    r"at\s+least|at\s+most|over|under|up\s+to|about)\s+$",
    re.I,
)


def _value(numeral: str) -> int:
    return int(numeral) if numeral.isdigit() else _NUMBER_VALUES[numeral.lower()]


def _words_after(text: str, end: int, window: int) -> list[str]:
    """The next `window` words after a position, up to the end of the clause."""
    clause = re.split(r"[.,;:!?()\n–]", text[end : end + 120], maxsplit=1)[0]
    return re.findall(r"[^\W\d_][\w-]*", clause.lower())[:window]


def _is_year(m: re.Match, text: str) -> bool:
    """A four-digit number 1900–2099 that stands alone: before punctuation, a dash, a
    function word or the end ("2023?", "2023–2026", "2023 i länet"), not before what it
    counts or measures ("2000 kr", "de 2000 deltagarna")."""
    after = _words_after(text, m.end(), 1)
    return (
        m.group(1).isdigit()
        and 1900 <= int(m.group(1)) <= 2099
        and (not after or not is_content(after[0]))
    )


def years_asked(question: str) -> set[int]:
    """The calendar years a question names."""
    return {int(m.group(1)) for m in _NUMERAL.finditer(question) if _is_year(m, question)}


# Words after which a Swedish question puts its finite verb (verb second): a question word
# or a subjunction ("Vem tog över …", "… när den gick ut 2022"); a yes/no question puts it
# first ("Nådde Sverige målet …?"). "Vilka planerade insatser …" has its verb later: the
# word after "vilka" is no verb, often a participle used as an adjective
_BEFORE_VERB = _with_folded(["vem", "vad", "var", "när", "hur", "varför", "som"])
# a subordinate clause puts its subject first ("… när handlingsplanen gick ut 2025")
_SUBJUNCTIONS = frozenset(["när", "nar", "som", "om", "då", "sedan"])
# Past forms of strong and irregular verbs (typed with and without å/ä/ö); weak verbs'
# past ends in -ade/-de/-te/-dde, their past passive in -des/-tes (see _is_past)
_PAST_FORMS = _with_folded(
    ["blev", "var", "kom", "gick", "fick", "tog", "gjorde", "nådde", "hände", "hölls", "sa"]
    + ["sade", "gav", "såg", "fanns", "valdes", "antogs", "drog"]
)
_ENGLISH_PAST = re.compile(r"\b(?:did|was|were|became|happened)\b", re.I)
# A year the question gives as a deadline, a target or a plan's year ("till år 2025",
# "målet för 2025", "inför 2026", "by 2030"), not as the time of what it asks about
_DEADLINE = re.compile(
    r"\b(?:till(?:\s+år)?|fram\s+till|senast|före|innan|för|inför|by|until|for)\s+$", re.I
)


def _is_past(word: str) -> bool:
    return word in _PAST_FORMS or bool(re.fullmatch(r"\w{2,}(?:ade|ades|de|des|te|tes|dde)", word))


def _is_supine(word: str) -> bool:
    """A supine after "har/hade" ("har fattat", "har nått"): not "har … ett/rätt"."""
    return len(word) >= 4 and bool(re.search(r"(?:at|it|tt|rt|ft)$", word)) and term(word) != word


def in_past_tense(question: str) -> bool:
    """Whether the question's finite verb is in the past or the perfect tense."""
    if _ENGLISH_PAST.search(question):
        return True
    for clause in re.split(r"[,;:–?]", question.lower()):
        words = re.findall(r"\w+", clause)
        if words and words[0] in ("och", "men"):
            words = words[1:]
        finite = [0] + [i + 1 for i, w in enumerate(words[:-1]) if w in _BEFORE_VERB]
        finite += [i + 2 for i, w in enumerate(words[:-2]) if w in _SUBJUNCTIONS]
        for i in finite:
            if i >= len(words) or (i == 0 and words[0] == "var"):  # "Var …?" asks where
                continue
            if _is_past(words[i]):
                return True
            if words[i] in ("har", "hade") and any(_is_supine(w) for w in words[i + 1 : i + 4]):
                return True
    return False


def asks_after(question: str, newest: int) -> bool:
    """Whether the question asks, in the past tense, what happened in a year after `newest`
    (the year of the newest source that speaks of it): "Nådde Sverige målet år 2025?",
    "Vem tog över efter valet 2026?" asked of documents from 2024. What happened then the
    sources cannot say, whatever they planned for it."""
    if not in_past_tense(question):
        return False
    # a span of years names a period, often a plan's ("handlingsplanen 2019–2022"), not a time
    spans = [m.span() for m in YEAR_SPAN.finditer(question)]
    return any(
        _is_year(m, question)
        and int(m.group(1)) > newest
        and not _DEADLINE.search(question[: m.start()])
        and not any(a <= m.start() < b for a, b in spans)
        for m in _NUMERAL.finditer(question)
    )


def years_covered(texts: Iterable[str]) -> frozenset[int]:
    """The years a corpus names in any way, and those inside the spans it names."""
    out: set[int] = set()
    for text in texts:
        out.update(int(y.group(0)) for y in YEAR.finditer(text))
        for start, end in YEAR_SPAN.findall(text):
            out.update(range(int(start), int(end) + 1))
    return frozenset(out)


@dataclass(frozen=True)
class Count:
    value: int
    things: frozenset[str]  # the content words after the number: lemmas, without å/ä/ö


@cache
def _measures() -> frozenset[str]:
    """Units of time or measure: a number before one is a measure (an age, a duration, a
    sum), not a count of things the sources could give otherwise ("över 80 år")."""
    units = ("år", "månad", "vecka", "dygn", "dag", "timme", "minut", "gång", "procent")
    # a day of a month is a date ("den 15 mars"), an age a measure ("18-åringar")
    words = (*units, *SV_MONTHS, "åring", "krona", "kr")
    return frozenset(fold_diacritics(term(w)) for w in words)


def counts(
    text: str, window: int = 2, whole_set: bool = False, picked: bool = False
) -> list[Count]:
    """The counts a text states: a number and the content words among the next `window`
    words of its clause ("fem önskvärda lägen" -> 5, {onskvard, lag}); the first of them
    must be a content word ("tre av dem" counts nothing). Not years, not measures; with
    `whole_set`, only counts of a whole set ("de sju delmålen"); with `picked`, only counts
    of things the question takes as given ("vilka fem lägen", "har planen sju delmål"): not
    a bound ("fler än 3", "minst fem") nor a number that may be a year ("för 2030 beskriver
    RUS", the verb second)."""
    out = []
    for m in _NUMERAL.finditer(text):
        if _is_year(m, text) or (whole_set and not _WHOLE_SET.search(text[: m.start()])):
            continue
        if picked and (_BOUND.search(text[: m.start()]) or YEAR_ONLY.match(m.group(1))):
            continue
        words = _words_after(text, m.end(), window)
        if not words or not is_content(words[0]):
            continue
        things = frozenset(
            fold_diacritics(term(w)) for w in words if is_content(w) and w not in _NUMBER_VALUES
        )
        if things and not things & _measures():
            out.append(Count(_value(m.group(1)), things))
    return out


def contradicted_count(question: str, passages: list[str]) -> bool:
    """Whether the passages count what the question counts, but never with its number: as a
    whole set ("de sju delmålen" where the sources write "fem delmål"), or more of them than
    the sources ever count ("Vilka fem önskvärda lägen …?" where they write "fyra önskvärda
    lägen": five cannot be picked from four, while "vilka två delmål" asks for some of five).
    The question's premise is not the sources'."""
    whole = counts(question, whole_set=True)
    more = counts(question, picked=True)
    if not whole and not more:  # most questions count nothing: no need to read the passages
        return False
    stated = [c for text in passages for c in counts(text, window=3)]
    for asked in [*whole, *more]:
        same = {c.value for c in stated if asked.things <= c.things}
        if same and asked.value not in same and (asked in whole or asked.value > max(same)):
            return True
    return False


# A yes/no question whether something has been done: Swedish puts the finite verb first
# ("Har Regionstyrelsen fattat beslut om målbilden?", "Blev färdplanen klar?", "Är den nya
# FaR-modellen klar att använda?"), English its auxiliary ("Has the roadmap been adopted?")
_ASKS_IF_DONE = re.compile(
    r"^\s*(?:(?:och|men|and|but)\s+)?"
    r"(?:har|hade|är|blev|blir|kom|fick|has|have|had|is|are|was|were|did)\b[^?]*?"
    # done, in the forms a yes/no question uses: the supine and the participle ("har … antagit",
    # "har antagits", "är antagen/antaget/antagna"), the adjective ("klar", "färdigt")
    r"\b(?:klar|klart|klara|färdig\w*|beslut\w*|anta(?:git|gits|gen|get|gna)|"
    r"infö(?:rt|rts|rd\w*)|faststäl(?:lt|lts|ld\w*)|genomfö(?:rt|rts|rd\w*)|"
    r"avslut(?:at|ats|ad\w*)|slutfö(?:rt|rts|rd\w*)|godkän(?:t|ts|d\w*)|"
    r"finish\w*|complete\w*|decide\w*|adopt\w*|approve\w*|implement\w*|introduce\w*|"
    r"done|in place)\b",
    re.I,
)
# What a text says is still to come or under way ("ska beslutas", "ny modell arbetas fram")
UNDER_WAY = re.compile(
    r"\b(ska|skall|kommer att|planeras|beräknas (?:vara|bli)|arbetas fram|tas fram|pågår|"
    r"håller på|is to be|will be|planned|under way|ongoing)\b",
    re.I,
)
# What a text says has been done: a past passive ("antogs", "infördes", "beslutades") or a
# perfect ("har antagits", "har beslutat"); such a text answers whether it was done
DONE = re.compile(
    r"\b(?:antogs|\w+(?:ades|ordes|ördes|ädes|ndes|ldes|tes))\b|"
    r"\b(?:har|hade|has|had|have)\s+(?:\w+\s+)?\w+(?:ats|its|tts|ts|at|it|tt|ed)\b",
    re.I,
)


# A question after the outcome of something, in the past: what an evaluation showed, what a
# project came to, how it turned out ("Vad visade utvärderingen?", "Vad kom de fram till?",
# "Hur föll införandet ut?", "What did the evaluation show?"). "Vilka resultat ska planen
# ge?" asks for an aim, "Hur gick det till?" and "Hur kom man fram till …?" for a
# procedure: neither is one
_ASKS_OUTCOME = re.compile(
    r"\b(?:visade(?!\s+sig)|har\s+(?:\w+\s+){0,3}visat|"
    # what they came to, not how they came to it ("Hur kom man fram till perspektiven?")
    r"(?:vad|vilk\w*)\s+(?:\w+\s+){0,4}kom(?:mit)?\s+(?:\w+\s+){0,8}fram\s+till|"
    r"föll\s+(?:\w+\s+){0,3}ut|resultat(?:et|en)?\s+(?:blev|var|visade|gav)|"
    r"(?:vad|hur)\s+(?:blev|var)\s+(?:\w+\s+)?(?:resultat|utfall|effekt|slutsats)(?:et|en|erna|er)?|"
    r"hur\s+gick\s+det\s+(?:för|med)|what\s+did\s+(?:\w+\s+){1,4}(?:show|find)|"
    r"what\s+(?:was|were)\s+the\s+(?:result|outcome|finding)s?|turn(?:ed)?\s+out)\b",
    re.I,
)


def asks_outcome(question: str) -> bool:
    """Whether the question asks how something turned out (see _ASKS_OUTCOME)."""
    return bool(_ASKS_OUTCOME.search(question))


def asks_if_done(question: str) -> bool:
    """Whether the question asks yes or no whether something has been done (decided,
    finished, introduced …)."""
    return bool(_ASKS_IF_DONE.search(question))


def only_planned(question: str, shown: str) -> bool:
    """Whether a question that presumes something done (whether it has been, or how it
    turned out) meets a text that speaks of it only as planned or under way ("… ska
    beslutas av Regionstyrelsen", "En utvärderingsplan … ska utformas"): the documents are
    of their date, and whether it has happened since, or with what outcome, they do not say.
    Dev (2026-12-01): the 13 outcome questions are all unanswerable; 5 meet a planned text."""
    presumes_done = asks_if_done(question) or asks_outcome(question)
    return presumes_done and bool(UNDER_WAY.search(shown)) and not DONE.search(shown)
