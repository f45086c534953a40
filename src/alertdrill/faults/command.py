"""`type: command`: inject and revert with shell commands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from alertdrill.config import FaultConfig
from alertdrill.faults.base import InjectorContext, require_ok, seconds_option, text_option, unknown_options

MAX_TIMEOUT_S = 3600.0  # a fault's shell command that runs longer than an hour is a mistake


@dataclass(frozen=True)
class CommandFault:
    type_name: ClassVar[str] = "command"
    inject_cmd: str
    revert_cmd: str
    context: InjectorContext
    timeout_s: float | None = None

    @classmethod
    def from_config(cls, fault: FaultConfig, context: InjectorContext) -> CommandFault:
        """Both commands non-empty strings, the timeout in (0, 1 hour]: checked before anything runs."""
        unknown_options(fault, {"inject", "revert", "timeout"})
        inject, revert = text_option(fault, "inject"), text_option(fault, "revert")
        assert inject is not None and revert is not None  # required: text_option raised otherwise
        return cls(inject, revert, context, seconds_option(fault, "timeout", MAX_TIMEOUT_S))

    def inject(self) -> None:
        require_ok(self.context.shell(self.inject_cmd, self.timeout_s), "inject command")

    def revert(self) -> None:
        require_ok(self.context.shell(self.revert_cmd, self.timeout_s), "revert command")

    def describe(self) -> str:
        return f"run `{self.inject_cmd}`, revert with `{self.revert_cmd}`"
