"""`type: command`: inject and revert with shell commands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from alertdrill.config import FaultConfig
from alertdrill.faults.base import InjectorContext, option, require_ok, unknown_options


@dataclass(frozen=True)
class CommandFault:
    type_name: ClassVar[str] = "command"
    inject_cmd: str
    revert_cmd: str
    context: InjectorContext
    timeout_s: float | None = None

    @classmethod
    def from_config(cls, fault: FaultConfig, context: InjectorContext) -> CommandFault:
        unknown_options(fault, {"inject", "revert", "timeout"})
        timeout = option(fault, "timeout", int | float, None)
        return cls(str(option(fault, "inject", str)), str(option(fault, "revert", str)), context,
                   float(timeout) if timeout is not None else None)  # type: ignore[arg-type]

    def inject(self) -> None:
        require_ok(self.context.shell(self.inject_cmd, self.timeout_s), "inject command")

    def revert(self) -> None:
        require_ok(self.context.shell(self.revert_cmd, self.timeout_s), "revert command")

    def describe(self) -> str:
        return f"run `{self.inject_cmd}`, revert with `{self.revert_cmd}`"
