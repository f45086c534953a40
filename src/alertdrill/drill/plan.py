"""The plan of a run, built once: settings, compiled drills, contact groups, runbooks, a constructed
(validated, side-effect free) injector per drill, and the preflight findings that stop a drill.

Every front end (CLI, pytest plugin, scheduler, console) builds a `DrillPlan` and hands it to the
runner. Building it parses each feature file once and raises a `PermanentError` (exit 2) for any
bad input before anything is injected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from alertdrill.catalog.contact_groups import ContactGroups
from alertdrill.catalog.promql import Expression, require_valid
from alertdrill.catalog.runbooks import Runbook, load_runbooks
from alertdrill.config import Settings
from alertdrill.drill.environment import needs_sink
from alertdrill.errors import AlertdrillError, ConfigError, SpecError, raise_all
from alertdrill.faults import InjectorContext, InjectorRegistry
from alertdrill.faults.base import Injector
from alertdrill.lint import preflight
from alertdrill.lint.repository import drill_key
from alertdrill.spec.features import compile_feature, feature_files
from alertdrill.spec.model import DrillSpec, InjectFault
from alertdrill.spec.tags import tag_matcher


@dataclass(frozen=True)
class PlannedDrill:
    spec: DrillSpec
    injector: Injector  # built from the fault's options at plan time: validated, nothing done yet
    blocked: tuple[str, ...] = ()  # preflight findings (one line each): the drill stops before injection
    notes: tuple[str, ...] = ()  # what its scorecard must say (e.g. a drift allowed with --allow-drift)

    @property
    def key(self) -> str:
        return drill_key(self.spec)


@dataclass(frozen=True)
class Selection:
    """What a front end asks to run: paths (default drills/), scenario names, a tag expression."""

    paths: tuple[Path, ...] = ()
    scenarios: tuple[str, ...] = ()
    tags: str = ""


@dataclass(frozen=True)
class DrillPlan:
    settings: Settings
    contact_groups: ContactGroups
    drills: tuple[PlannedDrill, ...] = field(default_factory=tuple)

    @property
    def needs_sink(self) -> bool:
        return any(needs_sink(d.spec) for d in self.drills)

    @property
    def all_blocked(self) -> bool:
        return bool(self.drills) and all(d.blocked for d in self.drills)

    def find(self, spec: DrillSpec) -> PlannedDrill:
        return next(d for d in self.drills if d.spec is spec or d.key == drill_key(spec))


def compile_drills(settings: Settings, groups: ContactGroups, paths: Iterable[Path]) -> list[DrillSpec]:
    """Every drill below `paths`, each feature file parsed once; the problems of every file at once."""
    drills: list[DrillSpec] = []
    problems: list[AlertdrillError] = []
    for path in feature_files(paths):
        try:
            drills += compile_feature(path, settings, groups)
        except SpecError as exc:
            problems.append(exc)
    raise_all(problems)
    return drills


def select(drills: Sequence[DrillSpec], selection: Selection) -> list[DrillSpec]:
    for name in selection.scenarios:
        if not any(d.name == name for d in drills):
            where = ", ".join(map(str, selection.paths)) or "the drills"
            raise ConfigError(
                f"no scenario named {name!r} in {where}", fix="use a name `alertdrill run --dry-run` lists"
            )
    matches = tag_matcher(selection.tags)
    return [d for d in drills if (not selection.scenarios or d.name in selection.scenarios) and matches(d.tags)]


def build_injectors(
    settings: Settings, drills: Sequence[DrillSpec], registry: InjectorRegistry
) -> list[tuple[DrillSpec, Injector]]:
    """Construct every drill's injector now: a bad fault option stops the whole run before any injection."""
    context = InjectorContext(settings)
    built = []
    for spec in drills:
        fault = settings.faults[spec.fault or ""]
        try:
            built.append((spec, registry.build(fault, context)))
        except AlertdrillError:
            raise
        except Exception as exc:  # a plugin's injector must not crash the run with a traceback
            raise ConfigError(
                f"fault {fault.name!r} ({fault.type}) cannot be built: {type(exc).__name__}: {exc}",
                fix=f"fix its options at {fault.source}",
            ) from None
    return built


def validate_unused_faults(settings: Settings, drills: Sequence[DrillSpec], registry: InjectorRegistry) -> None:
    """Faults no selected drill uses are checked too: a broken one is broken input, whatever runs today."""
    used = {d.fault for d in drills}
    unused = [DrillSpec(f"(fault {name})", "", 0, (InjectFault(name),)) for name in settings.faults if name not in used]
    build_injectors(settings, unused, registry)


def expressions(settings: Settings, drills: Sequence[DrillSpec], books: Sequence[Runbook]) -> list[Expression]:
    """The PromQL a run depends on: its drills' services, every guard, every runbook promql step."""
    services = sorted({name for d in drills for name in d.services})
    found = [
        Expression(f"service {name!r} healthy", settings.services[name].healthy, settings.services[name].source)
        for name in services
    ]
    found += [Expression(f"guard {name!r}", expr, settings.config_path.name) for name, expr in settings.guards.items()]
    found += [
        Expression("runbook promql step", step.code, f"{book.path.name}:{step.line}")
        for book in books
        for step in book.steps
        if step.language == "promql"
    ]
    return found


def plan_drills(
    settings: Settings, groups: ContactGroups, drills: Sequence[DrillSpec], registry: InjectorRegistry | None = None
) -> DrillPlan:
    """A plan for already compiled drills (the pytest plugin compiles file by file as it collects)."""
    books = load_runbooks(settings.runbooks)  # a broken runbook stops the run before any injection
    registry = registry or InjectorRegistry.default()
    built = build_injectors(settings, drills, registry)
    validate_unused_faults(settings, drills, registry)
    require_valid(expressions(settings, drills, books))
    blocked = preflight(settings, drills) if settings.preflight and drills else {}
    return DrillPlan(
        settings,
        groups,
        tuple(
            PlannedDrill(spec, injector, tuple(f.one_line() for f in blocked.get(drill_key(spec), [])))
            for spec, injector in built
        ),
    )


def build_plan(settings: Settings, selection: Selection, registry: InjectorRegistry | None = None) -> DrillPlan:
    groups = ContactGroups.load(settings.contact_groups)
    paths = selection.paths or (settings.root / "drills",)
    drills = select(compile_drills(settings, groups, paths), selection)
    return plan_drills(settings, groups, drills, registry)
