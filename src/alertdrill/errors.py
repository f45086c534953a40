"""One exception hierarchy, with messages written for the person who has to act on them.

Layering (kopf-style): a *permanent* error is bad input that retrying cannot fix (exit status 2,
nothing injected); a *temporary* error is an outside system that may answer later.
A missed budget or a wrong receiver is not an exception at all: it is a verdict (`DrillFailed`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class AlertdrillError(Exception):
    """Base of every error alertdrill raises on purpose. `str()` is a one-line message for the user."""

    exit_status = 2

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None, fix: str = "") -> None:
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.fix = fix
        super().__init__(self.one_line())

    def location(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else str(self.path)

    def one_line(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} ({self.fix})" if self.fix else text


class PermanentError(AlertdrillError):
    """Bad input: fixing the file or the command line is the only cure."""


class ConfigError(PermanentError):
    """alertdrill.yml, a contact-groups file or another configuration file is wrong."""


class SpecError(PermanentError):
    """A feature file does not describe a drill alertdrill can run."""


class UnknownInjectorError(PermanentError):
    """A fault names an injector type that is not registered."""


class TemporaryError(AlertdrillError):
    """An outside system did not answer; trying again later may work."""


class UnreachableError(TemporaryError):
    """Prometheus, Alertmanager or the notification sink cannot be reached."""


class LabError(AlertdrillError):
    """The local lab cannot start or stop (binary missing, port taken, process died)."""


class InjectorError(AlertdrillError):
    """A fault could not be injected or reverted."""


class DrillError(AlertdrillError):
    """A drill could not run or cannot be judged (status `error`), as opposed to a missed expectation."""


class PromQLError(PermanentError):
    """Prometheus rejected an expression (a service's `healthy`, a runbook's promql step)."""


class DrillFailed(AssertionError):
    """A drill's expectation was not met: a verdict, reported as `failed`, never as an error."""


class ProblemsError(PermanentError):
    """Several problems found at once (every file is checked before any is reported): one line each."""

    def __init__(self, problems: list[AlertdrillError]) -> None:
        self.problems = sorted(problems, key=lambda p: (str(p.path.absolute()) if p.path else "", p.line or 0))
        super().__init__(f"{len(self.problems)} problems")

    def one_line(self) -> str:
        return "\n".join(p.one_line() for p in getattr(self, "problems", []))


def raise_all(problems: list[AlertdrillError]) -> None:
    """Raise the one problem as itself, several as a `ProblemsError`, none: return."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ProblemsError(problems)


class Problems:
    """Every problem of one input at once: each part is read on its own; a broken part's problem is
    kept and `fallback` stands in for its value, so the parts after it are read too."""

    def __init__(self) -> None:
        self.found: list[AlertdrillError] = []

    def read(self, part: Callable[[], T], fallback: T) -> T:
        try:
            return part()
        except ProblemsError as exc:
            self._keep(exc.problems)
        except AlertdrillError as exc:
            self._keep([exc])
        return fallback

    def _keep(self, problems: list[AlertdrillError]) -> None:
        """Once each: two parts that read the same broken value report it once."""
        seen = {p.one_line() for p in self.found}
        self.found.extend(p for p in problems if p.one_line() not in seen)

    def raise_all(self) -> None:
        raise_all(self.found)
