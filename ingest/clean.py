"""Remove page chrome and layout noise, and re-join text broken by the layout.

Input and output are lightly marked text: '# ' heading lines, bullet lines
('• ', '- ', nested with two spaces), blank lines between paragraphs.
"""

from __future__ import annotations

import re

IMAGE_LINE = re.compile(r"\.(jpe?g|png|gif|svg|webp|bmp|tiff?)\s*$", re.IGNORECASE)
FOOTER_LINE = re.compile(
    r"^(hade du nytta av innehållet|did the content help you|var sidan till hjälp|"
    r"you must be logged in|dela sidan|skriv ut sidan)",
    re.IGNORECASE,
)
UPDATED_LINE = re.compile(r"^(senast uppdaterad|last updated|publicerad|posted)\b", re.IGNORECASE)
CREDIT_LINE = re.compile(
    r"^((fotograf|foto|bild|photo|illustration)\s*:|illustration av |läs mer( om| här)?\b)",
    re.IGNORECASE,
)
SITE_TAGLINE = re.compile(r"\bwebbplats(en)? för\b", re.IGNORECASE)
NEWS_LIST_START = re.compile(
    r"^(latest news|senaste nytt|senaste nyheterna|fler nyheter|relaterade nyheter)\s*$",
    re.IGNORECASE,
)
RULE_LINE = re.compile(r"^[\s_\-–—=*]{4,}$")
# A breadcrumb or menu path: "Start › Vård › Nära vård". Tested by splitting at the
# separators (crumb_line), not by one regex: `[^.!?]{1,60}(\s[|›>»]\s[^.!?]{1,60})+` also
# matches the separators inside a segment and backtracks exponentially on a long line
# ("Sida 1 | 2 | … | 30 | Nästa sida." took > 60 s).
CRUMB_SEPARATOR = re.compile(r"\s[|›>»]\s")
CRUMB_SEGMENT_MAX = 60
CHROME_WORDS = {
    "search",
    "sök",
    "meny",
    "menu",
    "logga in",
    "login",
    "till toppen",
    "örebronyheter",
}
# An en dash opens a quotation in Swedish news text, so it is not a bullet.
BULLET = re.compile(r"^(\s*)([•▪◦●\-*]|\d{1,2}[.)])\s+")
WRAPPED_LINE_MAX = 120
LABEL_LINE = re.compile(
    r"^[A-ZÅÄÖ][\wåäö]{2,20}: \S"
)  # hard-wrapped layouts stay below this; longer lines are paragraphs
# A hyphen before these words marks a shortened compound ("hälso- och sjukvård"), not a line break.
COMPOUND_CONJ = {"och", "eller", "samt", "till", "respektive", "som", "men"}


def clean(text: str) -> str:
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").replace("\u00ad", "").split("\n")]
    lines = _drop_news_lists(lines)
    lines = [ln for ln in lines if not _is_noise(ln)]
    lines = _drop_repeats(lines)
    text = "\n".join(lines)
    text = _dehyphenate(text)
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    text = "\n\n".join(_unwrap(p) for p in _split_unwrapped(paragraphs))
    return text.strip()


def _is_noise(line: str) -> bool:
    s = line.strip()
    if not s:
        return False
    low = s.lower()
    if IMAGE_LINE.search(s) and len(s.split()) <= 12:
        return True
    if FOOTER_LINE.match(s) or UPDATED_LINE.match(s):
        return True
    if (CREDIT_LINE.match(s) or SITE_TAGLINE.search(s)) and len(s.split()) <= 12:
        return True
    if RULE_LINE.match(s) or low in CHROME_WORDS:
        return True
    if is_crumb_line(s) and not s.startswith("#"):
        return True
    if re.fullmatch(r"\d{1,3}", s):  # stray page number
        return True
    half = len(s) // 2
    # Site chrome printed twice in a row: "Logotyp för webbplatsen Logotyp för webbplatsen".
    return len(s) % 2 == 1 and s[:half] == s[half + 1 :] and len(s) > 6


def is_crumb_line(line: str) -> bool:
    """Segments of 1-60 characters without sentence punctuation, joined by ' | ', ' › ',
    ' > ' or ' » ' (linear time: one scan for punctuation, one split)."""
    if any(p in line for p in ".!?"):
        return False
    parts = CRUMB_SEPARATOR.split(line)
    return len(parts) >= 2 and all(1 <= len(p) <= CRUMB_SEGMENT_MAX for p in parts)


def _drop_news_lists(lines: list[str]) -> list[str]:
    """Cut a trailing "Latest News" block and a leading list of unrelated headlines."""
    for i, ln in enumerate(lines):
        if NEWS_LIST_START.match(ln.strip()):
            lines = lines[:i]
            break
    lead = 0
    while lead < len(lines) and (
        BULLET.match(lines[lead]) or UPDATED_LINE.match(lines[lead].strip())
    ):
        lead += 1
    # A document never opens with a bullet list of its own; three or more are page chrome.
    return lines[lead:] if lead >= 3 else lines


def _drop_repeats(lines: list[str]) -> list[str]:
    """Drop a line that repeats the previous non-blank line (image alt text + caption)."""
    out: list[str] = []
    last = ""
    for ln in lines:
        key = ln.strip().rstrip(".").lower()
        if key and key == last:
            continue
        if key:
            last = key
        out.append(ln)
    return out


def _dehyphenate(text: str) -> str:
    def join(m: re.Match) -> str:
        head, nxt = m.group(1), m.group(2)
        if nxt.lower() in COMPOUND_CONJ:
            return f"{head}- {nxt}"
        if nxt[0].isupper() and not head[-1].isupper():
            return f"{head}-{nxt}"  # "Örebro-Kumla": a real hyphen
        return head + nxt

    # Also across a blank line: a bullet broken by the layout ("hälso- \n\noch sjukvård").
    # \b: start only at a word's first letter; without it a long word is re-scanned from
    # every one of its letters (quadratic time on a 1 MB word).
    return re.sub(r"\b(\w+)-[ \t]*\n(?:[ \t]*\n)?[ \t]*(\w+)", join, text)


def _split_unwrapped(paragraphs: list[str]) -> list[str]:
    """Text whose lines are long was never hard-wrapped: each line is a paragraph."""
    out: list[str] = []
    for p in paragraphs:
        lines = [ln for ln in p.split("\n") if ln.strip()]
        if max(len(ln) for ln in lines) > WRAPPED_LINE_MAX:
            out.extend(lines)
        else:
            out.append(p)
    return out


def _unwrap(paragraph: str) -> str:
    """Join hard-wrapped lines; keep headings and each list item on a line of its own."""
    out: list[str] = []
    for ln in paragraph.split("\n"):
        s = ln.strip()
        if not s:
            continue
        starts_block = s.startswith("#") or BULLET.match(ln) or not out or out[-1].startswith("#")
        if starts_block:
            m = BULLET.match(ln)
            if m:
                depth = 1 if len(m.group(1).replace("\t", "  ")) >= 2 else 0
                s = "  " * depth + "• " + ln[m.end() :].strip()
            out.append(s)
        elif out[-1].lstrip().startswith("•") and LABEL_LINE.match(s):
            out[-1] = out[-1] + " – " + s  # "• Socialchefer" + "Ansvarig: Ingmar Ångman"
        else:
            out[-1] = out[-1] + " " + s
    return "\n".join(
        re.sub(r"[ \t]{2,}", " ", ln)
        if not ln.startswith("  •")
        else "  " + re.sub(r"[ \t]{2,}", " ", ln.strip())
        for ln in out
    )
