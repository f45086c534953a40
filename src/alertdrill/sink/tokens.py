"""The tokens of the links the sink serves (`/ack/<token>`, `/abort/<token>`): only registered ones are
honoured, so a guessed or made-up link answers 404 and records nothing.

The harness registers a drill's tokens with `register(sink_url, kind, token)` (a `POST /-/tokens` that
the sink accepts from loopback peers only) before it shows the links to anyone.

Modes: `strict` refuses every unregistered token; `open` accepts any (the behaviour before tokens were
registered); `auto` (the default) is open until the first token is registered and strict from then on,
so a harness that does not register yet keeps working and one that does is protected.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

import requests

KINDS = ("ack", "abort")
MODES = ("auto", "strict", "open")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
KEEP = 10_000  # registered tokens kept (the oldest forgotten first)
PATH = "/-/tokens"
ENV_MODE = "ALERTDRILL_SINK_TOKENS"  # the sink's mode when `--tokens` is not given


class TokenBook:
    def __init__(self, mode: str = "auto", keep: int = KEEP) -> None:
        if mode not in MODES:
            raise ValueError(f"token mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.mode, self.keep = mode, keep
        self._known: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._lock = threading.Lock()

    def register(self, kind: str, token: str) -> None:
        if kind not in KINDS or not TOKEN.match(token):
            raise ValueError(f"kind must be one of {', '.join(KINDS)} and the token 8-128 of [A-Za-z0-9_-]")
        with self._lock:
            self._known[(kind, token)] = None
            while len(self._known) > self.keep:
                self._known.popitem(last=False)

    def forget(self, kind: str, token: str) -> None:
        with self._lock:
            self._known.pop((kind, token), None)

    def honours(self, kind: str, token: str) -> bool:
        """Whether a link of `kind` with `token` is real (see the modes above)."""
        if kind not in KINDS or not TOKEN.match(token):
            return False
        with self._lock:
            if (kind, token) in self._known:
                return True
            return self.mode == "open" or (self.mode == "auto" and not self._known)


def register(sink_url: str, kind: str, token: str, timeout_s: float = 5.0) -> None:
    """Tell the sink at `sink_url` (its listen address, on this machine) that this link is real."""
    answer = requests.post(f"{sink_url.rstrip('/')}{PATH}", json={"kind": kind, "token": token}, timeout=timeout_s)
    answer.raise_for_status()


def register_quietly(sink_url: str, kind: str, token: str) -> bool:
    """`register`, for the harness: a sink that is not running (a drill that needs none) is not an error."""
    try:
        register(sink_url, kind, token, timeout_s=2.0)
    except requests.RequestException:
        return False
    return True
