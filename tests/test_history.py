"""History on a real PostgreSQL server and on SQLite, the same tests on both: what is recorded comes
back one row per phase, trends leave out runs that injected nothing, and a database written by the
previous release (alertdrill 0.1.0, before migrations) is upgraded with its runs intact."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Float, MetaData, String, Table, create_engine, func, insert, select, text

from alertdrill.errors import ConfigError
from alertdrill.publish.history import History, history_report
from alertdrill.publish.history.migrate import alembic_config
from alertdrill.publish.history.schema import HEAD, metadata, phases
from alertdrill.score.scorecard import DrillResult, EventRecord, Phase, PhaseResult, Scorecard, Status
from tests.conftest import REPO, alertdrill

T0 = 1795428000.0  # 2026-11-23T10:00:00Z
INJECTED = [EventRecord("fault_injected", "2026-11-23T10:00:01.000Z", 0.0)]


@pytest.fixture(params=["sqlite", "postgresql"])
def history_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a new database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.sqlite'}"
        return
    server: str = request.getfixturevalue("postgres_server")
    name = f"history_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as db:
        db.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    yield f"{server.rsplit('/', 1)[0]}/{name}"


def drill(
    name: str, status: str = "passed", alert_s: float | None = 2.0, *, injected: bool = True, **more: PhaseResult
) -> DrillResult:
    """A drill as a run scores it: its status and phases are the enums (the store writes their strings)."""
    timed = {
        Phase.ALERT: PhaseResult(60.0, alert_s, alert_s is not None and alert_s <= 60),
        **{Phase(phase): result for phase, result in more.items()},
    }
    return DrillResult(
        name=name,
        feature="drills/payments.feature",
        status=Status(status),
        alert="PaymentsApiDown",
        contact_group="payments-oncall",
        phases=timed if injected else {},
        checks=[],
        events=INJECTED if injected else [],
        error=None if injected else "preflight stopped it",
    )


def card(n: int, *drills: DrillResult) -> Scorecard:
    return Scorecard(f"run-{n}", T0 + 100 * n, T0 + 100 * n + 70, list(drills))


def count(url: str, table: Table) -> int:
    engine = create_engine(url)
    with engine.connect() as db:
        found = db.execute(select(func.count()).select_from(table)).scalar_one()
    engine.dispose()
    return int(found)


def test_a_recorded_run_comes_back_one_row_per_phase(history_url: str) -> None:
    history = History(history_url)
    history.record(
        card(
            1,
            drill("kill the API", locate=PhaseResult(300.0, 6.5, True), recover=PhaseResult(600.0, None, False)),
            drill("stopped early", "error", injected=False),
        )
    )
    assert count(history_url, phases) == 3
    killed, stopped = history.rows()
    assert (killed.run_id, killed.started_at, killed.drill, killed.status) == (
        "run-1",
        "2026-11-23T10:01:40.000Z",
        "drills/payments.feature::kill the API",
        "passed",
    )
    assert (killed.alert, killed.contact_group, killed.injected) == ("PaymentsApiDown", "payments-oncall", True)
    assert dict(killed.phases) == {
        "alert": PhaseResult(60.0, 2.0, True),
        "locate": PhaseResult(300.0, 6.5, True),
        "recover": PhaseResult(600.0, None, False),
    }
    assert list(killed.phases) == ["alert", "locate", "recover"]
    assert (stopped.status, stopped.injected, dict(stopped.phases)) == ("error", False, {})


def test_trends_leave_out_runs_that_injected_nothing(history_url: str) -> None:
    history = History(history_url)
    history.record(card(1, drill("kill the API", alert_s=2.0)))
    history.record(card(2, drill("kill the API", "error", injected=False)))  # preflight stopped everything
    history.record(card(3, drill("kill the API", alert_s=5.0)))
    report = history_report(history.rows())
    assert (report.runs, report.runs_not_injected) == (2, 1)
    to_alert = report.by_alert["PaymentsApiDown"]["time to alert"]
    assert (to_alert.runs, to_alert.median_s, to_alert.p90_s, to_alert.last_s) == (2, 3.5, 5.0, 5.0)
    [regression] = report.regressions
    assert (regression.run_id, regression.previous_run_id, regression.what) == (
        "run-3",
        "run-1",
        "time to alert 5.00 s, was 2.00 s",
    )
    assert history.trends() == {"drills/payments.feature::kill the API": [2.0, 5.0]}


def test_a_drill_stopped_before_injecting_is_not_counted_even_in_a_run_where_others_ran(history_url: str) -> None:
    history = History(history_url)
    stopped = replace(
        drill("kill the API", "error", injected=False), phases={Phase.ALERT: PhaseResult(60.0, None, False, ran=False)}
    )
    history.record(card(1, drill("kill the API", alert_s=2.0), drill("other", alert_s=3.0)))
    history.record(card(2, stopped, drill("other", alert_s=4.0)))  # preflight stopped one of two
    report = history_report(history.rows())
    assert (report.runs, report.runs_not_injected, report.drills_not_injected) == (2, 0, 1)
    to_alert = report.by_alert["PaymentsApiDown"]["time to alert"]
    assert (to_alert.runs, to_alert.last_s) == (3, 4.0)  # the stopped drill's "never" is not a measurement
    assert history.trends()["drills/payments.feature::kill the API"] == [2.0]
    text = report.to_text()
    assert "1 drill(s) of these runs stopped before injecting: not counted" in text
    assert "drills/payments.feature::kill the API error     not run" in text


# The tables exactly as alertdrill 0.1.0 (store.py before migrations) created them with create_all().
OLD_PHASES = ("alert", "notify", "locate", "recover")
old_metadata = MetaData()
Table(
    "alertdrill_runs",
    old_metadata,
    Column("run_id", String(64), primary_key=True),
    Column("started_at", String(32), nullable=False),
    Column("finished_at", String(32), nullable=False),
)
Table(
    "alertdrill_drills",
    old_metadata,
    Column("run_id", String(64), primary_key=True),
    Column("drill", String(512), primary_key=True),  # "<feature>::<name>"
    Column("status", String(16), nullable=False),
    Column("alert", String(256)),
    Column("contact_group", String(256)),
    *(Column(f"{phase}_s", Float) for phase in OLD_PHASES),
    *(Column(f"{phase}_budget_s", Float) for phase in OLD_PHASES),
)


def write_with_the_previous_release(url: str) -> None:
    """One run as 0.1.0 recorded it: a drill that passed, one that missed recover, one stopped early."""
    engine = create_engine(url)
    old_metadata.create_all(engine)
    old_runs, old_drills = old_metadata.tables["alertdrill_runs"], old_metadata.tables["alertdrill_drills"]
    unset = {f"{p}_{unit}": None for p in OLD_PHASES for unit in ("s", "budget_s")}
    with engine.begin() as db:
        db.execute(
            insert(old_runs).values(
                run_id="old-1", started_at="2026-11-20T09:00:00.000Z", finished_at="2026-11-20T09:01:00.000Z"
            )
        )
        db.execute(
            insert(old_drills),
            [
                {
                    **unset,
                    "run_id": "old-1",
                    "drill": "f::passed",
                    "status": "passed",
                    "alert": "A",
                    "contact_group": "g",
                    "alert_s": 3.0,
                    "alert_budget_s": 60.0,
                    "notify_s": 4.0,
                    "notify_budget_s": 60.0,
                },
                {
                    **unset,
                    "run_id": "old-1",
                    "drill": "f::slow",
                    "status": "failed",
                    "alert": "A",
                    "contact_group": "g",
                    "alert_s": 70.0,
                    "alert_budget_s": 60.0,
                    "recover_budget_s": 600.0,
                },
                {
                    **unset,
                    "run_id": "old-1",
                    "drill": "f::stopped",
                    "status": "error",
                    "alert": "A",
                    "contact_group": "g",
                    "alert_budget_s": 60.0,
                },
            ],
        )
    engine.dispose()


def schema_differences(url: str) -> list[object]:
    engine = create_engine(url)
    with engine.connect() as db:
        found = list(compare_metadata(MigrationContext.configure(db), metadata))
        version = db.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    assert version == [HEAD]
    return found


def test_a_database_of_the_previous_release_is_upgraded_with_its_runs(history_url: str) -> None:
    write_with_the_previous_release(history_url)
    history = History(history_url)
    assert schema_differences(history_url) == []
    rows = {row.drill: row for row in history.rows()}
    assert {d: (r.run_id, r.started_at, r.status, r.injected) for d, r in rows.items()} == {
        "f::passed": ("old-1", "2026-11-20T09:00:00.000Z", "passed", True),
        "f::slow": ("old-1", "2026-11-20T09:00:00.000Z", "failed", True),
        "f::stopped": ("old-1", "2026-11-20T09:00:00.000Z", "error", False),
    }
    assert dict(rows["f::passed"].phases) == {
        "alert": PhaseResult(60.0, 3.0, True),
        "notify": PhaseResult(60.0, 4.0, True),
    }
    assert dict(rows["f::slow"].phases) == {
        "alert": PhaseResult(60.0, 70.0, False),
        "recover": PhaseResult(600.0, None, False),
    }
    assert dict(rows["f::stopped"].phases) == {"alert": PhaseResult(60.0, None, False)}
    history.record(card(1, drill("passed")))  # the upgraded database takes new runs
    assert [r.run_id for r in history.rows()] == ["old-1"] * 3 + ["run-1"]


def test_an_empty_database_goes_to_the_newest_schema_and_reopening_migrates_nothing(
    history_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    History(history_url).record(card(1, drill("kill the API")))
    assert schema_differences(history_url) == []

    def no_migration(*args: object, **kwargs: object) -> None:
        raise AssertionError("reopening a database at the newest schema ran a migration")

    monkeypatch.setattr(command, "upgrade", no_migration)
    monkeypatch.setattr(command, "stamp", no_migration)
    again = History(history_url)
    assert [(r.run_id, r.phases["alert"].elapsed_s) for r in again.rows()] == [("run-1", 2.0)]


def test_the_newest_migration_is_the_schema_the_code_writes() -> None:
    with create_engine("sqlite://").connect() as db:
        assert ScriptDirectory.from_config(alembic_config(db)).get_current_head() == HEAD


def test_downgrade_restores_the_previous_releases_columns(history_url: str) -> None:
    write_with_the_previous_release(history_url)
    History(history_url)
    engine = create_engine(history_url)
    with engine.begin() as db:
        command.downgrade(alembic_config(db), "0001")
    with engine.connect() as db:
        assert list(compare_metadata(MigrationContext.configure(db), old_metadata)) == []
        got = db.execute(
            text(
                "SELECT drill, alert_s, alert_budget_s, notify_s, recover_budget_s "
                "FROM alertdrill_drills ORDER BY drill"
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in got] == [
        ("f::passed", 3.0, 60.0, 4.0, None),
        ("f::slow", 70.0, 60.0, None, 600.0),
        ("f::stopped", None, 60.0, None, None),
    ]


def test_a_database_from_a_newer_release_is_refused(history_url: str) -> None:
    History(history_url)
    engine = create_engine(history_url)
    with engine.begin() as db:
        db.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(ConfigError, match="schema revision '9999'"):
        History(history_url)


def test_the_history_command_reads_it_in_text_and_json(history_url: str) -> None:
    history = History(history_url)
    history.record(card(1, drill("kill the API", alert_s=2.0)))
    history.record(card(2, drill("kill the API", "failed", alert_s=None)))
    text_out = alertdrill("history", "--db", history_url, "--config", str(REPO / "alertdrill.yml"))
    assert text_out.returncode == 0, text_out.stderr
    assert "per alert                    measure          runs    median       p90      last" in text_out.stdout
    assert "PaymentsApiDown              time to alert       2    2.00 s    2.00 s         -" in text_out.stdout
    assert "Times are seconds from the fault's injection" in text_out.stdout
    assert (
        "  drills/payments.feature::kill the API: was passed, now failed (run run-2, before run-1)" in text_out.stdout
    )
    done = alertdrill("history", "--db", history_url, "--config", str(REPO / "alertdrill.yml"), "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["runs"], report["runs_not_injected"]) == (2, 0)
    assert report["by_alert"]["PaymentsApiDown"]["time to alert"] == {
        "runs": 2,
        "median_s": 2.0,
        "p90_s": 2.0,
        "last_s": None,
    }
    assert report["last_run"] == [
        {
            "run_id": "run-2",
            "drill": "drills/payments.feature::kill the API",
            "status": "failed",
            "phases": {"alert": {"budget_s": 60.0, "elapsed_s": None, "passed": False}},
        }
    ]
