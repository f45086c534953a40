"""Scheduled drills: jobs from config and `@cron:` tags, firing times on a controllable clock (no real
waiting), never two drills on one target at once, a crashing drill that does not end the schedule,
and SIGTERM reverting the running drill (a real `alertdrill run` against the real lab)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from alertdrill.errors import ConfigError
from alertdrill.polling import poll_until
from alertdrill.schedule.clock import ManualClock
from alertdrill.schedule.jobs import Job, load_schedule
from alertdrill.schedule.plan import Plan
from alertdrill.schedule.runner import Outcome, SubprocessRunner
from alertdrill.schedule.scheduler import Scheduler, upcoming
from alertdrill.testing import Project, copy_project
from tests.conftest import REPO, TEST_FAULTS, alertdrill

BERLIN = ZoneInfo("Europe/Berlin")
TAGGED = """Feature: tagged drills
  @cron:H_H(9-11)_*_*_WED
  Scenario: Tagged payments drill
    Given the service "payments-api" is healthy
    When the fault "noop" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute

  Scenario: Untagged drill
    When the fault "noop" is injected
    Then the alert "CheckoutErrors" fires within 1 minute
"""


def job(name: str, cron: str = "0 10 * * *", targets: tuple[str, ...] = ("service:x",), tz: str = "UTC") -> Job:
    return Job(name, cron, tz, ("drills",), (), frozenset(targets), "test:1")


def project_with(tmp_path: Path, schedules: dict[str, object]) -> Project:
    project = copy_project(REPO, tmp_path / "project", TEST_FAULTS)
    raw = yaml.safe_load(project.config_path.read_text())
    raw["schedules"] = schedules
    project.config_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return project


class RecordingRunner:
    """Finishes at once; records when (on the scheduler's clock) each job started. The first
    `crash` runs raise, as a broken drill process would."""

    def __init__(self, clock: ManualClock, crash: int = 0) -> None:
        self.clock, self.crash = clock, crash
        self.started: list[tuple[str, datetime]] = []

    def run(self, job: Job) -> Outcome:
        self.started.append((job.name, self.clock.now()))
        if len(self.started) <= self.crash:
            raise RuntimeError("the drill process died")
        return Outcome("passed", 0, 0.0)

    def stop(self) -> None:
        pass


class HeldRunner:
    """Each run holds until the test releases that job: overlaps become observable."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.running: set[str] = set()
        self.intervals: dict[str, list[float]] = {}
        self.released: set[str] = set()
        self.stopped = threading.Event()

    def run(self, job: Job) -> Outcome:
        with self.cond:
            self.running.add(job.name)
            self.intervals[job.name] = [time.monotonic()]
            self.cond.notify_all()
            self.cond.wait_for(lambda: job.name in self.released or self.stopped.is_set(), timeout=30)
            self.running.discard(job.name)
            self.intervals[job.name].append(time.monotonic())
        return Outcome("passed", 0, 0.0)

    def await_running(self, names: set[str]) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: names <= self.running, timeout=10)

    def release(self, name: str) -> None:
        with self.cond:
            self.released.add(name)
            self.cond.notify_all()

    def stop(self) -> None:
        self.stopped.set()
        with self.cond:
            self.cond.notify_all()


def test_jobs_come_from_config_and_cron_tags_with_hashed_minutes(tmp_path: Path) -> None:
    project = project_with(
        tmp_path,
        {
            "timezone": "Europe/Berlin",
            "jobs": {
                "weekly-payments": {"cron": "H H(9-11) * * MON", "drills": ["drills/payments.feature"]},
                "storefront-nightly": {"cron": "H 2 * * *", "drills": ["drills/storefront.feature"], "target": "shop"},
            },
        },
    )
    project.write_feature("tagged.feature", TAGGED)
    jobs = {j.name: j for j in load_schedule(project.settings()).jobs}
    assert set(jobs) == {"weekly-payments", "storefront-nightly", "tagged@H_H(9-11)_*_*_WED"}
    payments = jobs["weekly-payments"]
    assert payments.targets == {"service:payments-api", "alert:PaymentsApiDown"}
    assert jobs["storefront-nightly"].targets == {"target:shop"}
    tagged = jobs["tagged@H_H(9-11)_*_*_WED"]
    assert tagged.scenarios == ("Tagged payments drill",) and tagged.paths == ("drills/tagged.feature",)
    minute, hour, *rest = payments.concrete_cron().split()
    assert 0 <= int(minute) <= 59 and 9 <= int(hour) <= 11 and rest == ["*", "*", "1"]
    again = {j.name: j for j in load_schedule(project.settings()).jobs}["weekly-payments"]
    assert again.concrete_cron() == payments.concrete_cron()  # stable: the hash is of the name
    spread = {job(f"drill-{i}", "H 10 * * *").concrete_cron() for i in range(30)}
    assert len(spread) >= 15  # a hundred drills do not start in the same minute


def test_a_bad_cron_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    project = project_with(tmp_path, {"jobs": {"broken": {"cron": "61 * * * *", "drills": ["drills"]}}})
    with pytest.raises(ConfigError) as caught:
        load_schedule(project.settings())
    assert "alertdrill.yml:" in str(caught.value) and "'61 * * * *'" in str(caught.value)
    result = alertdrill("schedule", "--next", "--config", str(project.config_path))
    assert result.returncode == 2 and "alertdrill.yml:" in result.stderr and "cron" in result.stderr


def test_the_schedule_fires_at_its_times_across_a_dst_change() -> None:
    clock = ManualClock(datetime(2027, 3, 1, tzinfo=UTC), fast_forward=True)
    runner = RecordingRunner(clock)
    weekly = job("weekly", "30 10 * * MON", tz="Europe/Berlin")
    Scheduler([weekly], runner, clock, say=lambda _: None).run(max_runs=6)
    local = [at.astimezone(BERLIN) for _, at in runner.started]
    assert [(d.month, d.day, d.hour, d.minute) for d in local] == [
        (3, 1, 10, 30),
        (3, 8, 10, 30),
        (3, 15, 10, 30),
        (3, 22, 10, 30),
        (3, 29, 10, 30),
        (4, 5, 10, 30),
    ]
    assert {at.hour for _, at in runner.started} == {9, 8}  # UTC moves with summer time; local time does not
    assert upcoming([weekly], datetime(2027, 3, 1, tzinfo=UTC), 2)[1][0].astimezone(BERLIN).day == 8


def test_a_crashing_drill_does_not_end_the_schedule() -> None:
    clock = ManualClock(datetime(2026, 11, 23, tzinfo=UTC), fast_forward=True)
    runner = RecordingRunner(clock, crash=1)
    records = Scheduler([job("daily")], runner, clock, say=lambda _: None).run(max_runs=3)
    assert [r.status for r in records] == ["crashed", "passed", "passed"]
    assert "the drill process died" in records[0].detail
    assert [at.day for _, at in runner.started] == [23, 24, 25]


def test_two_drills_on_one_target_never_overlap() -> None:
    clock = ManualClock(datetime(2026, 11, 23, 9, 59, tzinfo=UTC))
    runner = HeldRunner()
    lines: list[str] = []
    jobs = [
        job("a", targets=("service:payments-api",)),
        job("b", targets=("service:payments-api", "alert:X")),
        job("c", targets=("service:checkout-api",)),
    ]
    scheduler = Scheduler(jobs, runner, clock, max_parallel=3, say=lines.append)
    thread = threading.Thread(target=scheduler.run, kwargs={"max_runs": 3}, daemon=True)
    thread.start()
    try:
        clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
        assert runner.await_running({"a", "c"}), runner.running  # different targets run side by side
        assert poll_until(lambda: any("b: due since" in line and "waiting for a" in line for line in lines), 5, 0.01)
        assert "b" not in runner.running
        runner.release("a")
        assert runner.await_running({"b"})
        runner.release("b")
        runner.release("c")
        thread.join(timeout=10)
        assert not thread.is_alive()
    finally:
        scheduler.stop()
        runner.stop()
    assert runner.intervals["a"][1] <= runner.intervals["b"][0]
    assert runner.intervals["c"][0] < runner.intervals["a"][1]


def test_a_fire_during_the_previous_run_is_skipped_not_queued_twice() -> None:
    daily = job("daily", "0 * * * *")
    plan = Plan([daily], datetime(2026, 11, 23, 9, 30, tzinfo=UTC), max_parallel=1)
    assert plan.due(datetime(2026, 11, 23, 10, 0, tzinfo=UTC)) == []
    assert [j.name for _, j in plan.startable()] == ["daily"]
    skipped = plan.due(datetime(2026, 11, 23, 11, 0, tzinfo=UTC))
    assert len(skipped) == 1 and "previous run is not over" in skipped[0] and plan.queue == []
    plan.finished(daily)
    assert plan.wakeup() == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


LONG = """Feature: long
  Scenario: A drill still waiting when the schedule is stopped
    When the fault "marker" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
"""


@pytest.fixture
def long_drill(lab: Project) -> Iterator[Path]:
    path = lab.write_feature("long.feature", LONG)
    yield path
    path.unlink()


def test_stopping_the_schedule_reverts_the_running_drill_at_once(
    lab: Project, long_drill: Path, tmp_path: Path
) -> None:
    settings = lab.settings()
    clock = ManualClock(datetime(2026, 11, 23, 9, 59, tzinfo=UTC))
    scheduled = Job(
        "long",
        "0 10 * * *",
        "UTC",
        (str(long_drill.relative_to(lab.root)),),
        (),
        frozenset({"fault:marker"}),
        "test:1",
        60.0,
    )
    scheduler = Scheduler([scheduled], SubprocessRunner(settings, tmp_path / "logs"), clock, say=lambda _: None)
    thread = threading.Thread(target=scheduler.run, daemon=True)
    thread.start()
    marker = lab.root / "injected.marker"
    try:
        clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
        assert poll_until(marker.exists, 60, 0.05), "the scheduled drill never injected its fault"
        stopping = time.monotonic()
    finally:
        scheduler.stop()  # also when the test failed above: no drill is left running in the shared lab
        thread.join(timeout=60)
    assert not thread.is_alive() and not marker.exists()
    assert time.monotonic() - stopping < 30  # far inside the drill's 60 s budget: it did not run out
    [record] = scheduler.records
    assert record.status == "interrupted" and record.exit_code == 130, record
    assert "fault reverted" in Path(record.log).read_text()


def test_the_schedule_command_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    project = project_with(tmp_path, {"jobs": {"weekly": {"cron": "H 10 * * MON", "drills": ["drills"]}}})
    child = subprocess.Popen(
        [sys.executable, "-m", "alertdrill", "schedule", "--config", str(project.config_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline()  # printed once the SIGTERM handler is in place
        assert "1 schedule(s)" in first, first
        child.send_signal(signal.SIGTERM)
        out, _ = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate(timeout=30)
    assert child.returncode == 0 and "stopped" in out
