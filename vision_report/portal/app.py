"""The portal's Starlette application: the routes of member_pages (a member's clerk) and office_pages (the
coordinator), the request guards (size, hosts), startup; permissions are checked in one place (web._guard).

Pages are server-rendered from templates/portal/*.html (Jinja2, autoescaped); no JavaScript is needed. Every form that
changes something carries the session's CSRF token. Slow work (screening a file, hashing a password) runs in a thread
so that other pages keep answering; screening runs one file at a time per process (the Great Expectations context
is shared and kept warm)."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vision_report.core.config import ConfigError, Settings
from vision_report.plan import PlanError
from vision_report.portal.member_pages import healthz, home, login, login_form, logout, member_file, member_page, upload
from vision_report.portal.office_pages import confirm, confirm_form, lock, output_file, overview, start_run
from vision_report.portal.settings import PortalSettings, database_url, portal_settings
from vision_report.portal.store import Store
from vision_report.portal.uploads import UploadRefused
from vision_report.portal.web import Portal, TooLarge, _env, _error_page, _http_error, _server_error, _too_large, log

MULTIPART_OVERHEAD = 64 * 1024  # form fields and boundaries around the file


# ------------------------------------------------------------------------------------------------ middleware
class Guards:
    """Pure ASGI middleware: the request body limit enforced while it streams in (413 before everything is read) and
    the security headers of every answer."""

    HEADERS = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"cache-control", b"no-store"),
        (
            b"content-security-policy",
            b"default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; form-action 'self'; "
            b"frame-ancestors 'none'; base-uri 'none'",
        ),
    ]

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.HEADERS]}
            await send(message)

        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            scope = {**scope, "vr_too_large": True}
        received = 0

        async def limited():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit or scope.get("vr_too_large"):
                    raise TooLarge()
            return message

        await self.app(scope, limited, send_with_headers)


def create_app(settings: Settings, config: PortalSettings | None = None, store: Store | None = None) -> Starlette:
    config = config or portal_settings(settings)
    store = store or Store(database_url(settings, config))
    portal = Portal(settings, config, store, env=_env(settings.root))

    @asynccontextmanager
    async def lifespan(app):
        threading.Thread(target=_warm, args=(portal,), daemon=True).start()
        yield

    routes = [
        Route("/healthz", healthz),
        Route("/", home),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/{fy}", overview, methods=["GET"]),
        Route("/{fy}/outputs/{path:path}", output_file, methods=["GET"]),
        Route("/{fy}/members/{code}", member_page, methods=["GET"]),
        Route("/{fy}/members/{code}/upload", upload, methods=["POST"]),
        Route("/{fy}/members/{code}/{what}", member_file, methods=["GET"]),
        Route("/{fy}/held/{code}/{kind}/{item}", confirm_form, methods=["GET"]),
        Route("/{fy}/held/{code}/{kind}/{item}", confirm, methods=["POST"]),
        Route("/{fy}/{action:str}", lock, methods=["POST"]),
        Route("/{fy}/run/start", start_run, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            HTTPException: _http_error,
            TooLarge: _too_large,
            UploadRefused: _refused,
            Exception: _server_error,
        },
        lifespan=lifespan,
    )
    app.state.portal = portal
    app.add_middleware(Guards, limit=config.max_upload_bytes + MULTIPART_OVERHEAD)
    return app


async def _refused(request: Request, exc: Exception) -> Response:
    return _error_page(request, 400)


def _warm(portal: Portal) -> None:
    """Screen the current year once at start-up: Great Expectations is imported and its context built before the
    first upload, so that the first clerk also gets an answer within seconds."""
    try:
        portal.state(portal.default_year())
    except (ConfigError, PlanError, HTTPException, OSError):
        log.warning("portal warm-up skipped", exc_info=True)
