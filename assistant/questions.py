"""What shape of answer a question asks for."""

from __future__ import annotations

import re

_WHO = re.compile(
    r"^\s*(och\s+)?(vem|vilka personer|vilken person|who)\b|\b(vem|vilka)\s+(leder|är ansvarig|ansvarar|är kontakt|kontaktar|har ansvar)|\bansvarig för\b|\bkontaktperson",
    re.I,
)
_WHEN = re.compile(
    r"^\s*(och\s+)?(när|sedan när|vilket år|vilket datum|vilken månad|when|what year|since when)\b|\bvilket (år|datum)\b|\bhur länge\b",
    re.I,
)
_LIST = re.compile(
    r"^\s*(och\s+)?(vilka|vad ingår|vilka är|räkna upp|lista|list|which)\b|\bvilka (är|var)\b|\bvad (är|var) de\b|\bwhat are the\b",
    re.I,
)
_COUNT = re.compile(r"\bhur (många|mycket|stor|stora)\b|\bantal\b|\bhow (many|much)\b", re.I)

ROLE_WORDS = re.compile(
    r"ansvarig|chef\b|chefer?:|ordförande|ledare|ledamot|projektledare|utvecklingsledare|"
    r"områdeschef|socialchef|direktör|säger|kontakt",
    re.I,
)
PERSON = re.compile(r"\b[A-ZÅÄÖ][a-zåäöéü]+(?:[ -][A-ZÅÄÖ][a-zåäöéü]+){1,2}\b")
DATE_LIKE = re.compile(
    r"\b(19|20)\d{2}\b|\b\d{1,2} (januari|februari|mars|april|maj|juni|juli|augusti|september|"
    r"oktober|november|december)\b|\b(våren|hösten|vintern|sommaren)\b",
    re.I,
)
NUMBER = re.compile(
    r"\d|\b(två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|tjugo|hundra|"
    r"tusen|miljon\w*|miljard\w*)\b",
    re.I,
)
ENGLISH = re.compile(r"\b(the|what|who|when|which|how|does|is|are|of|and)\b", re.I)


def question_kind(question: str) -> str:
    if _WHO.search(question):
        return "who"
    if _WHEN.search(question):
        return "when"
    if _COUNT.search(question):
        return "count"
    if _LIST.search(question):
        return "list"
    return "what"


def is_english(question: str) -> bool:
    words = re.findall(r"[A-Za-zÅÄÖåäö]+", question)
    hits = len(ENGLISH.findall(question))
    return hits >= 2 and hits >= len(words) / 5


def has_person(text: str) -> bool:
    return any(
        not m.group(0).startswith(("Region", "Örebro", "Område", "Specifika", "Regionala"))
        for m in PERSON.finditer(text)
    )
