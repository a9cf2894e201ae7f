"""Request limits: the body (size, encoding, JSON shape) checked before any route sees it,
and per-client rate limits keyed on the real client address."""

from __future__ import annotations

import ipaddress
import json
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable

WINDOW_SECONDS = 60.0
# Clients remembered per limiter; the oldest are forgotten first (memory stays bounded
# whatever addresses an attacker uses).
MAX_CLIENTS = 10_000
MAX_JSON_DEPTH = 32


class RateLimiter:
    """Sliding one-minute window per client address."""

    def __init__(self, per_minute: int, max_clients: int = MAX_CLIENTS) -> None:
        self.per_minute = per_minute
        self.max_clients = max_clients
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int | None:
        """Counts a request; None when it is allowed, else the seconds until it would be."""
        if self.per_minute <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            hits = self._hits.pop(client, None) or deque()
            self._hits[client] = hits  # most recently seen last
            while len(self._hits) > self.max_clients:
                self._hits.popitem(last=False)
            while hits and now - hits[0] > WINDOW_SECONDS:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return max(1, math.ceil(WINDOW_SECONDS - (now - hits[0])))
            hits.append(now)
            return None

    def allow(self, client: str) -> bool:
        return self.retry_after(client) is None


class ClientAddress:
    """The client's address: the peer, or, when the peer is a configured reverse proxy, the
    last address in X-Forwarded-For that is not itself a trusted proxy. A header from anyone
    else is ignored, so it cannot be used to pick a fresh rate-limit bucket."""

    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self.networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in net for net in self.networks)

    def __call__(self, peer: str | None, forwarded_for: str | None) -> str:
        peer = peer or "unknown"
        if not forwarded_for or not self._trusted(peer):
            return peer
        for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
            if hop and not self._trusted(hop):
                return hop
        return peer


class RequestGuard:
    """ASGI middleware: reads the whole body (refusing it with 413 over `max_bytes`, declared
    or streamed; `per_path` gives some paths their own limit, file uploads), and refuses a JSON body that is not UTF-8, nests deeper than
    MAX_JSON_DEPTH or holds lone surrogates ("\\ud800", which no UTF-8 text can carry), each
    with a Swedish message. The route then reads the same body."""

    def __init__(self, app, max_bytes: int, per_path: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = per_path or {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers", []))
        limit = self.per_path.get(scope.get("path", ""), self.max_bytes)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _reject(send, 413, _too_large(limit), "too_large")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return await _reject(send, 413, _too_large(limit), "too_large")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and b"json" in headers.get(b"content-type", b"").lower():
            problem = json_problem(body)
            if problem:
                return await _reject(send, 400 if "UTF-8" in problem else 422, problem)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # later: the disconnect a streaming response waits for

        return await self.app(scope, replay, send)


def _too_large(limit: int) -> str:
    return f"Förfrågan är för stor (högst {limit} byte)."


def json_problem(body: bytes) -> str | None:
    """A Swedish description of what makes this JSON body unusable, or None. Syntax errors
    are left to the route's validation (which names the field)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "Förfrågan är inte giltig UTF-8-text."
    try:
        data = json.loads(text)
    except RecursionError:
        return f"JSON-data får vara nästlad i högst {MAX_JSON_DEPTH} nivåer."
    except ValueError:
        return None
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"JSON-data får vara nästlad i högst {MAX_JSON_DEPTH} nivåer."
        if isinstance(value, dict):
            stack.extend((k, depth) for k in value)
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
        elif isinstance(value, str) and not _encodable(value):
            return "Texten innehåller ogiltiga tecken (ensamma surrogattecken)."
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def _reject(send, status: int, detail: str, code: str | None = None) -> None:
    content = {"detail": detail} | ({"code": code} if code else {})
    body = json.dumps(content, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
