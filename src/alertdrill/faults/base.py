"""The injector protocol and what every injector receives."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol
from urllib.parse import urlsplit

from alertdrill.config import FaultConfig, Settings
from alertdrill.durations import check_seconds
from alertdrill.endpoints import Endpoint, EndpointProblem, parse_endpoint
from alertdrill.errors import ConfigError, InjectorError
from alertdrill.redact import redact
from alertdrill.shell import CommandResult, GroupRecord, command_env, run_shell


@dataclass(frozen=True)
class InjectorContext:
    settings: Settings

    @property
    def cwd(self) -> Path:
        return self.settings.root

    def shell(self, command: str, timeout_s: float | None = None) -> CommandResult:
        return run_shell(
            command,
            cwd=self.cwd,
            timeout_s=timeout_s or self.settings.command_timeout_s,
            env=command_env(self.settings.config_path),
            groups=shell_groups(self.settings),
        )


def http_url_option(fault: FaultConfig, key: str) -> str:
    """An http(s) URL option (its password never shown in the message)."""
    value = str(text_option(fault, key)).strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"fault {fault.name!r} ({fault.type}): `{key}` must be an http(s) URL, not {redact(value)!r}",
            fix=f"e.g. {key}: http://127.0.0.1:9091 at {fault.source}",
        )
    return value


def endpoint_option(fault: FaultConfig, key: str, root: Path) -> Endpoint:
    """An endpoint option: an http(s) URL, or a mapping in the shape of Prometheus's `http_config`
    (`url`, `basic_auth`, `authorization`, `tls_config`, `proxy_url`, `headers`; paths relative to `root`)."""
    if key not in fault.options:
        option(fault, key, str)  # the "needs `key`" message
    try:
        return parse_endpoint(fault.options[key], root, fault.source)
    except EndpointProblem as problem:
        name = ".".join(str(k) for k in (key, *problem.keys))
        raise ConfigError(
            f"fault {fault.name!r} ({fault.type}): {name}: {problem.message}",
            fix=f"{problem.fix + ', ' if problem.fix else ''}at {fault.source}",
        ) from None


def shell_groups(settings: Settings) -> GroupRecord:
    """Where the process groups of the run's shells are recorded (the ledger's `groups`)."""
    return GroupRecord(settings.state_dir / "ledger" / "groups")


class Injector(Protocol):
    type_name: ClassVar[str]

    def inject(self) -> None: ...

    def revert(self) -> None: ...

    def describe(self) -> str: ...


class InjectorFactory(Protocol):
    def from_config(self, fault: FaultConfig, context: InjectorContext) -> Injector: ...


def option(fault: FaultConfig, key: str, kind: object, default: object = ...) -> object:
    """A typed option of a fault, or a ConfigError that names the fault's line."""
    value = fault.options.get(key, default)
    if value is ...:
        raise ConfigError(
            f"fault {fault.name!r} ({fault.type}) needs `{key}`", path=None, fix=f"add `{key}:` to it at {fault.source}"
        )
    wrong_bool = isinstance(value, bool) and kind is not bool  # YAML `true` is an int to Python
    if value is not None and (wrong_bool or not isinstance(value, kind)):  # type: ignore[arg-type]
        wanted = getattr(kind, "__name__", "a number")
        raise ConfigError(
            f"fault {fault.name!r}: `{key}` must be {wanted}, not {value!r}", fix=f"fix it at {fault.source}"
        )
    return value


def text_option(fault: FaultConfig, key: str, default: str | object | None = ...) -> str | None:
    """A string option that, when given, is not empty (an empty `revert:` must not run `None`)."""
    present = key in fault.options
    value = option(fault, key, str, default)
    if present and (value is None or not str(value).strip()):
        raise ConfigError(
            f"fault {fault.name!r}: `{key}` is empty", fix=f"give it a value or remove it at {fault.source}"
        )
    return None if value is None else str(value)


def number_option(
    fault: FaultConfig,
    key: str,
    low: float,
    high: float,
    default: float | object | None = None,
    *,
    integer: bool = False,
) -> float | None:
    """A finite number option in [low, high] (an int when `integer`), or `default` when absent (`...`:
    required)."""
    value = option(fault, key, int if integer else int | float, default)
    if value is None:
        return None
    number = float(value) if not isinstance(value, int) or abs(value) < 2**53 else math.inf  # type: ignore[arg-type]
    if not math.isfinite(number) or not low <= number <= high:
        shown = repr(value) if len(repr(value)) <= 30 else repr(value)[:27] + "..."
        raise ConfigError(
            f"fault {fault.name!r}: `{key}` must be between {low:g} and {high:g}, not {shown}",
            fix=f"fix it at {fault.source}",
        )
    return number


def seconds_option(fault: FaultConfig, key: str, maximum: float, default: float | None = None) -> float | None:
    """A number of seconds in (0, maximum], or `default` when absent."""
    if key not in fault.options or fault.options[key] is None:
        return default
    try:
        return check_seconds(fault.options[key], f"fault {fault.name!r}: `{key}`", maximum=maximum)
    except ValueError as exc:
        raise ConfigError(str(exc), fix=f"fix it at {fault.source}") from None


def mapping_option(fault: FaultConfig, key: str) -> dict[str, str]:
    """A `key: {name: value}` option as strings (empty when absent)."""
    value = option(fault, key, dict, {}) or {}
    assert isinstance(value, dict)
    return {str(k): str(v) for k, v in value.items()}


def unknown_options(fault: FaultConfig, allowed: Mapping[str, object] | set[str]) -> None:
    extra = sorted(set(fault.options) - set(allowed))
    if extra:
        raise ConfigError(
            f"fault {fault.name!r} ({fault.type}) has unknown option(s) {', '.join(extra)}",
            fix=f"known options: {', '.join(sorted(allowed))} (at {fault.source})",
        )


def require_ok(result: CommandResult, what: str) -> None:
    if not result.ok:
        raise InjectorError(f"{what} failed: {result.summary()}")
