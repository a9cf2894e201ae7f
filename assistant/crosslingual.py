"""English questions against a Swedish corpus: the dense model is only weakly
cross-lingual, so domain words are also added in Swedish before retrieval."""

from __future__ import annotations

import re

# Domain vocabulary of the corpus (public-sector health and social care), English -> Swedish.
EN_SV = {
    "who": "vem",
    "when": "när",
    "which": "vilka",
    "why": "varför",
    "purpose": "syfte syftet",
    "lead": "leder ansvarig",
    "leads": "leder ansvarig",
    "leader": "ledare ansvarig",
    "responsible": "ansvarig ansvarar",
    "chair": "ordförande",
    "chairs": "ordförande",
    "chairman": "ordförande",
    "chairperson": "ordförande",
    "manager": "chef",
    "managers": "chefer",
    "head": "chef",
    "contact": "kontakt kontakta",
    "project": "projekt projektet",
    "network": "nätverk nätverket",
    "networks": "nätverk nätverken",
    "social services": "socialtjänsten socialchefer",
    "social": "social sociala",
    "municipality": "kommun",
    "municipalities": "kommuner kommunerna",
    "county": "län länet",
    "region": "region regionen",
    "action plan": "handlingsplan handlingsplanen",
    "plan": "plan planen",
    "goal": "mål",
    "goals": "mål delmål",
    "sub-goals": "delmål",
    "subgoals": "delmål",
    "objectives": "mål delmål",
    "adopted": "antogs antagen",
    "decided": "beslutades",
    "roadmap": "färdplan färdplanen",
    "vision": "målbild målbilden",
    "target picture": "målbild",
    "local care": "nära vård",
    "local health care": "nära vård",
    "close care": "nära vård",
    "primary care": "primärvård primärvården",
    "agreement": "överenskommelse",
    "agreements": "överenskommelser överenskommelserna",
    "public health": "folkhälsa folkhälsoarbete",
    "health": "hälsa",
    "care": "vård omsorg",
    "health care": "hälso- och sjukvård",
    "elderly": "äldre",
    "older": "äldre",
    "risks": "risker",
    "risk": "risk",
    "challenges": "utmaningar",
    "mental": "psykisk",
    "mental health": "psykisk hälsa ohälsa",
    "rehabilitation": "rehabilitering",
    "injuries": "vårdskador skada",
    "patient safety": "patientsäkerhet",
    "digitalisation": "digitalisering",
    "digitalization": "digitalisering",
    "participation": "delaktighet",
    "leadership": "ledarskap",
    "teamwork": "teamsamverkan",
    "collaboration": "samverkan",
    "cooperation": "samverkan samarbete",
    "civil society": "civilsamhället",
    "sports": "idrott RF-SISU",
    "education": "bildningsförbund",
    "strategy": "strategi utvecklingsstrategin",
    "development": "utveckling",
    "follow-up": "uppföljning",
    "evaluation": "utvärdering",
    "workshop": "workshop",
    "committee": "nämnd nämnden",
    "board": "nämnd styrelse",
    "growth": "tillväxtnämnden",
    "first version": "första version",
    "ready": "klar",
    "expected": "beräknas",
    "four": "fyra",
    "five": "fem",
    "three": "tre",
    "twelve": "tolv",
    "areas": "områden",
    "priority": "prioriterade",
    "integrated": "sammanhållen",
    "continuity": "kontinuitet",
    "accessibility": "tillgänglighet",
    "coordination": "samordning",
    "proactivity": "proaktivitet",
    "concepts": "handlar om",
    "shift": "omställningen",
    "transition": "omställningen",
    "organisations": "organisationer",
    "besides": "utöver",
    "since": "sedan",
    "nurses": "sjuksköterskor",
    "medically": "medicinskt",
}
_PHRASES = sorted(EN_SV, key=len, reverse=True)


MARK = " ||sv: "


def swedish_part(query: str) -> str:
    """From an expanded English query: the Swedish additions and any Swedish words the
    question itself quoted (names, terms in parentheses)."""
    question, _, added = query.partition(MARK)
    quoted = " ".join(
        w
        for w in question.split()
        if any(c in w.lower() for c in "åäö")
        or (
            w[:1].isupper()
            and w.lower().strip("?.,()") not in EN_STOP
            and w.lower().strip("?.,()") not in EN_SV
        )
    )
    return f"{quoted} {added}".strip()


EN_STOP = {
    "who",
    "what",
    "when",
    "which",
    "why",
    "how",
    "is",
    "are",
    "was",
    "the",
    "a",
    "in",
    "does",
    "do",
    "did",
    "i",
    "besides",
    "since",
}


def add_swedish(question: str) -> str:
    """The English question followed by the Swedish words for the domain terms it uses."""
    low = question.lower()
    found: list[str] = []
    for phrase in _PHRASES:
        pattern = r"\b" + re.escape(phrase) + r"\b"
        if re.search(pattern, low):
            found.append(EN_SV[phrase])
            low = re.sub(pattern, " ", low)
    return question if not found else question + MARK + " ".join(found)
