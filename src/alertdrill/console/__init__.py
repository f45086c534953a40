"""`alertdrill serve`: the QA team's console. A small ASGI app (Starlette, Jinja2, a little vanilla JS)
over the same plan and runner as `alertdrill run`: the catalog, one drill started after its plan is
confirmed, its live timeline (server-sent events), the kill switch, and the history."""
