"""Fetching web pages politely: robots.txt, a User-Agent naming the product, timeouts, a size
limit, redirects followed hop by hop (each hop checked), conditional requests, and the page
lists of a sitemap.xml or of links under a path prefix."""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from .errors import SourceError
from .settings import Settings

log = logging.getLogger(__name__)

# Content types we can read, and the file suffix the loaders know them by.
CONTENT_TYPES = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
    "text/plain": ".txt",
}
REDIRECTS = {301, 302, 303, 307, 308}
GONE = {404, 410}


@dataclass(frozen=True)
class FetchPolicy:
    user_agent: str
    timeout: float
    max_bytes: int
    max_redirects: int
    page_limit: int

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchPolicy:
        return cls(
            user_agent=settings.web_user_agent,
            timeout=settings.web_timeout,
            max_bytes=settings.web_max_bytes,
            max_redirects=settings.web_max_redirects,
            page_limit=settings.web_page_limit,
        )

    @property
    def robots_agent(self) -> str:
        """The product token robots.txt rules are matched against ("Samverkansassistenten")."""
        return self.user_agent.split("/")[0].split()[0]


@dataclass(frozen=True)
class Fetched:
    """One response: `body` is None when the server answered 304 Not Modified."""

    url: str  # as requested
    final_url: str  # after redirects
    status: int  # 200 or 304
    body: bytes | None
    content_type: str
    etag: str | None = None
    last_modified: str | None = None

    @property
    def suffix(self) -> str:
        return CONTENT_TYPES[self.content_type]


def check_url(url: str) -> str:
    """An absolute http(s) URL without its fragment, or a SourceError."""
    url = urldefrag(url.strip())[0]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourceError(
            "invalid_url",
            f"{url!r} is not an http(s) URL",
            f"”{url}” är inte en webbadress (http:// eller https://).",
        )
    return url


class WebClient:
    """One httpx client for a run; robots.txt is read once per site."""

    def __init__(self, policy: FetchPolicy, transport: httpx.BaseTransport | None = None) -> None:
        self.policy = policy
        self._client = httpx.Client(
            headers={"User-Agent": policy.user_agent},
            timeout=httpx.Timeout(policy.timeout),
            follow_redirects=False,  # followed here, so that every hop is checked
            transport=transport,
        )
        self._robots: dict[str, RobotFileParser | SourceError] = {}

    def __enter__(self) -> WebClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # --- one page ------------------------------------------------------------

    def fetch(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        sitemap: bool = False,
    ) -> Fetched:
        """GET a page (conditionally when `etag`/`last_modified` are known); `sitemap`: any
        XML is what we want, not a document type."""
        requested = current = check_url(url)
        conditional = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        for _ in range(self.policy.max_redirects + 1):
            self._check_robots(current)
            status, headers, body = self._get(current, conditional)
            if status in REDIRECTS and headers.get("location"):
                current = check_url(urljoin(current, headers["location"]))
                continue
            if status == 304:
                return Fetched(
                    requested, current, 304, None, "", etag, last_modified or None
                )  # the validators we sent still hold
            if status in GONE:
                raise SourceError(
                    "not_found",
                    f"{current}: HTTP {status} (the page no longer exists)",
                    f"Sidan finns inte (HTTP {status}): {current}",
                )
            if status != 200:
                raise SourceError(
                    "http_status",
                    f"{current}: HTTP {status}",
                    f"Webbplatsen svarade med fel (HTTP {status}): {current}",
                )
            return Fetched(
                requested,
                current,
                200,
                body,
                _content_type(current, headers, sitemap),
                headers.get("etag"),
                headers.get("last-modified"),
            )
        raise SourceError(
            "too_many_redirects",
            f"{requested}: more than {self.policy.max_redirects} redirects",
            f"För många omdirigeringar (fler än {self.policy.max_redirects}): {requested}",
        )

    def _get(self, url: str, headers: dict[str, str]) -> tuple[int, httpx.Headers, bytes]:
        """Status, headers and the body read up to the size limit, within the time limit."""
        limit, timeout = self.policy.max_bytes, self.policy.timeout
        deadline = time.monotonic() + timeout
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code != 200:
                    return response.status_code, response.headers, b""
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise _too_large(url, limit, int(declared))
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise _too_large(url, limit)
                    if time.monotonic() > deadline:  # a server trickling bytes forever
                        raise httpx.ReadTimeout("body not complete in time")
                    chunks.append(chunk)
                return 200, response.headers, b"".join(chunks)
        except httpx.TimeoutException as exc:
            raise SourceError(
                "timeout",
                f"{url}: timed out after {timeout:g} s ({exc.__class__.__name__}); the server "
                "is slow or unreachable; try again later or raise SAMVERKAN_WEB_TIMEOUT",
                f"Webbplatsen svarade inte inom {timeout:g} sekunder: {url}",
            ) from exc
        except httpx.HTTPError as exc:
            raise SourceError(
                "network",
                f"{url}: could not connect ({exc.__class__.__name__}: {exc})",
                f"Kunde inte nå webbplatsen: {url}",
            ) from exc

    # --- robots.txt ----------------------------------------------------------

    def _check_robots(self, url: str) -> None:
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        if site not in self._robots:
            self._robots[site] = self._read_robots(site)
        rules = self._robots[site]
        if isinstance(rules, SourceError):
            raise rules
        if not rules.can_fetch(self.policy.robots_agent, url):
            raise SourceError(
                "robots",
                f"{url}: disallowed by {site}/robots.txt for {self.policy.robots_agent}",
                f"Webbplatsens robots.txt tillåter inte att sidan hämtas: {url}",
            )

    def _read_robots(self, site: str) -> RobotFileParser | SourceError:
        """RFC 9309: a missing robots.txt (4xx) allows everything; a server error or an
        unreachable robots.txt means we may not assume anything, so nothing is fetched."""
        parser = RobotFileParser(f"{site}/robots.txt")
        try:
            status, _, body = self._get(f"{site}/robots.txt", {})
        except SourceError as exc:
            if exc.code == "too_large":
                parser.parse([])  # RFC 9309 allows ignoring rules beyond a size limit
                return parser
            return exc
        if status == 200:
            parser.parse(body.decode("utf-8", "replace").splitlines())
        elif 400 <= status < 500 or status in REDIRECTS:
            parser.parse([])
        else:
            return SourceError(
                "robots",
                f"{site}/robots.txt answered HTTP {status}; not fetching from {site}",
                f"Webbplatsens robots.txt kunde inte läsas (HTTP {status}); inget hämtas.",
            )
        return parser

    # --- page lists ----------------------------------------------------------

    def sitemap_urls(self, sitemap_url: str, prefix: str | None, limit: int) -> list[str]:
        """Page URLs of a sitemap.xml (following sitemap indexes), under `prefix` if given."""
        from lxml import etree

        out: list[str] = []
        todo, seen = deque([check_url(sitemap_url)]), set()
        while todo and len(out) < limit:
            url = todo.popleft()
            if url in seen:
                continue
            seen.add(url)
            fetched = self.fetch(url, sitemap=True)
            try:
                root = etree.fromstring(
                    fetched.body or b"", etree.XMLParser(resolve_entities=False)
                )
            except etree.XMLSyntaxError as exc:
                raise SourceError(
                    "bad_sitemap",
                    f"{url}: not a valid sitemap ({exc})",
                    f"Webbplatskartan är inte giltig XML: {url}",
                ) from exc
            nested = root.tag.endswith("sitemapindex")
            for loc in root.iter("{*}loc"):
                link = urljoin(url, (loc.text or "").strip())
                if nested:
                    todo.append(link)
                elif _under(link, prefix) and link not in out and len(out) < limit:
                    out.append(link)
        return out


def links_under(body: bytes, base_url: str, prefix: str) -> list[str]:
    """The distinct links of an HTML page that lie under `prefix`, in page order."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(body or b"<html/>")
    except (ValueError, SyntaxError):
        return []
    out: list[str] = []
    for href in tree.xpath("//a/@href"):
        link = urldefrag(urljoin(base_url, href.strip()))[0]
        if _under(link, prefix) and link not in out:
            out.append(link)
    return out


def default_prefix(url: str) -> str:
    """A start page's folder: links are followed below it."""
    return url.rsplit("/", 1)[0] + "/"


def _under(url: str, prefix: str | None) -> bool:
    return url.startswith(("http://", "https://")) and (not prefix or url.startswith(prefix))


def _content_type(url: str, headers: httpx.Headers, sitemap: bool = False) -> str:
    declared = headers.get("content-type", "").split(";")[0].strip().lower()
    if sitemap:
        return declared
    if declared == "text/plain" and urlsplit(url).path.lower().endswith((".md", ".markdown")):
        return "text/markdown"
    if declared in CONTENT_TYPES:
        return declared
    raise SourceError(
        "unsupported_type",
        f"{url}: content type {declared or '(none)'!r} is not supported "
        f"(supported: HTML, PDF, Word .docx, Markdown, text)",
        f"Filtypen stöds inte ({declared or 'okänd'}); det går att lägga till HTML-sidor, "
        "PDF, Word (.docx), Markdown och text.",
    )


def _too_large(url: str, limit: int, size: int | None = None) -> SourceError:
    got = f"{size} bytes" if size is not None else "more"
    return SourceError(
        "too_large",
        f"{url}: {got} exceeds the limit of {limit} bytes (SAMVERKAN_WEB_MAX_BYTES)",
        f"Sidan är för stor (högst {human_size(limit)}): {url}",
    )


def human_size(n: int) -> str:
    """Swedish size wording for messages: 10 MB, 200 kB, 512 byte."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:g} MB"
    if n >= 1_000:
        return f"{n / 1_000:g} kB"
    return f"{n} byte"
