"""The pytest plugin (`pytest11` entry point): `pytest drills/` runs feature files as drills.

Collection compiles each feature file against the configuration, so a bad file is a collection
error (`file:line: message (fix)`) and pytest stops before any drill runs. Before the first drill,
Prometheus, Alertmanager and the sink must answer, and faults left by killed runs are reverted.
Each scenario gets a `DrillSession` (fixture `alertdrill_drill`) that the shipped steps drive;
its teardown reverts the fault. At the end the scorecard is written.
"""

from __future__ import annotations

import signal
import time
import types
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_bdd import feature as bdd_feature
from pytest_bdd import scenario

from alertdrill.catalog.runbooks import load_runbooks
from alertdrill.config import ENV_VARS, Settings, find_config, load_settings
from alertdrill.drill.environment import Environment, needs_sink
from alertdrill.drill.session import DrillSession
from alertdrill.errors import AlertdrillError, ConfigError, DrillFailed
from alertdrill.lint import Finding, preflight
from alertdrill.lint.repository import drill_key
from alertdrill.publish.deliver import deliver
from alertdrill.publish.reports.writer import new_run_id
from alertdrill.score.scorecard import DrillResult, Scorecard
from alertdrill.spec.features import compile_feature, parse_feature
from alertdrill.spec.model import DrillSpec

pytest_plugins = ["alertdrill.bdd"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("alertdrill", "alertdrill drills")
    group.addoption("--alertdrill-config", default=None, metavar="FILE",
                    help=f"alertdrill.yml to use (env {ENV_VARS['config']}; default: nearest above the feature)")
    group.addoption("--alertdrill-report-dir", default=None, metavar="DIR",
                    help=f"where scorecards go (env {ENV_VARS['report_dir']}; default reports/ by the config)")
    group.addoption("--alertdrill-prometheus", default=None, metavar="URL", help="override prometheus:")
    group.addoption("--alertdrill-alertmanager", default=None, metavar="URL", help="override alertmanager:")
    group.addoption("--alertdrill-quiet", action="store_true", help="no live progress lines")
    group.addoption("--alertdrill-scenario", action="append", default=[], metavar="NAME",
                    help="run only the scenario with this name (repeatable)")
    group.addoption("--alertdrill-no-preflight", action="store_true",
                    help=f"run drills even when lint finds problems in their files (env {ENV_VARS['preflight']}=0)")


@dataclass
class DrillRun:
    """State of one pytest session's drills (kept in `config.stash`, never global)."""

    config: pytest.Config
    started_at: float = field(default_factory=time.time)
    settings_by_path: dict[Path, Settings] = field(default_factory=dict)
    envs: dict[Path, Environment] = field(default_factory=dict)
    results: list[DrillResult] = field(default_factory=list)
    report: Path | None = None
    blocked: dict[str, list[Finding]] = field(default_factory=dict)  # drill key -> preflight findings
    preflight_stopped: int = 0

    def settings_for(self, feature: Path) -> Settings | None:
        explicit = self.config.getoption("alertdrill_config")
        try:
            path = find_config(explicit, start=feature.parent)
        except ConfigError:
            if explicit:
                raise
            return None
        if path not in self.settings_by_path:
            self.settings_by_path[path] = load_settings(path).with_overrides(
                prometheus=self.config.getoption("alertdrill_prometheus"),
                alertmanager=self.config.getoption("alertdrill_alertmanager"),
                report_dir=self.config.getoption("alertdrill_report_dir"),
                preflight=False if self.config.getoption("alertdrill_no_preflight") else None)
        return self.settings_by_path[path]

    def env_for(self, settings: Settings) -> Environment:
        if settings.config_path not in self.envs:
            self.envs[settings.config_path] = Environment(settings, progress=self.progress)
        return self.envs[settings.config_path]

    def progress(self, message: str) -> None:
        if self.config.getoption("alertdrill_quiet"):
            return
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        if reporter is None:
            return
        if capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(f"    {message}")
        else:
            reporter.write_line(f"    {message}")


RUN = pytest.StashKey[DrillRun]()
SPEC = pytest.StashKey[tuple[Settings, DrillSpec]]()


def _raise_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RUN] = DrillRun(config)
    config.addinivalue_line("markers", "alertdrill: a drill collected from a feature file")


def pytest_sessionstart(session: pytest.Session) -> None:
    # SIGTERM takes the same path as Ctrl-C: fixtures tear down, so the fault is reverted.
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _raise_interrupt)


def pytest_unconfigure(config: pytest.Config) -> None:
    if signal.getsignal(signal.SIGTERM) is _raise_interrupt:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


class FeatureFile(pytest.Module):
    """A `.feature` file seen as a test module whose functions are its scenarios."""

    def _getobj(self) -> types.ModuleType:
        run = self.config.stash[RUN]
        settings = run.settings_for(self.path)
        assert settings is not None
        specs = compile_feature(self.path, settings, run.env_for(settings).contact_groups)
        module = types.ModuleType(f"alertdrill_feature_{self.path.stem}")
        module.__file__ = str(self.path)
        bdd_feature.features.pop(str(self.path.absolute()), None)  # pytest-bdd caches parsed files
        for index, template in enumerate(parse_feature(self.path)):
            for tag in template.tags | template.feature.tags:
                if ":" not in tag:  # `@cron:...` tags are schedules, not marks
                    self.config.addinivalue_line("markers", f"{tag}: feature tag")
            function = scenario(str(self.path.absolute()), template.name,
                                features_base_dir=str(self.path.parent))(lambda: None)
            function = pytest.mark.alertdrill(function)
            function.__alertdrill_specs__ = [s for s in specs if s.line == template.line_number]
            function.__alertdrill_settings__ = settings
            name = f"test_{index:02d}_" + "".join(c if c.isalnum() else "_" for c in template.name.lower())
            setattr(module, name.rstrip("_"), function)
        return module

    def istestfunction(self, obj: object, name: str) -> bool:
        return hasattr(obj, "__alertdrill_specs__")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: object = None) -> str:
        if isinstance(excinfo.value, AlertdrillError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix != ".feature":
        return None
    if parent.config.stash[RUN].settings_for(file_path) is None:
        return None  # not an alertdrill project: leave the file to plain pytest-bdd users
    return FeatureFile.from_parent(parent, path=file_path)


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_apply_tag(tag: str, function: object) -> bool | None:
    """Tags with a colon carry values (`@cron:H_10_*_*_MON`): they are read by alertdrill, not marks."""
    return True if ":" in tag else None


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = set(config.getoption("alertdrill_scenario") or [])
    if not wanted:
        return
    keep = [i for i in items if (found := _spec_of(i)) is None or found[1].name in wanted]
    config.hook.pytest_deselected(items=[i for i in items if i not in keep])
    items[:] = keep


def _spec_of(item: pytest.Item) -> tuple[Settings, DrillSpec] | None:
    function = getattr(item, "obj", None)
    specs = getattr(function, "__alertdrill_specs__", None)
    if not specs:
        return None
    example = getattr(item, "callspec", None)
    context = example.params.get("_pytest_bdd_example", {}) if example else {}
    suffix = f" [{', '.join(context.values())}]" if context else ""
    chosen = next((s for s in specs if s.name.endswith(suffix)), specs[0]) if suffix else specs[0]
    return function.__alertdrill_settings__, chosen  # type: ignore[union-attr]


def pytest_collection_finish(session: pytest.Session) -> None:
    run = session.config.stash[RUN]
    selected = [(item, found) for item in session.items if (found := _spec_of(item))]
    for item, found in selected:
        item.stash[SPEC] = found
    by_config: dict[Path, list[DrillSpec]] = {}
    for _, (settings, spec) in selected:
        by_config.setdefault(settings.config_path, []).append(spec)
    for path, specs in by_config.items():
        env = run.env_for(run.settings_by_path[path])
        try:
            load_runbooks(env.settings.runbooks)  # a broken runbook stops the run before any injection
            if env.settings.preflight:
                run.blocked.update(preflight(env.settings, specs))
            env.require_reachable(sink=any(needs_sink(d) for d in specs))
            for entry, outcome in env.revert_orphans():
                run.progress(f"left by a killed run: {entry.fault} ({entry.drill}): {outcome}")
        except AlertdrillError as exc:
            raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A missed expectation or a drill that cannot run is one line for a person, not a traceback."""
    report: pytest.TestReport = yield
    excinfo = call.excinfo
    if excinfo is not None and isinstance(excinfo.value, DrillFailed | AlertdrillError) and SPEC in item.stash:
        _, spec = item.stash[SPEC]
        kind = "failed" if isinstance(excinfo.value, DrillFailed) else "could not run"
        report.longrepr = f"{spec.feature}:{spec.line}: drill {spec.name!r} {kind}: {excinfo.value}"
    return report


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    """Drills print their own progress lines; a pytest dot would land in the middle of them."""
    if report.when == "call" and "alertdrill" in report.keywords and not config.getoption("alertdrill_quiet"):
        return report.outcome, "", report.outcome.upper()
    return None


@pytest.fixture
def alertdrill_drill(request: pytest.FixtureRequest) -> Iterator[DrillSession]:
    """The `DrillSession` of the current scenario; its teardown reverts the fault and scores it."""
    run = request.config.stash[RUN]
    if SPEC not in request.node.stash:
        pytest.fail("alertdrill steps run only in drills collected from feature files with an alertdrill.yml")
    settings, spec = request.node.stash[SPEC]
    run.progress(f"drill: {spec.name}")
    blocked = [f.one_line() for f in run.blocked.get(drill_key(spec), [])]
    run.preflight_stopped += bool(blocked)
    session = DrillSession(spec, run.env_for(settings), progress=run.progress, preflight=blocked)
    try:
        yield session
    finally:
        try:
            session.close()
        finally:
            if session.result is not None:
                run.results.append(session.result)
                run.progress(f"{session.result.status}: {session.result.verdict()}")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash[RUN]
    if not run.results:
        return
    settings = next(iter(run.settings_by_path.values()))
    card = Scorecard(new_run_id(run.started_at), run.started_at, time.time(), list(run.results))
    run.report = deliver(card, settings, run.env_for(settings).contact_groups, run.progress)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    run = terminalreporter.config.stash[RUN]
    if not run.results or run.report is None:
        return
    terminalreporter.section("alertdrill scorecard")
    for result in run.results:
        phases = "  ".join(f"{name} {p.elapsed_s if p.elapsed_s is not None else '-'}/{p.budget_s:g}s"
                           for name, p in result.phases.items())
        terminalreporter.write_line(f"{result.status.upper():7} {result.name}  {phases}")
        if result.status != "passed":
            terminalreporter.write_line(f"        {result.verdict()}")
    terminalreporter.write_line(f"scorecard: {run.report / 'scorecard.json'} (also scorecard.md, scorecard.html, "
                                f"junit.xml, alertdrill.prom; "
                                f"{run.report.parent / 'latest'} is the newest run)")
