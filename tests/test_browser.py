"""Real-browser tests: Debian chromium driven by Playwright (sync API) against the live app.

Never runs `playwright install`; uses the system chromium at /usr/bin/chromium and skips when
it is missing (tests/run.sh and CI install it). Screenshots go to <repo>/test-artifacts/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TIMEOUT = 30_000  # ms; the first answer in a session can take a few seconds
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

NO_CHROMIUM = f"{CHROMIUM} is not installed (apt-get install chromium); browser tests skipped"

# Skip at collection time too: otherwise the session-scoped live server (and its index build)
# would be set up before the module-scoped browser fixture gets to skip.
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


class Console:
    """Console errors and uncaught page errors collected while a test runs."""

    def __init__(self, page):
        self.messages: list[str] = []
        page.on(
            "console",
            lambda msg: (
                self.messages.append(
                    f"console.{msg.type}: {msg.text} ({msg.location.get('url', '')})"
                )
                if msg.type in ("error", "warning")
                else None
            ),
        )
        page.on("pageerror", lambda exc: self.messages.append(f"pageerror: {exc}"))

    def errors(self) -> list[str]:
        # The app serves no /favicon.ico; chromium's automatic request for it is not a page error.
        return [
            m
            for m in self.messages
            if not m.startswith("console.warning") and not m.endswith("/favicon.ico)")
        ]


@pytest.fixture
def page_factory(browser, live_server):
    contexts = []

    def make(width: int = 1280, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="sv-SE")
        context.set_default_timeout(TIMEOUT)
        contexts.append(context)
        page = context.new_page()
        page.console = Console(page)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(page_factory):
    return page_factory()


def open_chat(page, base: str) -> None:
    page.goto(base + "/")
    expect(page.locator("#question")).to_be_editable(timeout=TIMEOUT)


def ask(page, question: str):
    """Type a question, press Enter, wait until the new assistant message is finished."""
    before = page.locator(".message.assistant").count()
    box = page.locator("#question")
    box.fill(question)
    box.press("Enter")
    message = page.locator(".message.assistant").nth(before)
    expect(message).to_be_attached(timeout=TIMEOUT)
    expect(message).not_to_have_attribute("aria-busy", re.compile(".*"), timeout=TIMEOUT)
    expect(message).not_to_have_class(re.compile(r"\bfailed\b"))
    expect(page.locator("#send")).to_be_enabled(timeout=TIMEOUT)
    return message


def assert_text_only(message) -> None:
    """Answer text is inserted as text nodes: the only elements inside are citation buttons,
    and those contain nothing but text."""
    answer = message.locator(".answer-text")
    stray = answer.locator("*:not(button.cite)")
    assert stray.count() == 0, stray.evaluate_all("els => els.map(e => e.outerHTML)")


def not_covered(page, selector: str) -> bool:
    """Whether a click at the centre of the (first) element would reach that element."""
    return page.evaluate(
        """(selector) => {
        const node = document.querySelector(selector);
        const r = node.getBoundingClientRect();
        const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        return node === hit || node.contains(hit);
    }""",
        selector,
    )


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0
    return path


# ---------------------------------------------------------------------------- tests


def test_answer_with_citation_panel(page, live_server):
    open_chat(page, live_server)
    message = ask(page, "Vem leder nätverket för socialchefer?")
    answer = message.locator(".answer-text")
    expect(answer).to_contain_text("Ingmar Ångman")
    assert_text_only(message)
    expect(message).not_to_have_class(re.compile(r"\brefused\b"))

    cite = message.locator("button.cite").first
    expect(cite).to_be_visible()
    cite.click()
    panel = page.locator("#citation-panel")
    expect(panel).to_be_visible()
    expect(panel.locator(".panel-title")).to_have_text("Nätverk och samverkan")
    mark = panel.locator("mark").first
    expect(mark).to_contain_text("Ingmar Ångman")
    # The quote is shown highlighted within its surrounding context, not on its own.
    chunk_text = panel.locator(".chunk-text")
    expect(chunk_text).to_have_count(1)
    assert len(chunk_text.inner_text()) > len(mark.inner_text())
    expect(panel.locator("#panel-link")).to_have_attribute(
        "href", re.compile(r"/dokument/natverk-och-samverkan")
    )
    # Side by side on a wide screen: the open panel covers neither the answer nor the header tools.
    for selector in ("#new-conversation", "#glossary-button", "button.cite"):
        assert not_covered(page, selector), f"{selector} is covered while the panel is open"
    screenshot(page, "chat-citation.png")

    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    assert page.console.errors() == []


def test_unanswerable_question_is_refused(page, live_server):
    open_chat(page, live_server)
    message = ask(page, "Hur många vårdplatser har USÖ?")
    expect(message).to_have_class(re.compile(r"\brefused\b"))
    expect(message).to_contain_text("Det framgår inte av källorna")
    assert_text_only(message)


def test_glossary_lists_sip(page, live_server):
    open_chat(page, live_server)
    page.locator("#glossary-button").click()
    dialog = page.locator("dialog#glossary")
    expect(dialog).to_be_visible()
    sip = dialog.locator(
        ".glossary-term", has=page.locator("dt", has_text=re.compile(r"^\s*SIP\s*$"))
    )
    expect(sip).to_have_count(1)
    expect(sip.locator("dd")).to_contain_text("Samordnad individuell plan", ignore_case=True)
    # Filtering narrows the list down to the matching term.
    terms = dialog.locator(".glossary-term")
    assert terms.count() > 1
    page.locator("#glossary-filter").fill("SIP")
    expect(sip).to_be_visible()
    assert terms.filter(visible=True).count() < terms.count()
    page.locator("#glossary-filter").fill("")
    expect(terms.filter(visible=True)).to_have_count(terms.count())
    dialog.locator("#glossary-close").click()
    expect(dialog).to_be_hidden()
    # Reopened (already loaded), it also closes with Escape. (With text in the search field,
    # chromium's first Escape only clears the field – native behaviour.)
    page.locator("#glossary-button").click()
    expect(sip).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_follow_up_question_uses_history(page, live_server):
    open_chat(page, live_server)
    first = ask(page, "Vad heter nätverket för psykisk hälsa och suicidprevention?")
    expect(first.locator(".answer-text")).not_to_be_empty()
    second = ask(page, "Och vem leder det?")
    expect(second.locator(".answer-text")).to_contain_text("Johanna Bernström Högblom")
    assert_text_only(second)
    expect(page.locator(".message.user")).to_have_count(2)

    # "Ny konversation" clears the log and the history.
    page.locator("#new-conversation").click()
    expect(page.locator("#conversation .message")).to_have_count(0)


def test_document_view(page, live_server):
    page.goto(live_server + "/dokument/natverk-och-samverkan")
    expect(page.locator("#document-title")).to_have_text("Nätverk och samverkan")
    expect(page.locator("#chat-view")).to_be_hidden()
    chunks = page.locator("section.doc-chunk")
    expect(chunks.first).to_be_visible()
    assert chunks.count() >= 3, chunks.count()
    expect(page).to_have_title(re.compile("Nätverk och samverkan"))
    assert page.console.errors() == []


def test_phone_width_has_no_horizontal_scroll(page_factory, live_server):
    page = page_factory(375, 740)
    open_chat(page, live_server)
    message = ask(page, "Vem leder nätverket för socialchefer?")
    answer = message.locator(".answer-text")
    expect(answer).to_contain_text("Ingmar Ångman")
    answer.scroll_into_view_if_needed()
    expect(answer).to_be_in_viewport()
    scroll_width, inner_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width + 1, (scroll_width, inner_width)
    screenshot(page, "chat-phone.png")

    # The citation panel also fits on a phone.
    message.locator("button.cite").first.click()
    panel = page.locator("#citation-panel")
    expect(panel.locator("mark").first).to_be_visible()
    box = panel.bounding_box()
    assert box is not None and box["x"] >= -1 and box["x"] + box["width"] <= inner_width + 1, box


def test_no_csp_violations(page, live_server):
    open_chat(page, live_server)
    expect(page.locator("button.starter").first).to_be_visible()
    page.locator("#glossary-button").click()
    expect(page.locator("#glossary dt").first).to_be_visible()
    page.keyboard.press("Escape")
    page.goto(live_server + "/dokument/natverk-och-samverkan")
    expect(page.locator("section.doc-chunk").first).to_be_visible()
    csp = [
        m
        for m in page.console.messages
        if "Content Security Policy" in m or "Content-Security-Policy" in m
    ]
    assert csp == [], csp
    assert page.console.errors() == []


def test_starter_and_feedback(page, live_server):
    open_chat(page, live_server)
    starter = page.locator("button.starter").first
    expect(starter).to_be_visible()
    starter.click()
    message = page.locator(".message.assistant").first
    expect(message).not_to_have_attribute("aria-busy", re.compile(".*"), timeout=TIMEOUT)
    expect(page.locator("#starters")).to_be_hidden()
    message.locator(".feedback-up").click()
    expect(message.locator("p.feedback-status")).to_have_text("Tack för din återkoppling!")
    expect(message.locator(".feedback-up")).to_be_disabled()


def test_question_html_is_shown_as_text(page, live_server):
    open_chat(page, live_server)
    question = '<img src=x onerror="window.__xss=1"><b>Vem leder nätverket för socialchefer?</b>'
    message = ask(page, question)
    user = page.locator(".message.user .user-text").first
    expect(user).to_have_text(question)
    assert user.locator("*").count() == 0
    assert page.locator("#conversation img, #conversation b").count() == 0
    assert page.evaluate("() => window.__xss") is None
    assert_text_only(message)
