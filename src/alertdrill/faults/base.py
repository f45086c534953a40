"""The injector protocol and what every injector receives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from alertdrill.config import FaultConfig, Settings
from alertdrill.errors import ConfigError, InjectorError
from alertdrill.shell import CommandResult, command_env, run_shell


@dataclass(frozen=True)
class InjectorContext:
    settings: Settings

    @property
    def cwd(self) -> Path:
        return self.settings.root

    def shell(self, command: str, timeout_s: float | None = None) -> CommandResult:
        return run_shell(command, cwd=self.cwd, timeout_s=timeout_s or self.settings.command_timeout_s,
                         env=command_env(self.settings.config_path))


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
        raise ConfigError(f"fault {fault.name!r} ({fault.type}) needs `{key}`", path=None,
                          fix=f"add `{key}:` to it at {fault.source}")
    if value is not None and not isinstance(value, kind):  # type: ignore[arg-type]
        wanted = getattr(kind, "__name__", "a number")
        raise ConfigError(f"fault {fault.name!r}: `{key}` must be {wanted}, not {value!r}",
                          fix=f"fix it at {fault.source}")
    return value


def mapping_option(fault: FaultConfig, key: str) -> dict[str, str]:
    """A `key: {name: value}` option as strings (empty when absent)."""
    value = option(fault, key, dict, {}) or {}
    assert isinstance(value, dict)
    return {str(k): str(v) for k, v in value.items()}


def unknown_options(fault: FaultConfig, allowed: Mapping[str, object] | set[str]) -> None:
    extra = sorted(set(fault.options) - set(allowed))
    if extra:
        raise ConfigError(f"fault {fault.name!r} ({fault.type}) has unknown option(s) {', '.join(extra)}",
                          fix=f"known options: {', '.join(sorted(allowed))} (at {fault.source})")


def require_ok(result: CommandResult, what: str) -> None:
    if not result.ok:
        raise InjectorError(f"{what} failed: {result.summary()}")
