"""Feature files -> `DrillSpec`s, validated against the configuration before anything runs."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from alertdrill.catalog.contact_groups import ContactGroups
from alertdrill.catalog.paths import display_path
from alertdrill.catalog.runbooks import load_runbooks
from alertdrill.config import Settings
from alertdrill.errors import AlertdrillError, SpecError, raise_all
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


def _compile_steps(scenario: ParsedScenario, path: Path) -> tuple[list[Step], list[SpecError]]:
    """The steps that compile, and one problem per step that does not (every step is read)."""
    steps: list[Step] = []
    problems: list[SpecError] = []
    for step in scenario.steps:
        found = grammar.match(step.keyword, step.text) or _as_suggested(step.text)
        if found is None or grammar.match(step.keyword, step.text) is None:
            problems.append(_unknown_step(step.keyword, step.text, step.written, path, step.line))
        if found is None:
            continue
        phrase, args = found
        try:
            steps.append(phrase.build(args, step.line))
        except ValueError as exc:
            problems.append(SpecError(str(exc), path=path, line=step.line))
    return steps, problems


def _as_suggested(text: str) -> tuple[grammar.Phrase, dict[str, object]] | None:
    """The step read as its "did you mean" suggestion, so its names are checked too (the typo is still
    reported): a misspelt verb must not hide an unknown alert."""
    hint = grammar.closest(text)
    if hint is None or '"<' in hint:
        return None
    keyword, _, rest = hint.partition(" ")
    return grammar.match(keyword.lower(), rest)


def _unknown_step(keyword: str, text: str, written: str, path: Path, line: int) -> SpecError:
    wanted = grammar.keyword_of(text)
    if wanted:
        return SpecError(
            f'"{text}" is a {wanted.capitalize()} step, written as {written}',
            path=path,
            line=line,
            fix=f"start it with {wanted.capitalize()}",
        )
    hint = grammar.closest(text)
    return SpecError(
        f'unknown step "{written} {text}"',
        path=path,
        line=line,
        fix=f'did you mean "{hint}"?' if hint else "see `alertdrill steps`",
    )


MANUAL_TAG = "manual"  # `@manual` on a scenario or feature: a drill for people


def nearest(name: str, names: Iterable[str]) -> str:
    """`did you mean "x"?` with the defined name most like `name` (a likely typo only), or nothing."""
    found = difflib.get_close_matches(name, sorted(names), n=1, cutoff=NEAR)
    return f'did you mean "{found[0]}"?' if found else ""


NEAR = 0.8  # how alike a defined name must be to be suggested: a typo, never another service


class _Checker:
    """Checks one drill's steps against the configuration; returns every problem found."""

    def __init__(self, settings: Settings, groups: ContactGroups | None, path: Path) -> None:
        self.settings, self.groups, self.path = settings, groups, path

    def fail(self, message: str, line: int, fix: str = "") -> SpecError:
        return SpecError(message, path=self.path, line=line, fix=fix)

    def known(self, name: str, names: Iterable[str], define: str) -> str:
        """The fix: the nearest defined name first (the writer's own), then where to define it."""
        listed = ", ".join(sorted(names))
        where = f"{define} ({f'known: {listed}' if listed else 'none is defined yet'})"
        suggestion = nearest(name, names)
        return f"{suggestion} or {where}" if suggestion else where

    def check(self, name: str, line: int, steps: list[Step], complete: bool = True) -> list[SpecError]:
        """Every problem of the drill. `complete`: every step compiled, so order and shape are judged too
        (with a step missing they would only echo the step's own problem)."""
        problems = [p for step in steps if (p := self._check_names(step)) is not None]
        if complete:
            problems += self._check_shape(name, line, steps)
        return problems

    def _check_shape(self, name: str, line: int, steps: list[Step]) -> list[SpecError]:
        injections = [s for s in steps if isinstance(s, InjectFault)]
        if not injections:
            return [self.fail(f'drill "{name}" injects no fault', line, 'add `When the fault "<name>" is injected`')]
        problems = []
        if len(injections) > 1:
            problems.append(self.fail("a drill injects one fault", injections[1].line, "split it into two scenarios"))
        inject_at = steps.index(injections[0])
        problems += self._check_revert_last(steps)
        alert_named = False
        for index, step in enumerate(steps):
            problems += self._check_order(step, index, inject_at)
            alert_named = alert_named or isinstance(step, AlertFires | AlertsFire)
            if isinstance(step, ReachesContactGroup | LinksRunbook | AtMostNotifications) and not alert_named:
                problems.append(
                    self.fail(
                        "this step needs the alert named first",
                        step.line,
                        'add `Then the alert "<name>" fires within 1 minute` above it',
                    )
                )
            if isinstance(step, ResolvesAfterRevert) and not alert_named:
                problems.append(
                    self.fail(
                        "which alert resolves? name it first",
                        step.line,
                        'add `Then the alert "<name>" fires within ...` above it',
                    )
                )
            if isinstance(step, LocatesFault | Recovers) and not alert_named:
                problems.append(
                    self.fail(
                        "the runbook is found through the alert",
                        step.line,
                        'add `Then the alert "<name>" fires within ...` above it',
                    )
                )
        return problems

    def _check_revert_last(self, steps: list[Step]) -> list[SpecError]:
        """`the alert resolves within T of the fault being reverted` reverts the fault: only verdicts on
        the whole drill may follow it."""
        resolves = [i for i, s in enumerate(steps) if isinstance(s, ResolvesAfterRevert)]
        later = [s for s in steps[resolves[0] + 1 :] if not isinstance(s, WINDOW_STEPS)] if resolves else []
        if later:
            return [
                self.fail(
                    "this step needs the fault in place, but the step above reverts it",
                    later[0].line,
                    "move `the alert resolves within ... of the fault being reverted` below it",
                )
            ]
        return []

    def _check_order(self, step: Step, index: int, inject_at: int) -> list[SpecError]:
        if isinstance(step, SteadyState | QuietStart) and index > inject_at:
            return [
                self.fail("the steady state is checked before the fault", step.line, "move this Given above the When")
            ]
        if not isinstance(step, SteadyState | QuietStart | InjectFault) and index < inject_at:
            return [
                self.fail(
                    "an expectation comes before the fault is injected", step.line, "move the Then steps below the When"
                )
            ]
        return []

    def _check_names(self, step: Step) -> SpecError | None:
        """The names a step uses exist: its service, fault, contact group, runbook path."""
        where = self.settings.config_path.name
        if isinstance(step, SteadyState) and step.service not in self.settings.services:
            return self.fail(
                f'unknown service "{step.service}"',
                step.line,
                self.known(step.service, self.settings.services, f"define it under services: in {where}"),
            )
        if isinstance(step, InjectFault) and step.fault not in self.settings.faults:
            return self.fail(
                f'unknown fault "{step.fault}"',
                step.line,
                self.known(step.fault, self.settings.faults, f"define it under faults: in {where}"),
            )
        if isinstance(step, LinksRunbook) and not runbook_path_ok(step.runbook):
            return self.fail(
                f'"{step.runbook}" is not a runbook path',
                step.line,
                'name a Markdown file under the runbooks folder, e.g. "runbooks/<alert-name>.md"',
            )
        if (
            isinstance(step, ReachesContactGroup | OnlyContactGroup | AtMostNotifications)
            and self.groups is not None
            and step.group not in self.groups
        ):
            return self.fail(
                f'unknown contact group "{step.group}"',
                step.line,
                self.known(
                    step.group,
                    self.groups.names(),
                    f"define it in {display_path(self.groups.path, self.settings.root)}",
                ),
            )
        return None


def runbook_path_ok(reference: str) -> bool:
    """A relative Markdown path that stays inside the project (no `..`, no URL, not absolute)."""
    path = reference.replace("\\", "/")
    return path.endswith(".md") and not path.startswith("/") and ".." not in path.split("/") and "://" not in path


@dataclass(frozen=True)
class CompiledFeature:
    """A feature file read leniently: its drills (with the steps that compiled) and every problem."""

    drills: list[DrillSpec]
    problems: list[SpecError]


def check_feature(path: Path, settings: Settings, groups: ContactGroups | None) -> CompiledFeature:
    """Every scenario of `path` (one per example row of an outline) and every problem, none hidden by another.
    `groups` None: the contact groups file is itself broken (its own problem is said), names not judged."""
    checker = _Checker(settings, groups, path)
    drills: list[DrillSpec] = []
    problems: list[SpecError] = []
    shown = display_path(path, settings.root)
    try:
        scenarios = parse_feature(path)
    except SpecError as exc:
        return CompiledFeature([], [exc])
    for scenario in scenarios:
        steps, unknown = _compile_steps(scenario, path)
        problems += unknown + checker.check(scenario.name, scenario.line, steps, complete=not unknown)
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
    return CompiledFeature(drills, _unique(problems))


def _unique(problems: list[SpecError]) -> list[SpecError]:
    """An outline's rows repeat their steps' problems: each (line, message) once."""
    seen: dict[tuple[int | None, str], SpecError] = {}
    for problem in problems:
        seen.setdefault((problem.line, problem.one_line()), problem)
    return list(seen.values())


def compile_feature(path: Path, settings: Settings, groups: ContactGroups) -> list[DrillSpec]:
    """Every scenario of `path` as a checked `DrillSpec`; every problem of the file at once (exit 2)."""
    compiled = check_feature(path, settings, groups)
    problems: list[AlertdrillError] = list(compiled.problems)
    raise_all(problems)
    return compiled.drills


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
