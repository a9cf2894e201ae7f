"""The FastAPI application, built by `create_app(settings)`."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from assistant.feedback import FeedbackStore
from assistant.service import AssistantService
from ingest.settings import Settings

from .limits import BodySizeLimit, RateLimiter
from .routes import admin, ask, documents, feedback, health, openai_compat, search, web

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

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
}


def swedish_validation_message(errors: list[dict]) -> str:
    parts = []
    for err in errors[:5]:
        field = ".".join(str(p) for p in err.get("loc", []) if p not in ("body", "query"))
        what = _SV_ERRORS.get(err.get("type", ""), "är ogiltigt")
        parts.append(f"'{field}' {what}" if field else what)
    return "Ogiltig förfrågan: " + "; ".join(parts) + "."


def create_app(settings: Settings, service: AssistantService | None = None) -> FastAPI:
    """`service` may be given (tests, benchmarks); otherwise it is built in the lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if getattr(app.state, "service", None) is None:
            app.state.service = AssistantService.from_settings(settings)
            log.info("index loaded: %s", app.state.service.stats())
        yield

    app = FastAPI(title="Samverkansassistenten", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.service = service
    app.state.feedback = FeedbackStore(settings.feedback_db)
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute)

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
        BodySizeLimit,
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

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return JSONResponse(
            status_code=exc.status_code,
            content={"detail": exc.detail},
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            status_code=500, content={"detail": "Ett internt fel inträffade. Försök igen."}
        )

    return app
