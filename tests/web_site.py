"""A real HTTP server on loopback serving a small web site that tests change between runs:
ETag/Last-Modified with 304 answers, redirects, slow answers, and a log of every request."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    location: str | None = None  # for redirects
    delay: float = 0.0  # seconds before answering


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    status: int


@dataclass
class Site:
    routes: dict[str, Route] = field(default_factory=dict)
    log: list[Hit] = field(default_factory=list)
    base: str = ""

    def hits(self, path: str) -> list[Hit]:
        return [h for h in self.log if h.path == path]

    def url(self, path: str) -> str:
        return self.base + path


def serve(site: Site):
    """Start the server; returns a stop function. Binds 127.0.0.1 only."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet test output
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            route = site.routes.get(self.path)
            if route is None:
                return self._answer(404, b"<h1>Sidan finns inte</h1>", "text/html")
            if route.delay:
                time.sleep(route.delay)
            if route.location:
                return self._answer(route.status, b"", "text/html", {"Location": route.location})
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                return self._answer(304, b"", None, {"ETag": route.etag})
            if (
                not route.etag
                and route.last_modified
                and self.headers.get("If-Modified-Since") == route.last_modified
            ):
                return self._answer(304, b"", None, {"Last-Modified": route.last_modified})
            headers = {}
            if route.etag:
                headers["ETag"] = route.etag
            if route.last_modified:
                headers["Last-Modified"] = route.last_modified
            self._answer(route.status, route.body, route.content_type, headers)

        def _answer(self, status: int, body: bytes, ctype: str | None, headers=None) -> None:
            site.log.append(Hit(self.path, dict(self.headers.items()), status))
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                # the client may have given up (size limit, timeout)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return stop


CHROME_TOP = """<header><a href="/">Region Örebro läns webbplats för personal inom vård och omsorg</a>
<nav><ul><li><a href="/">Start</a></li><li><a href="/omstallning/sida.html">Nära vård</a></li>
<li><a href="/kontakt.html">Kontakt</a></li><li><a href="/sok.html">Sök</a></li></ul></nav>
</header>"""
CHROME_BOTTOM = """<footer><p>Region Örebro län, Box 1613, 701 16 Örebro. Växel 019-602 10 00.</p>
<p><a href="/cookies.html">Om kakor</a> · <a href="/tillganglighet.html">Tillgänglighet</a></p>
</footer>"""


def page(title: str, body_html: str, head: str = "", updated: str | None = None) -> bytes:
    """A page with site chrome around `body_html` (navigation, crumbs, feedback, footer)."""
    stamp = f"<p class='updated'>Senast uppdaterad {updated}</p>" if updated else ""
    return f"""<!doctype html><html lang="sv"><head><meta charset="utf-8">
<title>{title} - Vårdgivare Region Örebro län</title>
<meta property="og:site_name" content="Region Örebro län">{head}</head><body>
{CHROME_TOP}
<main><nav class="crumbs"><a href="/">Start</a> › <a href="/omstallning/">Omställning</a></nav>
<article><h1>{title}</h1>
{body_html}
{stamp}
</article>
<aside><h2>Hade du nytta av innehållet på den här sidan?</h2><button>Ja</button><button>Nej</button></aside>
</main>
{CHROME_BOTTOM}
</body></html>""".encode()
