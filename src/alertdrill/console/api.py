"""The JSON API (CONTRACT "Console"): drills, runs, the kill switch, the event stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from alertdrill.console.guard import Caller, Denied, runner, viewer
from alertdrill.console.runs import Busy, ConsoleRun
from alertdrill.console.state import Console
from alertdrill.console.views import report_file
from alertdrill.score.events import Event

WAIT_S = 1.0  # the longest the event stream waits before it looks again (and sends a keep-alive)


def event_json(event: Event, injected_at: float | None) -> dict[str, object]:
    return {
        "name": str(event.name),
        "at": event.at,
        "t_s": None if injected_at is None else round(event.at - injected_at, 3),
        "details": dict(event.details),
    }


def run_json(console: Console, run_id: str) -> dict[str, object] | None:
    run = console.runs.runs.get(run_id)
    if run is not None:
        found: dict[str, object] = {
            "status": run.status,
            "scorecard": run.scorecard.to_dict() if run.scorecard else None,
        }
        if run.error:
            found["error"] = run.error
        return found
    path = report_file(console.settings.report_dir, run_id, "scorecard.json")  # a run before this server
    if path is None:
        return None
    card = json.loads(path.read_text())
    statuses = [str(d.get("status")) for d in card.get("drills", [])]
    status = "error" if "error" in statuses else "failed" if "failed" in statuses else "passed"
    return {"status": status, "scorecard": card}


def find_run(console: Console, request: Request) -> ConsoleRun:
    run = console.runs.runs.get(request.path_params["run_id"])
    if run is None:
        raise Denied(404, "no such run on this console")
    return run


async def body_json(request: Request) -> dict[str, object]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Denied(400, 'send a JSON object, e.g. {"drill": "ID"}')
    return body


def start(console: Console, drill_id: object, who: Caller) -> ConsoleRun:
    entry = console.entry(str(drill_id))
    if entry is None:
        raise Denied(404, f"no drill with id {drill_id!r} (see GET /api/drills)")
    try:
        return console.runs.start(entry, who.name)
    except Busy as exc:
        raise Denied(409, f"one drill per target at a time: {exc}") from None


class Api:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def drills(self, request: Request) -> Response:
        viewer(request, self.console.access)
        entries = await anyio.to_thread.run_sync(self.console.catalog)
        return JSONResponse([e.to_dict() for e in entries])

    async def start(self, request: Request) -> Response:
        who = runner(request, self.console.access)
        body = await body_json(request)
        run = await anyio.to_thread.run_sync(start, self.console, body.get("drill"), who)
        return JSONResponse({"run": run.id}, status_code=202)

    async def run(self, request: Request) -> Response:
        viewer(request, self.console.access)
        found = run_json(self.console, request.path_params["run_id"])
        if found is None:
            raise Denied(404, "no such run")
        return JSONResponse(found)

    async def abort(self, request: Request) -> Response:
        who = runner(request, self.console.access)
        run = find_run(self.console, request)
        if run.finished:
            raise Denied(409, f"the drill has ended ({run.status})")
        self.console.runs.abort(run, who.name)
        return JSONResponse({"run": run.id, "aborted_by": who.name}, status_code=202)

    async def events(self, request: Request) -> Response:
        viewer(request, self.console.access)
        run = find_run(self.console, request)
        return StreamingResponse(stream(run), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


async def stream(run: ConsoleRun) -> AsyncIterator[str]:
    """Every event of the drill from its start, then each as it arrives; `status` last."""
    events = lines = 0
    while True:
        news = await anyio.to_thread.run_sync(run.news, events, lines, WAIT_S)
        injected_at = run.timeline.injected_at if run.timeline else None
        for event in news.events:
            yield f"event: drill_event\ndata: {json.dumps(event_json(event, injected_at))}\n\n"
        for line in news.lines:
            yield f"event: log\ndata: {json.dumps(line)}\n\n"
        events, lines = events + len(news.events), lines + len(news.lines)
        if news.finished:
            yield f"event: status\ndata: {json.dumps({'status': run.status, 'error': run.error})}\n\n"
            return
        if not news.events and not news.lines:
            yield ": waiting\n\n"
