"""The FastAPI application, built by `create_app(settings)`."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.feedback import FeedbackStore
from assistant.service import AssistantService
from ingest.settings import Settings

from .index_watch import IndexWatch
from .limits import ClientAddress, RateLimiter, RequestGuard
from .routes import admin, ask, documents, feedback, health, openai_compat, search, web

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# How uvicorn must run the app (`samverkan serve`, tests, benchmarks): no "Server: uvicorn"
# header, and no proxy-header rewriting. Uvicorn trusts X-Forwarded-For from 127.0.0.1 by
# default and replaces the client address with it, so any local process (or a proxy that
# passes the header on) could pick a fresh rate-limit bucket per request; the app decides
# itself, from SAMVERKAN_TRUSTED_PROXIES (api.limits.ClientAddress).
UVICORN_OPTIONS = {"server_header": False, "proxy_headers": False}

_SV_ERRORS = {
    "missing": "saknas",
    "string_too_short": "får inte vara tom",
    "string_too_long": "är för lång",
    "too_long": "har för många poster",
    "too_short": "har för få poster",
    "literal_error": "har ett otillåtet värde",
    "string_type": "måste vara text",
    "list_type": "måste vara en lista",
    "json_invalid": "är inte giltig JSON",
    "model_attributes_type": "har fel format",
    "int_parsing": "måste vara ett heltal",
    "greater_than_equal": "är för litet",
    "less_than_equal": "är för stort",
    "dict_type": "måste vara ett objekt",
    "bool_type": "måste vara sant eller falskt",
    "bool_parsing": "måste vara sant eller falskt",
    "float_type": "måste vara ett tal",
    "float_parsing": "måste vara ett tal",
    "int_type": "måste vara ett heltal",
    "int_from_float": "måste vara ett heltal",
    "extra_forbidden": "är inte tillåtet",
    "model_type": "har fel format",
    "union_tag_invalid": "har ett otillåtet värde",
    "string_unicode": "är inte giltig text",
}
# Starlette's own errors (no route, wrong method, unreadable body) in Swedish.
_SV_STATUS = {
    400: "Förfrågan kunde inte läsas.",
    404: "Sidan eller resursen finns inte.",
    405: "Metoden är inte tillåten för den här adressen.",
    413: "Förfrågan är för stor.",
    415: "Fel innehållstyp: skicka JSON.",
}


def swedish_validation_message(errors: list[dict]) -> str:
    if any(e.get("type") == "json_invalid" for e in errors):
        return "Ogiltig förfrågan: innehållet är inte giltig JSON."
    parts = []
    for err in errors[:5]:
        field = ".".join(str(p) for p in err.get("loc", []) if p not in ("body", "query"))
        what = _SV_ERRORS.get(err.get("type", ""), "är ogiltigt")
        parts.append(f"'{field}' {what}" if field else what)
    return "Ogiltig förfrågan: " + "; ".join(parts) + "."


# Routes that answer with Server-Sent Events (always, or when the body asks to stream).
_EVENT_STREAMS = {"/api/ask/stream": False, "/v1/chat/completions": True}


_SSE_EVENT = {
    "type": "object",
    "properties": {"event": {"type": "string"}, "data": {"type": "string"}},
}


def _openapi(app: FastAPI) -> dict:
    """FastAPI's schema, made to say what the app returns: 422 is {"detail": Swedish text,
    "errors": [...]}, not FastAPI's list of errors; streams are text/event-stream."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["HTTPValidationError"] = {
        "title": "HTTPValidationError",
        "type": "object",
        "required": ["detail"],
        "properties": {
            "detail": {"type": "string", "title": "Detail"},
            "errors": {"type": "array", "items": {"type": "object"}, "title": "Errors"},
        },
    }
    for path, also_json in _EVENT_STREAMS.items():
        ok = schema["paths"].get(path, {}).get("post", {}).get("responses", {}).get("200")
        if ok is not None:
            content = ok.setdefault("content", {})
            if not also_json:
                content.pop("application/json", None)
            content["text/event-stream"] = {"schema": _SSE_EVENT}
    app.openapi_schema = schema
    return schema


def create_app(settings: Settings, service: AssistantService | None = None) -> FastAPI:
    """`service` may be given (tests, benchmarks); otherwise it is built in the lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if getattr(app.state, "service", None) is None:
            app.state.service = AssistantService.from_settings(settings)
            log.info("index loaded: %s", app.state.service.stats())
            # in the background: the server answers Swedish questions meanwhile
            threading.Thread(target=app.state.service.warm_up, daemon=True).start()
        app.state.index_watch.start(app.state.service)
        yield

    # No /docs or /redoc: Swagger UI loads its scripts from a CDN, which neither the CSP
    # nor an offline network allows. The schema stays at /openapi.json.
    app = FastAPI(
        title="Samverkansassistenten",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.openapi = lambda: _openapi(app)
    app.state.settings = settings
    app.state.service = service
    app.state.feedback = FeedbackStore(settings.feedback_db)
    app.state.rate_limiters = {
        "ask": RateLimiter(settings.rate_limit_per_minute),
        "feedback": RateLimiter(settings.feedback_rate_limit_per_minute),
        "admin": RateLimiter(settings.admin_rate_limit_per_minute),
    }
    app.state.client_address = ClientAddress(settings.trusted_proxies)
    app.state.index_watch = IndexWatch(app.state, settings.index_check_seconds)

    for module in (health, ask, search, documents, feedback, openai_compat, admin, web):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=web.STATIC), name="static")

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["*"],
        )
    # An uploaded document may be larger than a question; the route checks the file itself.
    upload_limit = settings.max_upload_bytes + 64_000  # multipart framing and form fields
    app.add_middleware(
        RequestGuard,
        max_bytes=settings.max_body_bytes,
        per_path={"/api/admin/documents": upload_limit},
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        return JSONResponse(
            status_code=422,
            content={
                "detail": swedish_validation_message(errors),
                "errors": [
                    {"loc": e.get("loc"), "type": e.get("type"), "msg": e.get("msg")}
                    for e in errors
                ],
            },
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        detail = exc.detail
        if detail == HTTPStatus(exc.status_code).phrase or detail == (
            "There was an error parsing the body"
        ):
            detail = _SV_STATUS.get(exc.status_code, "Förfrågan kunde inte behandlas.")
        return JSONResponse(
            status_code=exc.status_code,
            content={"detail": detail},
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            status_code=500, content={"detail": "Ett internt fel inträffade. Försök igen."}
        )

    return app
