"""The console's ASGI application: routes, the refusal answers, the shutdown that reverts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alertdrill.console.api import Api
from alertdrill.console.guard import Denied
from alertdrill.console.pages import Pages
from alertdrill.console.state import Console
from alertdrill.errors import AlertdrillError

STATIC = Path(__file__).parent / "static"


def refused(console: Console, request: Request, exc: Exception) -> Response:
    if isinstance(exc, AlertdrillError):  # e.g. a feature file broken since the server started
        exc = Denied(500, exc.one_line())
    assert isinstance(exc, Denied)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": exc.message}, status_code=exc.status)
    if exc.status == 401 and request.method == "GET":
        return RedirectResponse("/login", status_code=303)
    page = console.pages.get_template("refused.html.j2")
    return HTMLResponse(page.render(status=exc.status, message=exc.message), status_code=exc.status)


def create_app(console: Console) -> Starlette:
    api, pages = Api(console), Pages(console)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await anyio.to_thread.run_sync(console.runs.stop)  # running drills revert before the server goes

    routes = [
        Route("/", pages.catalog),
        Route("/drills/{drill_id}", pages.plan),
        Route("/drills/{drill_id}/run", pages.start, methods=["POST"]),
        Route("/runs/{run_id}", pages.live),
        Route("/runs/{run_id}/abort", pages.abort, methods=["POST"]),
        Route("/history", pages.history),
        Route("/reports/{run_id}/{name}", pages.report),
        Route("/login", pages.login),
        Route("/api/drills", api.drills),
        Route("/api/runs", api.start, methods=["POST"]),
        Route("/api/runs/{run_id}", api.run),
        Route("/api/runs/{run_id}/abort", api.abort, methods=["POST"]),
        Route("/api/runs/{run_id}/events", api.events),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    handlers = {kind: lambda request, exc: refused(console, request, exc) for kind in (Denied, AlertdrillError)}
    app = Starlette(routes=routes, exception_handlers=handlers, lifespan=lifespan)
    app.add_middleware(SecurityHeaders)
    return app


class SecurityHeaders:
    """No page of the console may be framed (a hidden "Run" button), sniffed, or leak its URL."""

    HEADERS = (
        (b"x-frame-options", b"DENY"),
        (b"content-security-policy", b"frame-ancestors 'none'"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers if scope["type"] == "http" else send)
