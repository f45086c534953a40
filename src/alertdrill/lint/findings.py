"""A finding: which rule, where (file:line), what is wrong, how to fix it, and what it concerns."""

from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING, INFO = "error", "warning", "info"  # info: said, never fails lint


@dataclass(frozen=True)
class Finding:
    rule: str  # e.g. "rules/runbook-url"
    severity: str  # "error": a drill would fail or cannot be judged; "warning": it may; "info": for people
    path: str  # shown relative to the project
    line: int
    message: str
    fix: str
    alert: str | None = None
    drill: str | None = None  # "<feature>::<scenario name>" for findings that stop that drill
    contact_group: str | None = None  # a finding about a contact group stops the drills that expect it

    def one_line(self) -> str:
        return f"{self.path}:{self.line}: {self.severity} {self.rule}: {self.message} (fix: {self.fix})"
