"""Per request: who calls (a bearer token, or the session cookie a login set), and whether they may.

A bearer token is enough for the JSON API (a browser never adds one on its own). A request carried by
the cookie changes state only with the form token of its session (header `X-CSRF-Token` or the form
field `csrf`) and from the console's own origin."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request

from alertdrill.console.access import Access, User

COOKIE = "alertdrill_token"
CSRF_HEADER = "x-csrf-token"


class Denied(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class Caller:
    user: User | None
    token: str = ""
    via: str = ""  # "bearer", "cookie" or "" (nobody)

    @property
    def name(self) -> str:
        return self.user.name if self.user else "anonymous"

    @property
    def may_run(self) -> bool:
        return self.user is not None and self.user.role.may_run

    @property
    def qa(self) -> bool:
        return self.user is not None and self.user.role == "qa"


def caller(request: Request, access: Access) -> Caller:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        user = access.user(token)
        if user is None:
            raise Denied(401, "the bearer token is not known")
        return Caller(user, token, "bearer")
    token = request.cookies.get(COOKIE, "")
    user = access.user(token) if token else None
    return Caller(user, token, "cookie") if user else Caller(None)


def viewer(request: Request, access: Access) -> Caller:
    found = caller(request, access)
    if found.user is None and not access.open_view:
        raise Denied(401, "log in with your token")
    return found


def same_origin(request: Request) -> bool:
    """Origin (or else Referer) names this server, as the browser reached it."""
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed:
        return False
    parts = urlsplit(claimed)
    return parts.netloc == request.headers.get("host", "") and parts.scheme == request.url.scheme


def runner(request: Request, access: Access, form_token: str = "") -> Caller:
    """A state-changing request: a known token, a role that may run drills, and CSRF protection."""
    found = caller(request, access)
    if found.user is None:
        raise Denied(401, "starting or stopping a drill needs a token: open the URL `alertdrill serve` printed")
    if not found.may_run:
        raise Denied(403, f"{found.name} is a {found.user.role}: only runner and qa may start or stop drills")
    if found.via == "cookie":
        given = request.headers.get(CSRF_HEADER, "") or form_token
        if not same_origin(request) or not hmac.compare_digest(given.encode(), access.csrf(found.token).encode()):
            raise Denied(403, "the request did not come from the console's own page (CSRF check failed)")
    return found
