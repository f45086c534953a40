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

from alertdrill.console.api import Api
from alertdrill.console.guard import Denied
from alertdrill.console.pages import Pages
from alertdrill.console.state import Console

STATIC = Path(__file__).parent / "static"


def refused(console: Console, request: Request, exc: Exception) -> Response:
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
    handlers = {Denied: lambda request, exc: refused(console, request, exc)}
    return Starlette(routes=routes, exception_handlers=handlers, lifespan=lifespan)
