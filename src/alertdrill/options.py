"""Every option, declared once (locust-style): its command-line flag, pytest flag, environment variable,
type, validator and help. argparse arguments, pytest options and environment parsing are generated
from `OPTIONS`; a bad value from any source is a one-line `ConfigError` naming that source.

Precedence: command line > `ALERTDRILL_*` environment variable > alertdrill.yml > default.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from alertdrill.durations import parse_duration
from alertdrill.errors import ConfigError, Problems
from alertdrill.redact import redact

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off", "")
MAX_PARALLEL = 256


def boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ValueError("not a yes/no value: use 1, 0, true, false, yes, no, on or off")


def seconds(text: str) -> float:
    """`0.5`, `2s`, `1 minute`: positive and finite."""
    try:
        value = float(text)
    except ValueError:
        value = parse_duration(text)
    if not math.isfinite(value) or value <= 0 or value > 86400:
        raise ValueError(f"{text!r} must be a positive number of seconds up to one day (e.g. 0.1 or 2s)")
    return value


def url(text: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http(s) URL (e.g. http://127.0.0.1:9090)")
    return text.strip().rstrip("/")


def parallel(text: str) -> int:
    """`auto` (0: as many as the targets allow) or a count from 1."""
    if text.strip().lower() == "auto":
        return 0
    try:
        value = int(text)
    except ValueError:
        raise ValueError("must be a number of drills or `auto`") from None
    if not 1 <= value <= MAX_PARALLEL:
        raise ValueError(f"must be between 1 and {MAX_PARALLEL}, or `auto`")
    return value


def fresh_groups(value: str) -> str:
    """`label` (a new group per drill where the lab owns Prometheus) or `wait` (also wait, bounded, until a
    live group that holds the alert is gone before injecting)."""
    chosen = value.strip().lower()
    if chosen not in ("label", "wait"):
        raise ValueError("must be `label` or `wait`")
    return chosen


def text(value: str) -> str:
    return value


def hostport(value: str) -> str:
    """`HOST:PORT` with a port from 1 to 65535 (a listen address)."""
    host, _, port = value.strip().rpartition(":")
    if not host.strip() or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("must be HOST:PORT with a port from 1 to 65535 (e.g. 127.0.0.1:9097)")
    return value.strip()


def folder(value: str) -> Path:
    if not value.strip():
        raise ValueError("must name a folder")
    return Path(value).absolute()


@dataclass(frozen=True)
class Option:
    """One option. `name` is its `Settings` field (or run choice); `flag` the command-line flag."""

    name: str
    flag: str
    parse: Callable[[str], object]
    help: str
    metavar: str = ""
    env: bool = True  # also ALERTDRILL_<NAME>
    switch: bool = False  # a flag without a value (`--dry-run`); its value is True when given
    repeat: bool = False  # may be given several times (`--scenario A --scenario B`)
    commands: tuple[str, ...] = ("run",)  # the CLI commands that take it

    @property
    def env_var(self) -> str:
        return f"ALERTDRILL_{self.name.upper()}"

    @property
    def pytest_flag(self) -> str:
        return f"--alertdrill-{self.flag.removeprefix('--')}"

    def full_help(self) -> str:
        return f"{self.help} (env {self.env_var})" if self.env else self.help


PROJECT = ("run", "lab", "cleanup", "lint", "history", "sink", "schedule", "surprise", "abort", "serve", "new")

OPTIONS: tuple[Option, ...] = (
    Option(
        "config", "--config", text, "alertdrill.yml to use (default: the nearest one above)", "FILE", commands=PROJECT
    ),
    Option("prometheus", "--prometheus", url, "Prometheus URL, overrides prometheus:", "URL"),
    Option("alertmanager", "--alertmanager", url, "Alertmanager URL, overrides alertmanager:", "URL"),
    Option("report_dir", "--report-dir", folder, "where scorecards are written (default reports/)", "DIR"),
    Option("tags", "--tags", text, "marker expression over feature tags, e.g. 'payments and not slow'", "EXPR"),
    Option("poll_interval", "--poll-interval", seconds, "how often observers poll (default 0.1 s)", "SECONDS"),
    Option(
        "dry_run",
        "--dry-run",
        boolean,
        "validate, run preflight, print the plan; inject nothing",
        env=False,
        switch=True,
    ),
    Option("scenario", "--scenario", text, "run only this scenario (repeatable)", "NAME", env=False, repeat=True),
    Option(
        "preflight",
        "--preflight",
        boolean,
        "stop a drill before injection when lint finds errors in its files (default yes)",
        "yes|no",
    ),
    Option(
        "allow_drift",
        "--allow-drift",
        boolean,
        "drill what is deployed even when the loaded rule differs from the file (recorded in the scorecard)",
        "yes|no",
    ),
    Option("parallel", "--parallel", parallel, "drills with disjoint targets at once: N or auto (default 1)", "N|auto"),
    Option(
        "fresh_groups",
        "--fresh-groups",
        fresh_groups,
        "label: a new Alertmanager group per drill where the lab can (default); wait: also wait for a live "
        "group that holds the alert to end before injecting (bounded)",
        "label|wait",
    ),
    Option("manual", "--manual", boolean, "every drill is for people, as if tagged @manual", "yes|no"),
    Option(
        "surprise",
        "--surprise",
        boolean,
        "a surprise drill for people (set by `alertdrill surprise`)",
        "yes|no",
        commands=(),
    ),
    Option(
        "history",
        "--history",
        text,
        "history database (SQLAlchemy URL or SQLite path)",
        "URL",
        commands=("run", "history"),
    ),
    Option("pushgateway", "--pushgateway", url, "Pushgateway to push drill results to", "URL"),
    Option("publish", "--publish", boolean, "send each contact group its drills' summary (default yes)", "yes|no"),
    Option("quiet", "--quiet", boolean, "no live progress lines", env=False, switch=True),
    Option(
        "serve_listen",
        "--listen",
        hostport,
        "where the console listens (default 127.0.0.1:9097; other than loopback needs serve.users_file)",
        "HOST:PORT",
        commands=("serve",),
    ),
)

BY_NAME = {option.name: option for option in OPTIONS}


NOT_READ = object()  # stands in for a bad value until every variable is read


def _parse(option: Option, raw: str, source: str) -> object:
    try:
        return option.parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{source}={redact(raw)!r}: {redact(str(exc))}") from None


def from_environment(env: Mapping[str, str]) -> dict[str, object]:
    """Validated values of the `ALERTDRILL_*` variables that are set; every bad one at once."""
    problems = Problems()
    read = {
        o.name: problems.read(partial(_parse, o, env[o.env_var], o.env_var), NOT_READ)
        for o in OPTIONS
        if o.env and o.name != "config" and o.env_var in env
    }
    problems.raise_all()
    return read


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    """The options `command` takes, as argparse arguments (values are validated later, with their source)."""
    for option in OPTIONS:
        if command not in option.commands:
            continue
        if option.switch:
            parser.add_argument(
                option.flag, dest=option.name, action="store_true", default=None, help=option.full_help()
            )
        else:
            parser.add_argument(
                option.flag,
                dest=option.name,
                metavar=option.metavar or None,
                action="append" if option.repeat else "store",
                help=option.full_help(),
            )


def from_arguments(values: Mapping[str, object], names: Iterable[str] | None = None) -> dict[str, object]:
    """Validated values of the options given on a command line (argparse or pytest), by name."""
    chosen: dict[str, object] = {}
    for option in OPTIONS:
        if names is not None and option.name not in names:
            continue
        raw = values.get(option.name)
        if raw is None or raw == [] or option.name == "config":
            continue
        if option.switch:
            chosen[option.name] = bool(raw)
        elif option.repeat:
            chosen[option.name] = tuple(str(_parse(option, str(v), option.flag)) for v in _items(raw))
        else:
            chosen[option.name] = _parse(option, str(raw), option.flag)
    return chosen


def _items(raw: object) -> Sequence[object]:
    return raw if isinstance(raw, list | tuple) else [raw]
