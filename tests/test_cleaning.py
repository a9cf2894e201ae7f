"""Cleaning and chunking on the real corpus files and on small inputs with known noise."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunking import chunk_document
from ingest.clean import clean
from ingest.loaders import load
from ingest.models import DocumentMeta, LoadedDocument, Page
from ingest.text import split_sentences
from ingest.units import split_units

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
PDF = CORPUS / "handlingsplan-sammanhallen-vard-och-omsorg-2019-2022.pdf"


def chunks_of(path: Path, title: str = "T"):
    return chunk_document(load(path), DocumentMeta(doc_id=path.stem, title=title))


def test_page_chrome_is_removed():
    raw = (CORPUS / "vilka-ar-med-i-omstallningen.txt").read_text(encoding="utf-8")
    text = clean(raw)
    assert "Kävesta fhs dans3.jpg" not in text
    assert "Hade du nytta av innehållet" not in text
    assert "Senast uppdaterad" not in text
    assert "logotyper" not in text
    assert "Region Örebro län Region Örebro län" not in text
    assert "Askersund, Degerfors" in text  # the content stays


def test_news_headlines_around_the_article_are_removed():
    text = clean((CORPUS / "forbattrad-samverkan-cross-cherries.txt").read_text(encoding="utf-8"))
    assert text.startswith("Förbättrad samverkan mellan samhällets aktörer")
    for noise in ("Våra själar", "BIK Karlskoga", "Latest News", "Posted november", "logged in"):
        assert noise not in text
    assert "Charlotta Englund" in text
    # Swedish quotation dashes are speech, not list bullets
    assert "– Komplexa samhällsutmaningar" in text


def test_dehyphenation_joins_broken_words_but_keeps_shortened_compounds():
    text = clean(
        "genom hälsofrämjande och sjukdoms-\nförebyggande insatser inom hälso-\n"
        "och sjukvården som inte uppmärk-\nsammas"
    )
    assert "sjukdomsförebyggande" in text
    assert "hälso- och sjukvården" in text
    assert "uppmärksammas" in text


def test_hard_wrapped_lines_are_unwrapped_and_bullets_kept():
    text = clean(
        "Detta är en mening som\nbryts över två rader.\n\n• första punkten\n"
        "som fortsätter\n• andra punkten"
    )
    assert "Detta är en mening som bryts över två rader." in text
    assert "• första punkten som fortsätter\n• andra punkten" in text


def test_pdf_has_pages_headings_and_no_glyph_noise():
    doc = load(PDF)
    assert len(doc.pages) > 10
    chunks = chunks_of(PDF, "Handlingsplan för sammanhållen vård och omsorg 2019–2022")
    assert all(c.page is not None and c.page >= 1 for c in chunks)
    delmal = [c for c in chunks if "Delmål 3" in c.section]
    assert delmal and delmal[0].heading_path[:2] == [
        "Handlingsplan för sammanhållen vård och omsorg 2019–2022",
        "Prioriterat insatsområde",
    ]
    risks = next(c for c in chunks if c.section.endswith("Risker"))
    assert "\n• Resursbrist i verksamheterna" in risks.text  # glyphs mapped back to bullets
    assert "\x7f" not in "".join(c.text for c in chunks)
    adopted = next(c for c in chunks if "4 december 2019" in c.text)
    assert adopted.section == "Förord" and adopted.page < 6


def test_a_list_stays_with_its_lead_in():
    chunks = chunks_of(CORPUS / "natverk-och-samverkan.txt")
    lead = "Följande nätverk träffas regelbundet:"
    holder = next(c for c in chunks if lead in c.text)
    assert "• Socialchefer – Ansvarig: Ingmar Ångman" in holder.text
    assert "• Vård- och omsorgschefer – Ansvarig: Emma Svanberg" in holder.text


def test_prose_of_several_sentences_is_no_lead_in():
    # omstallningen-till-nara-vard: a paragraph ending "… i den färdplan som just nu arbetas
    # fram.", then an illustration, then a list of reasons without a lead-in of its own
    chunks = chunks_of(CORPUS / "omstallningen-till-nara-vard.txt")
    first = "• Dels har vårdbehovet förändrats."
    holder = next(c for c in chunks if first in c.text)
    assert "arbetas fram.\n• Dels" not in holder.text
    # a one-sentence paragraph before a list still leads into it (handlingsplan's risks)
    doc = LoadedDocument(Path("x.txt"), [Page(1, "Risker har framkommit.\n\n• Resursbrist\n• Tid")])
    (only,) = chunk_document(doc, DocumentMeta(doc_id="x", title="X"))
    assert "Risker har framkommit.\n• Resursbrist" in only.text


def test_contact_cards_are_not_headings():
    chunks = chunks_of(CORPUS / "omstallningen-till-nara-vard.txt")
    assert all("Malin Duckert Ek" not in part for c in chunks for part in c.heading_path)
    assert any(
        "Malin Duckert Ek – Projektledare: Samverkan för god och nära vård" in c.text
        for c in chunks
    )


def test_chunk_sizes_and_boundaries():
    for path in CORPUS.iterdir():
        if path.suffix not in (".txt", ".pdf"):
            continue
        chunks = chunks_of(path)
        assert chunks, path
        assert all(len(c.text.split()) <= 300 for c in chunks), path
        assert len({c.chunk_id for c in chunks}) == len(chunks)
        assert [c.position for c in chunks] == list(range(len(chunks)))


def test_long_sections_are_split_with_overlap():
    sentences = [
        f"Mening nummer {i} handlar om samverkan mellan kommun och region." for i in range(60)
    ]
    doc = LoadedDocument(Path("x.txt"), [Page(None, "Rubrik\n\n" + " ".join(sentences))])
    chunks = chunk_document(
        doc, DocumentMeta(doc_id="x", title="X"), target=100, maximum=150, overlap=20
    )
    assert len(chunks) >= 4
    assert all(c.heading_path == ["X", "Rubrik"] for c in chunks)
    first_of_second = split_sentences(chunks[1].text)[0]
    assert first_of_second in chunks[0].text  # the overlap: at most `overlap` words
    shared = chunks[0].text[chunks[0].text.index(first_of_second) :]
    assert chunks[1].text.startswith(shared) and 0 < len(shared.split()) <= 20


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "Det gäller t.ex. dietister. Och bl.a. sår.",
            ["Det gäller t.ex. dietister.", "Och bl.a. sår."],
        ),
        # a closing quote or bracket stays with the sentence it closes
        (
            "Hon frågade: ”Vem leder det?” Sedan gick hon.",
            ["Hon frågade: ”Vem leder det?”", "Sedan gick hon."],
        ),
        (
            'Han sa "Klart." Nästa dag (i maj.) Slut.',
            ['Han sa "Klart."', "Nästa dag (i maj.)", "Slut."],
        ),
        ('Han sa "Vad är det?" och gick.', ['Han sa "Vad är det?" och gick.']),
        ("Hon frågade (”Vem?”) Sedan gick hon.", ["Hon frågade (”Vem?”)", "Sedan gick hon."]),
    ],
)
def test_sentence_splitter(text, sentences):
    assert split_sentences(text) == sentences


def test_html_loader_keeps_main_text_headings_and_nested_lists(tmp_path):
    page = tmp_path / "sida.html"
    page.write_text(
        "<html><head><title>Sida</title></head><body><nav><a>Meny</a><a>Start</a></nav>"
        "<main><h1>Nätverk</h1><p>Följande nätverk finns:</p><ul><li>Socialchefer"
        "<ul><li>Ansvarig: Ingmar Ångman</li></ul></li><li>MAS/MAR</li></ul>"
        "<h2>Kontakt</h2><p>Ring oss.</p></main><footer>Cookies</footer></body></html>",
        encoding="utf-8",
    )
    doc = load(page)
    assert doc.inferred_title == "Nätverk"
    chunks = chunk_document(doc, DocumentMeta(doc_id="sida", title="Nätverk"))
    text = "\n".join(c.text for c in chunks)
    assert "Meny" not in text and "Cookies" not in text
    assert "Följande nätverk finns:\n• Socialchefer\n  • Ansvarig: Ingmar Ångman\n• MAS/MAR" in text
    assert any(c.heading_path == ["Nätverk", "Kontakt"] for c in chunks)


def test_a_list_unit_is_its_lead_in_sentence_and_items_not_the_paragraph_before():
    from ingest.units import split_units

    text = "Första meningen här. Andra meningen. Vi gör tre saker:\n• Ett\n• Två\n\nSlut."
    lists = [u for u in split_units(text) if u.kind == "list"]
    assert [u.text for u in lists] == ["Vi gör tre saker:\n• Ett\n• Två"]
    assert all(u.text in text for u in split_units(text))
    bare = [u.text for u in split_units("• Ett\n• Två") if u.kind == "list"]
    assert bare == ["• Ett\n• Två"]


_CHALLENGES = (
    "# Utmaningar\n\nStrategin pekar på två utmaningar i länet.\n\n"
    "## Den psykiska ohälsan ökar\n\nAllt fler mår sämre.\n\n"
    "## Vi lever längre\n\nAndelen äldre ökar."
)


def _outline_chunks(text: str, pages: list[str] | None = None):
    """The chunks of a small marked-up document that hold a bulleted outline, with the list
    units their text gives (lead-in, text)."""
    texts = pages or [text]
    doc = LoadedDocument(Path("x.txt"), [Page(n, t) for n, t in enumerate(texts, start=3)])
    chunks = chunk_document(doc, DocumentMeta(doc_id="x", title="X"))
    holders = [c for c in chunks if "• " in c.text]
    return holders, [
        (u.lead, u.text) for c in holders for u in split_units(c.text) if u.kind == "list"
    ]


@pytest.mark.parametrize(
    ("text", "lead", "items"),
    [
        # an intro that announces the subsections leads their list
        (
            _CHALLENGES,
            "Strategin pekar på två utmaningar i länet.",
            ["Den psykiska ohälsan ökar", "Vi lever längre"],
        ),
        # a longer intro: its last sentence, which announces them, leads; the rest stays prose
        (
            "# Perspektiv\n\nDialoger har förts i länet. Dessa perspektiv ska beaktas.\n\n"
            "## Delaktighet\n\nText ett.\n\n## Ledarskap\n\nText två.",
            "Dessa perspektiv ska beaktas.",
            ["Delaktighet", "Ledarskap"],
        ),
        # no intro; a skipped heading level still counts; a grandchild is not listed
        (
            "# Delmål\n\n### Delmål 1 – Stärka\n\nText ett.\n\n#### Detalj\n\nMer.\n\n"
            "### Delmål 2 – Förebygga\n\nText två.",
            None,
            ["Delmål 1 – Stärka", "Delmål 2 – Förebygga"],
        ),
        # a heading wrapped over two lines (an empty "subsection") is not an item
        (
            "# Mål\n\n## Ett långt mål som\n\n## bröts över två rader\n\nText.\n\n"
            "## Ett annat mål\n\nText två.",
            None,
            ["bröts över två rader", "Ett annat mål"],
        ),
    ],
)
def test_subsection_headings_become_a_quotable_list(text, lead, items):
    _, lists = _outline_chunks(text)
    ((got_lead, got),) = lists
    assert got_lead == lead
    assert [line[2:] for line in got.split("\n") if line.startswith("• ")] == items


@pytest.mark.parametrize(
    "text",
    [
        "# Risker\n\nFlera risker finns.\n\n## Resursbrist\n\nDet saknas folk.",  # one
        "# Frågor\n\n## Vad är SIP?\n\nEn plan.\n\n## Vem gör den?\n\nKommunen.",  # a FAQ
        "# Innehåll\n\n" + "\n\n".join(f"## Del {i}\n\nText {i}." for i in range(13)),
    ],
)
def test_no_outline(text):
    holders, _ = _outline_chunks(text)
    assert not holders


def test_an_outline_cites_its_sections_page_and_stays_with_its_lead_when_long():
    # the heading on page 3, its subsections' text from page 4: the outline is on page 3
    holders, _ = _outline_chunks("", ["# Delmål\n\n", "## Ett\n\nText ett.\n\n## Två\n\nText två."])
    assert [c.page for c in holders] == [3]
    # a long intro and many subsections: no chunk repeats the intro, the lead keeps its list
    intro = " ".join(f"Mening {i} om samverkan i länet och mer." for i in range(30))
    subs = "\n\n".join(f"## Delområde nummer {i} med en lång rubrik\n\nText." for i in range(12))
    holders, lists = _outline_chunks(f"# Områden\n\n{intro} Dessa områden gäller.\n\n{subs}")
    assert all(c.text.count("Mening 0 ") <= 1 for c in holders)
    assert lists and all(lead == "Dessa områden gäller." for lead, _ in lists)
