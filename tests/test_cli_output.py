"""Small things of the command line people meet first: a command whose reader went away (`| head`)
ends cleanly, `schedule --next` has a header and names each time zone."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from alertdrill.schedule.listing import upcoming_table
from alertdrill.testing import Project, copy_project
from tests.conftest import REPO
from tests.test_schedule import job


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return copy_project(REPO, tmp_path_factory.mktemp("pipes"))


def without_reader(*args: str) -> subprocess.CompletedProcess[str]:
    """`alertdrill ARGS` writing to a pipe nobody reads (as `| head` after it has its lines)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "alertdrill", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)


@pytest.mark.parametrize(
    "args", [("lint", "--format", "json"), ("history",), ("schedule", "--next"), ("lab", "status")], ids=str
)
def test_a_reader_that_goes_away_ends_the_command_without_a_traceback(project: Project, args: tuple[str, ...]) -> None:
    done = without_reader(*args, "--config", str(project.config_path))
    assert done.stderr == "" and done.returncode == 0, done.stderr


def test_steps_piped_to_a_reader_that_went_away() -> None:
    done = without_reader("steps")
    assert done.stderr == "" and done.returncode == 0, done.stderr


def test_schedule_next_has_a_header_and_names_each_time_zone() -> None:
    berlin = job("weekly", "30 10 * * MON", tz="Europe/Berlin")
    fires = [(berlin.next_after(datetime(2027, 3, 1, tzinfo=UTC)), berlin)]
    lines = upcoming_table(fires, ZoneInfo("America/New_York"))
    assert lines[0].split("  ")[0] == "when (the schedule's time zone)" and "your time (E" in lines[0]
    assert lines[0].rstrip().endswith("drills")
    assert lines[1].startswith("Mon 2027-03-01 10:30 CET (Europe/Berlin)  Mon 04:30 EST")
    assert len(lines) == 2 and "weekly" in lines[1]
