"""The pytest plugin (`pytest11` entry point): `pytest drills/` runs feature files as drills.

A thin front end: each `.feature` file is compiled once at collection (a bad file is a collection
error `file:line: message (fix)`), each scenario becomes a `DrillItem`, and after collection the
plan (injectors built, preflight) is made and the runner prepared (servers reachable, faults of
killed runs reverted). An item runs its drill through the same `Runner` as `alertdrill run`: a drill
that could not run is a pytest *error*, a missed expectation a *failure*. At the end the scorecard
is written. pytest's internals are touched only in `alertdrill.pytest_compat`.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from alertdrill import options
from alertdrill.catalog.contact_groups import ContactGroups
from alertdrill.config import Settings, find_config, load_settings
from alertdrill.drill.environment import Environment
from alertdrill.drill.plan import PlannedDrill, plan_drills
from alertdrill.drill.runner import Runner
from alertdrill.drill.signals import signals_end_the_run
from alertdrill.errors import AlertdrillError, ConfigError, DrillError, DrillFailed
from alertdrill.publish.console import summary_lines
from alertdrill.publish.deliver import deliver
from alertdrill.publish.reports.writer import new_run_id
from alertdrill.pytest_compat import hide_progress_percent, terminal_line
from alertdrill.score.scorecard import DrillResult, Scorecard
from alertdrill.spec.features import compile_feature
from alertdrill.spec.model import DrillSpec

NOT_FOR_PYTEST = ("dry_run", "tags", "parallel")  # pytest has --collect-only and -m; items run in order


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("alertdrill", "alertdrill drills")
    for option in options.OPTIONS:
        if "run" not in option.commands or option.name in NOT_FOR_PYTEST:
            continue
        action = "store_true" if option.switch else "append" if option.repeat else "store"
        group.addoption(
            option.pytest_flag,
            dest=f"alertdrill_{option.name}",
            action=action,
            default=None,
            help=option.full_help(),
            **({} if option.switch else {"metavar": option.metavar}),
        )
    group.addoption(
        "--alertdrill-no-preflight",
        dest="alertdrill_preflight",
        action="store_const",
        const="no",
        help="the same as --alertdrill-preflight no",
    )


@dataclass
class DrillRun:
    """State of one pytest session's drills (kept in `config.stash`, never global)."""

    config: pytest.Config
    started_at: float = field(default_factory=time.time)
    settings_by_path: dict[Path, Settings] = field(default_factory=dict)
    groups: dict[Path, ContactGroups] = field(default_factory=dict)
    runners: dict[Path, Runner] = field(default_factory=dict)
    report: Path | None = None
    card: Scorecard | None = None

    def settings_for(self, feature: Path) -> Settings | None:
        explicit = self.config.getoption("alertdrill_config")
        try:
            path = find_config(explicit, start=feature.parent)
        except ConfigError:
            if explicit:
                raise
            return None
        if path not in self.settings_by_path:
            given = {o.name: self.config.getoption(f"alertdrill_{o.name}", None) for o in options.OPTIONS}
            self.settings_by_path[path] = load_settings(path).with_overrides(**options.from_arguments(given))
        return self.settings_by_path[path]

    def groups_for(self, settings: Settings) -> ContactGroups:
        if settings.config_path not in self.groups:
            self.groups[settings.config_path] = ContactGroups.load(settings.contact_groups)
        return self.groups[settings.config_path]

    def results(self) -> list[DrillResult]:
        return [result for runner in self.runners.values() for result in runner.results]

    def progress(self, message: str) -> None:
        if not self.config.getoption("alertdrill_quiet"):
            terminal_line(self.config, f"    {message}")


RUN = pytest.StashKey[DrillRun]()
PLANNED = pytest.StashKey[tuple[Runner, PlannedDrill]]()


def _raise_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RUN] = DrillRun(config)
    config.addinivalue_line("markers", "alertdrill: a drill collected from a feature file")


def pytest_sessionstart(session: pytest.Session) -> None:
    # SIGTERM takes the same path as Ctrl-C: the running drill's session reverts its fault.
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _raise_interrupt)


def pytest_unconfigure(config: pytest.Config) -> None:
    if signal.getsignal(signal.SIGTERM) is _raise_interrupt:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


class FeatureFile(pytest.File):
    """A `.feature` file; its scenarios (one per example row of an outline) are its items."""

    def collect(self) -> Iterator[DrillItem]:
        run = self.config.stash[RUN]
        settings = run.settings_for(self.path)
        assert settings is not None
        for index, spec in enumerate(compile_feature(self.path, settings, run.groups_for(settings))):
            name = f"test_{index:02d}_" + "".join(c if c.isalnum() else "_" for c in spec.name.lower())
            item = DrillItem.from_parent(self, name=name.rstrip("_"), spec=spec, settings=settings)
            for tag in sorted(spec.tags):
                if ":" not in tag:  # `@cron:...` tags are schedules, not marks
                    self.config.addinivalue_line("markers", f"{tag}: feature tag")
                    item.add_marker(tag)
            item.add_marker("alertdrill")
            yield item

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: object = None) -> str:
        if isinstance(excinfo.value, AlertdrillError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))


class DrillItem(pytest.Item):
    """One drill. `setup` runs it (so a drill that cannot run is a pytest error), `runtest` judges it."""

    def __init__(self, *, spec: DrillSpec, settings: Settings, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.spec, self.settings = spec, settings
        self.result: DrillResult | None = None

    def setup(self) -> None:
        runner, planned = self.stash[PLANNED]
        with signals_end_the_run(runner.interrupt):
            self.result = runner.run_drill(planned)
        if self.result.status == "error":
            raise DrillError(self.result.verdict())

    def runtest(self) -> None:
        if self.result is not None and self.result.status == "failed":
            raise DrillFailed(self.result.verdict())

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: object = None) -> str:
        if isinstance(excinfo.value, DrillFailed | AlertdrillError):
            kind = "failed" if isinstance(excinfo.value, DrillFailed) else "could not run"
            return f"{self.spec.feature}:{self.spec.line}: drill {self.spec.name!r} {kind}: {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.spec.line - 1, f"drill: {self.spec.name}"


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix != ".feature":
        return None
    if parent.config.stash[RUN].settings_for(file_path) is None:
        return None  # not an alertdrill project: leave the file to plain pytest-bdd users
    return FeatureFile.from_parent(parent, path=file_path)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = set(config.getoption("alertdrill_scenario") or [])
    if not wanted:
        return
    keep = [i for i in items if not isinstance(i, DrillItem) or i.spec.name in wanted]
    config.hook.pytest_deselected(items=[i for i in items if i not in keep])
    items[:] = keep


def pytest_collection_finish(session: pytest.Session) -> None:
    """The plan per configuration (injectors built, preflight), then servers reachable: exit 4 otherwise."""
    run = session.config.stash[RUN]
    by_config: dict[Path, list[DrillItem]] = {}
    for item in session.items:
        if isinstance(item, DrillItem):
            by_config.setdefault(item.settings.config_path, []).append(item)
    try:
        for path, items in by_config.items():
            settings = run.settings_by_path[path]
            plan = plan_drills(settings, run.groups_for(settings), [i.spec for i in items])
            runner = run.runners[path] = Runner(plan, Environment(settings, progress=run.progress), run.progress)
            if not session.config.option.collectonly:
                runner.prepare()  # may add live preflight findings (a drifted rule) to the plan
            for item, planned in zip(items, runner.plan.drills, strict=True):
                item.stash[PLANNED] = (runner, planned)
    except AlertdrillError as exc:
        raise pytest.UsageError(str(exc)) from None
    if by_config and not session.config.getoption("alertdrill_quiet"):
        hide_progress_percent(session.config)


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    """Drills print their own progress lines; a pytest dot would land in the middle of them."""
    if report.when == "call" and "alertdrill" in report.keywords and not config.getoption("alertdrill_quiet"):
        return report.outcome, "", report.outcome.upper()
    return None


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash[RUN]
    for runner in run.runners.values():
        runner.close()
    results = run.results()
    if not results:
        return
    runner = next(iter(run.runners.values()))
    run.card = Scorecard(new_run_id(run.started_at), run.started_at, time.time(), results)
    run.report = deliver(run.card, runner.plan.settings, runner.plan.contact_groups, run.progress)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    run = terminalreporter.config.stash[RUN]
    if run.card is None:
        return
    terminalreporter.section("alertdrill scorecard")
    for line in summary_lines(run.card, run.report):
        terminalreporter.write_line(line)
