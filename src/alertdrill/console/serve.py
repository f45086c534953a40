"""`alertdrill serve`: check who may come in, print the URL (with the one-time token when there is no
users file), and run the console in this process with uvicorn until SIGINT/SIGTERM."""

from __future__ import annotations

import contextlib

import uvicorn

from alertdrill.config import Settings
from alertdrill.console.access import Access
from alertdrill.console.app import create_app
from alertdrill.console.catalog import load_catalog
from alertdrill.console.runs import RunManager
from alertdrill.console.state import Console
from alertdrill.errors import ConfigError
from alertdrill.processes import port_free

SHUTDOWN_S = 2.0  # open event streams are closed after this; running drills still revert first


def serve_command(settings: Settings) -> int:
    access = Access.for_settings(settings)
    load_catalog(settings)  # a broken feature file or config stops here, one line, exit 2
    console = Console(settings, access, RunManager(settings))
    host, _, port = settings.serve_listen.rpartition(":")
    if not port_free(host.strip("[]"), int(port)):
        raise ConfigError(
            f"cannot listen on {settings.serve_listen}: the port is taken",
            fix="pass --listen HOST:PORT (or serve.listen) with a free port",
        )
    url = f"http://{settings.serve_listen}/"
    if access.open_view:
        print(f"alertdrill console: {url}?token={access.users[0].token}", flush=True)
        print("  (the token is needed to start or stop drills; it changes at every start)", flush=True)
    else:
        print(f"alertdrill console: {url} ({len(access.users)} user(s) from {settings.serve_users_file})", flush=True)
    config = uvicorn.Config(
        create_app(console),
        host=host.strip("[]"),
        port=int(port),
        log_level="warning",
        timeout_graceful_shutdown=int(SHUTDOWN_S),
        lifespan="on",
    )
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn hands back the Ctrl-C it caught once stopped
        uvicorn.Server(config).run()  # SIGINT/SIGTERM: running drills revert (lifespan), then it returns
    return 0
