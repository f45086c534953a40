"""Surprise drills: the random picker respects windows, blackouts and limits and is reproducible
with a seed; the choice goes to the audit log only; a restart resumes the pending pick."""

from __future__ import annotations

import random
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from alertdrill.errors import ConfigError
from alertdrill.schedule.audit import AuditLog
from alertdrill.schedule.clock import ManualClock
from alertdrill.schedule.jobs import Job
from alertdrill.schedule.runner import Outcome
from alertdrill.schedule.surprise import Surprise, load_surprise
from alertdrill.schedule.windows import Policy, Window, parse_blackout, pick
from alertdrill.testing import Project, copy_project
from tests.conftest import REPO, TEST_FAULTS

BERLIN = ZoneInfo("Europe/Berlin")
WORKING_HOURS = Policy(
    (Window.parse("Mon-Fri 10:00-16:00"),),
    "Europe/Berlin",
    (parse_blackout("2026-12-21..2027-01-03"),),
    max_count=1,
    per="month",
)


def test_windows_parse_and_refuse_nonsense() -> None:
    assert Window.parse("Mon-Fri 10:00-16:00").days == frozenset(range(5))
    assert Window.parse("Fri-Mon 9:30-11:00").days == frozenset({4, 5, 6, 0})
    assert Window.parse("daily 00:00-23:59").days == frozenset(range(7))
    for bad in ("weekdays 10-16", "Mon-Fri 16:00-10:00", "Funday 10:00-11:00"):
        with pytest.raises(ValueError):
            Window.parse(bad)
    assert parse_blackout("2026-12-24") == (date(2026, 12, 24), date(2026, 12, 24))


def test_picks_land_only_in_windows_outside_blackouts() -> None:
    now = datetime(2026, 12, 20, 12, 0, tzinfo=BERLIN)  # a Sunday; the rest of December is blacked out
    moments = [
        p.moment.astimezone(BERLIN) for seed in range(300) if (p := pick(WORKING_HOURS, 3, now, random.Random(seed)))
    ]
    assert len(moments) == 300
    for moment in moments:
        assert moment.weekday() < 5 and 10 <= moment.hour < 16, moment
        assert moment.date() >= date(2027, 1, 4), moment  # not in the blackout, not in the past
        assert moment.month == 1  # the first month with allowed time left
    assert len({m.date() for m in moments}) > 10  # spread over the month, not clumped


def test_the_limit_per_period_moves_the_pick_to_the_next_period() -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)
    free = pick(WORKING_HOURS, 1, now, random.Random(1))
    assert free is not None and free.moment.astimezone(BERLIN).month == 11
    already = [datetime(2026, 11, 5, 11, 0, tzinfo=BERLIN)]
    limited = pick(WORKING_HOURS, 1, now, random.Random(1), taken=already)
    assert limited is not None and limited.moment.astimezone(BERLIN).month == 12
    assert limited.moment.astimezone(BERLIN).day < 21  # before the blackout
    twice = Policy(WORKING_HOURS.windows, "Europe/Berlin", max_count=2, per="month")
    again = pick(twice, 1, now, random.Random(1), taken=already)
    assert again is not None and again.moment.astimezone(BERLIN).month == 11


def test_a_seed_reproduces_the_pick_and_different_seeds_differ() -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert pick(WORKING_HOURS, 5, now, random.Random(42)) == pick(WORKING_HOURS, 5, now, random.Random(42))
    picks = {pick(WORKING_HOURS, 5, now, random.Random(seed)) for seed in range(40)}
    assert len({p.moment for p in picks if p}) == 40 and len({p.index for p in picks if p}) == 5


def test_no_allowed_moment_gives_no_pick() -> None:
    never = Policy((Window.parse("Sat 10:00-11:00"),), "UTC", (parse_blackout("2026-01-01..2030-01-01"),))
    assert pick(never, 2, datetime(2026, 11, 23, tzinfo=UTC), random.Random(0)) is None


class RecordingRunner:
    def __init__(self) -> None:
        self.jobs: list[Job] = []

    def run(self, job: Job) -> Outcome:
        self.jobs.append(job)
        return Outcome("passed", 0, 4.2, "/tmp/surprise.log")

    def stop(self) -> None:
        pass


@pytest.fixture
def surprise_project(tmp_path: Path) -> Project:
    project = copy_project(REPO, tmp_path / "project", TEST_FAULTS)
    raw = yaml.safe_load(project.config_path.read_text())
    raw["surprise"] = {
        "drills": ["drills/"],
        "timezone": "Europe/Berlin",
        "windows": ["Mon-Fri 10:00-16:00"],
        "max": 1,
        "per": "month",
        "audit_log": "qa/audit.jsonl",
    }
    project.config_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return project


def test_a_surprise_drill_runs_at_its_moment_and_only_the_audit_log_names_it(surprise_project: Project) -> None:
    settings = surprise_project.settings()
    config = load_surprise(settings)
    clock = ManualClock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), fast_forward=True)
    runner = RecordingRunner()
    said: list[str] = []
    outcome = Surprise(config, settings, runner, clock, seed=7, say=said.append).run_once()
    assert outcome is not None and outcome.status == "passed"
    [job] = runner.jobs
    [drill] = [d for d in config.pool if d.name in job.scenarios]
    printed = "\n".join(said)
    assert "qa/audit.jsonl" in printed
    for revealing in [text for d in config.pool for text in (d.name, d.feature, str(d.alert))]:
        assert revealing not in printed  # nothing a responder watching the console could use
    entries = AuditLog(config.audit_log).entries()
    assert [e["event"] for e in entries] == ["picked", "started", "finished"]
    assert entries[0]["drill"] == drill.name and entries[0]["seed"] == 7
    moment = datetime.fromisoformat(str(entries[0]["moment"]))
    assert datetime.fromisoformat(str(entries[1]["at"])) == moment  # it started at the picked moment, not before
    assert stat.S_IMODE(config.audit_log.stat().st_mode) == 0o600
    # The month's limit is used: the next pick is in December.
    again = Surprise(config, settings, RecordingRunner(), clock, seed=7, say=said.append).arm()
    assert again is not None and again[2].astimezone(BERLIN).month == 12


def test_a_restarted_surprise_resumes_its_pick_instead_of_drawing_again(surprise_project: Project) -> None:
    settings = surprise_project.settings()
    config = load_surprise(settings)
    clock = ManualClock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    first = Surprise(config, settings, RecordingRunner(), clock, seed=1, say=lambda _: None).arm()
    second = Surprise(config, settings, RecordingRunner(), clock, seed=999, say=lambda _: None).arm()
    assert first is not None and second == first
    assert first is not None
    clock.set(first[2] + timedelta(hours=1))  # the process was down when the moment came
    third = Surprise(config, settings, RecordingRunner(), clock, seed=3, say=lambda _: None).arm()
    assert third is not None and third[0] != first[0]
    assert [e["event"] for e in AuditLog(config.audit_log).entries()] == ["picked", "missed", "picked"]


def test_a_broken_surprise_section_is_one_line_with_file_and_line(surprise_project: Project) -> None:
    raw = yaml.safe_load(surprise_project.config_path.read_text())
    raw["surprise"]["windows"] = ["weekdays 10-16"]
    surprise_project.config_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(ConfigError) as caught:
        load_surprise(surprise_project.settings())
    assert "alertdrill.yml:" in str(caught.value) and "weekdays 10-16" in str(caught.value)
