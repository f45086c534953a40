"""The HTML pages: catalog, plan (confirm before start), live run, history; login by token."""

from __future__ import annotations

from urllib.parse import parse_qs

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from alertdrill.console.api import start
from alertdrill.console.catalog import Entry
from alertdrill.console.guard import COOKIE, Caller, Denied, runner, viewer
from alertdrill.console.runs import plan_entry
from alertdrill.console.state import Console
from alertdrill.console.views import budgets_by, plan_view, report_file, report_runs, schedules, trends
from alertdrill.errors import AlertdrillError

STATUSES = ("passed", "failed", "error", "never run")


def matches(entry: Entry, group: str, tag: str, status: str) -> bool:
    return (
        (not group or entry.spec.contact_group == group)
        and (not tag or tag in entry.spec.tags)
        and (not status or (entry.last_status or "never run") == status)
    )


async def form_token(request: Request) -> str:
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    return (fields.get("csrf") or [""])[0]


class Pages:
    def __init__(self, console: Console) -> None:
        self.console = console

    def render(self, request: Request, name: str, who: Caller, status: int = 200, **values: object) -> HTMLResponse:
        csrf = self.console.access.csrf(who.token) if who.via == "cookie" else ""
        page = self.console.pages.get_template(name)
        html = page.render(request=request, who=who, csrf=csrf, open_view=self.console.access.open_view, **values)
        return HTMLResponse(html, status_code=status)

    def login_from_query(self, request: Request) -> Response | None:
        """`/?token=...` (the URL `alertdrill serve` prints): keep the token in a cookie, drop it from the URL."""
        token = request.query_params.get("token")
        if token is None:
            return None
        if self.console.access.user(token) is None:
            return self.render(request, "login.html.j2", Caller(None), 401, error="that token is not known")
        answer = RedirectResponse(request.url.path, status_code=303)
        secure = request.url.scheme == "https"
        answer.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=secure)
        return answer

    async def catalog(self, request: Request) -> Response:
        if (login := self.login_from_query(request)) is not None:
            return login
        who = viewer(request, self.console.access)
        read = await anyio.to_thread.run_sync(self.console.catalog_and_problems)
        entries = read.entries
        chosen = {k: request.query_params.get(k, "") for k in ("group", "tag", "status")}
        shown = [e for e in entries if matches(e, **chosen)]
        groups = sorted({e.spec.contact_group for e in entries if e.spec.contact_group})
        tags = sorted({t for e in entries for t in e.spec.tags})
        running = {e.id: r for e in entries if (r := self.console.runs.holder(e)) and r.entry.id == e.id}
        return self.render(
            request,
            "catalog.html.j2",
            who,
            entries=shown,
            total=len(entries),
            chosen=chosen,
            groups=groups,
            tags=tags,
            statuses=STATUSES,
            running=running,
            problems=read.problems,
        )

    async def plan(self, request: Request) -> Response:
        if (login := self.login_from_query(request)) is not None:
            return login
        who = viewer(request, self.console.access)
        entry = await anyio.to_thread.run_sync(self.console.entry, request.path_params["drill_id"])
        if entry is None:
            raise Denied(404, "no such drill (the feature files may have changed)")
        try:
            plan = await anyio.to_thread.run_sync(plan_entry, self.console.settings, entry)
            view, problem = plan_view(self.console.settings, entry, plan), ""
        except AlertdrillError as exc:
            view, problem = None, exc.one_line()
        holder = self.console.runs.holder(entry)
        return self.render(request, "plan.html.j2", who, entry=entry, view=view, problem=problem, holder=holder)

    async def start(self, request: Request) -> Response:
        who = runner(request, self.console.access, await form_token(request))
        run = await anyio.to_thread.run_sync(start, self.console, request.path_params["drill_id"], who)
        return RedirectResponse(f"/runs/{run.id}", status_code=303)

    async def live(self, request: Request) -> Response:
        who = viewer(request, self.console.access)
        run_id = request.path_params["run_id"]
        run = self.console.runs.runs.get(run_id)
        if run is None:
            if report_file(self.console.settings.report_dir, run_id, "scorecard.html") is None:
                raise Denied(404, "no such run")
            return RedirectResponse(f"/reports/{run_id}/scorecard.html", status_code=303)
        budgets = [(str(p), b) for p, b in run.entry.spec.budgets().items()]
        return self.render(request, "run.html.j2", who, run=run, budgets=budgets)

    async def abort(self, request: Request) -> Response:
        who = runner(request, self.console.access, await form_token(request))
        run = self.console.runs.runs.get(request.path_params["run_id"])
        if run is None:
            raise Denied(404, "no such run on this console")
        if not run.finished:
            self.console.runs.abort(run, who.name)
        return RedirectResponse(f"/runs/{run.id}", status_code=303)

    async def history(self, request: Request) -> Response:
        if (login := self.login_from_query(request)) is not None:
            return login
        who = viewer(request, self.console.access)
        settings = self.console.settings
        read = await anyio.to_thread.run_sync(self.console.catalog_and_problems)
        entries = read.entries
        report = await anyio.to_thread.run_sync(trends, settings)
        return self.render(
            request,
            "history.html.j2",
            who,
            runs=report_runs(settings.report_dir),
            report=report,
            alert_budgets=budgets_by(entries, "alert"),
            group_budgets=budgets_by(entries, "contact_group"),
            schedules=await anyio.to_thread.run_sync(schedules, settings, who.qa),
            audit_path=self.console.runs.audit_path,
        )

    async def report(self, request: Request) -> Response:
        viewer(request, self.console.access)
        name = request.path_params["name"]
        path = report_file(self.console.settings.report_dir, request.path_params["run_id"], name)
        if path is None:
            raise Denied(404, "no such report")
        download = None if name.endswith(".html") else f"{request.path_params['run_id']}-{name}"
        return FileResponse(path, filename=download)

    async def login(self, request: Request) -> Response:
        return self.render(request, "login.html.j2", Caller(None), error="")
