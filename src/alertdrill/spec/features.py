"""Feature files -> `DrillSpec`s, validated against the configuration before anything runs."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from alertdrill.catalog.contact_groups import ContactGroups
from alertdrill.catalog.paths import display_path
from alertdrill.catalog.runbooks import load_runbooks
from alertdrill.config import Settings
from alertdrill.errors import SpecError
from alertdrill.spec import grammar
from alertdrill.spec.gherkin import ParsedScenario, parse_feature
from alertdrill.spec.model import (
    WINDOW_STEPS,
    AlertFires,
    AlertsFire,
    AtMostNotifications,
    DrillSpec,
    InjectFault,
    LinksRunbook,
    LocatesFault,
    OnlyContactGroup,
    QuietStart,
    ReachesContactGroup,
    Recovers,
    ResolvesAfterRevert,
    SteadyState,
    Step,
)


def _compile_steps(scenario: ParsedScenario, path: Path) -> list[Step]:
    steps: list[Step] = []
    for step in scenario.steps:
        found = grammar.match(step.keyword, step.text)
        if found is None:
            wanted = grammar.keyword_of(step.text)
            if wanted:
                raise SpecError(
                    f'"{step.text}" is a {wanted.capitalize()} step, written as {step.written}',
                    path=path,
                    line=step.line,
                    fix=f"start it with {wanted.capitalize()}",
                )
            hint = grammar.closest(step.text)
            raise SpecError(
                f'unknown step "{step.written} {step.text}"',
                path=path,
                line=step.line,
                fix=f'did you mean "{hint}"?' if hint else "see `alertdrill steps`",
            )
        phrase, args = found
        try:
            steps.append(phrase.build(args, step.line))
        except ValueError as exc:
            raise SpecError(str(exc), path=path, line=step.line) from None
    return steps


MANUAL_TAG = "manual"  # `@manual` on a scenario or feature: a drill for people


class _Checker:
    """Checks one drill's steps against the configuration; raises the first problem found."""

    def __init__(self, settings: Settings, groups: ContactGroups, path: Path) -> None:
        self.settings, self.groups, self.path = settings, groups, path

    def fail(self, message: str, line: int, fix: str = "") -> SpecError:
        return SpecError(message, path=self.path, line=line, fix=fix)

    def known(self, names: Iterable[str]) -> str:
        listed = ", ".join(sorted(names))
        return f"known: {listed}" if listed else "none is defined yet"

    def check(self, name: str, line: int, steps: list[Step]) -> None:
        injections = [s for s in steps if isinstance(s, InjectFault)]
        if not injections:
            raise self.fail(f'drill "{name}" injects no fault', line, 'add `When the fault "<name>" is injected`')
        if len(injections) > 1:
            raise self.fail("a drill injects one fault", injections[1].line, "split it into two scenarios")
        inject_at = steps.index(injections[0])
        self._check_revert_last(steps)
        alert_named = False
        for index, step in enumerate(steps):
            if isinstance(step, SteadyState | InjectFault):
                self._check_names(step)  # an unknown name first: it says more than the order
            self._check_order(step, index, inject_at)
            alert_named = alert_named or isinstance(step, AlertFires | AlertsFire)
            if isinstance(step, ReachesContactGroup | LinksRunbook | AtMostNotifications) and not alert_named:
                raise self.fail(
                    "this step needs the alert named first",
                    step.line,
                    'add `Then the alert "<name>" fires within 1 minute` above it',
                )
            if isinstance(step, ResolvesAfterRevert) and not alert_named:
                raise self.fail(
                    "which alert resolves? name it first",
                    step.line,
                    'add `Then the alert "<name>" fires within ...` above it',
                )
            if isinstance(step, LocatesFault | Recovers) and not alert_named:
                raise self.fail(
                    "the runbook is found through the alert",
                    step.line,
                    'add `Then the alert "<name>" fires within ...` above it',
                )
            self._check_names(step)

    def _check_revert_last(self, steps: list[Step]) -> None:
        """`the alert resolves within T of the fault being reverted` reverts the fault: only verdicts on
        the whole drill may follow it."""
        resolves = [i for i, s in enumerate(steps) if isinstance(s, ResolvesAfterRevert)]
        later = [s for s in steps[resolves[0] + 1 :] if not isinstance(s, WINDOW_STEPS)] if resolves else []
        if later:
            raise self.fail(
                "this step needs the fault in place, but the step above reverts it",
                later[0].line,
                "move `the alert resolves within ... of the fault being reverted` below it",
            )

    def _check_order(self, step: Step, index: int, inject_at: int) -> None:
        if isinstance(step, SteadyState | QuietStart) and index > inject_at:
            raise self.fail("the steady state is checked before the fault", step.line, "move this Given above the When")
        if not isinstance(step, SteadyState | QuietStart | InjectFault) and index < inject_at:
            raise self.fail(
                "an expectation comes before the fault is injected", step.line, "move the Then steps below the When"
            )

    def _check_names(self, step: Step) -> None:
        """The names a step uses exist: its service, fault, contact group, runbook path."""
        where = self.settings.config_path.name
        if isinstance(step, SteadyState) and step.service not in self.settings.services:
            raise self.fail(
                f'unknown service "{step.service}"',
                step.line,
                f"define it under services: in {where} ({self.known(self.settings.services)})",
            )
        if isinstance(step, InjectFault) and step.fault not in self.settings.faults:
            raise self.fail(
                f'unknown fault "{step.fault}"',
                step.line,
                f"define it under faults: in {where} ({self.known(self.settings.faults)})",
            )
        if isinstance(step, LinksRunbook) and not runbook_path_ok(step.runbook):
            raise self.fail(
                f'"{step.runbook}" is not a runbook path',
                step.line,
                'name a Markdown file under the runbooks folder, e.g. "runbooks/payments-api-down.md"',
            )
        if isinstance(step, ReachesContactGroup | OnlyContactGroup | AtMostNotifications) and (
            step.group not in self.groups
        ):
            raise self.fail(
                f'unknown contact group "{step.group}"',
                step.line,
                f"define it in {display_path(self.groups.path, self.settings.root)} "
                f"({self.known(self.groups.names())})",
            )


def runbook_path_ok(reference: str) -> bool:
    """A relative Markdown path that stays inside the project (no `..`, no URL, not absolute)."""
    path = reference.replace("\\", "/")
    return path.endswith(".md") and not path.startswith("/") and ".." not in path.split("/") and "://" not in path


def compile_feature(path: Path, settings: Settings, groups: ContactGroups) -> list[DrillSpec]:
    """Every scenario of `path` (one per example row of an outline) as a checked `DrillSpec`."""
    checker = _Checker(settings, groups, path)
    drills = []
    shown = display_path(path, settings.root)
    for scenario in parse_feature(path):
        steps = _compile_steps(scenario, path)
        checker.check(scenario.name, scenario.line, steps)
        drills.append(
            DrillSpec(
                scenario.name,
                shown,
                scenario.line,
                tuple(steps),
                scenario.tags,
                manual=MANUAL_TAG in scenario.tags or settings.manual or settings.surprise,
                surprise=settings.surprise,
            )
        )
    return drills


def feature_files(paths: Iterable[Path]) -> list[Path]:
    """`.feature` files named, or found below the folders named, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(path.rglob("*.feature"))
        elif path.is_file():
            found.append(path)
        else:
            raise SpecError("no such file or folder", path=path, fix="name a feature file or a folder of them")
    return found


def compile_all(paths: Iterable[Path], settings: Settings) -> list[DrillSpec]:
    """Every drill below `paths`, checked; the runbooks the drills may run are parsed too."""
    groups = ContactGroups.load(settings.contact_groups)
    load_runbooks(settings.runbooks)
    return [drill for path in feature_files(paths) for drill in compile_feature(path, settings, groups)]
