"""Bad input never injects a fault: every problem is one line naming file, line and fix, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from alertdrill.testing import Project, copy_project
from tests.conftest import REPO, TEST_FAULTS, alertdrill

GOOD = """Feature: f
  Scenario: s
    Given the service "payments-api" is healthy
    When the fault "marker" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A copy of the example project with nothing running: validation needs no lab."""
    return copy_project(REPO, tmp_path / "project", TEST_FAULTS)


def run_feature(project: Project, text: str) -> tuple[int, str]:
    path = project.write_feature("bad.feature", text)
    done = alertdrill("run", str(path), "--config", str(project.config_path))
    return done.returncode, done.stderr.strip()


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        (GOOD.replace("fires within", "fire within"), 5, 'unknown step "Then the alert "PaymentsApiDown" fire'),
        (GOOD.replace('"marker"', '"no-such-fault"'), 4, 'unknown fault "no-such-fault"'),
        (GOOD.replace('"payments-api" is', '"nope" is'), 3, 'unknown service "nope"'),
        (GOOD.replace("1 minute", "a while"), 5, "is not a duration"),
        (GOOD.replace("    When", "    Given"), 4, "is a When step, written as Given"),
        (
            GOOD.replace("Feature: f\n", ""),
            1,
            "malformed feature file: 'Scenario: s' is out of place here (expected a tag or Feature: or a comment)",
        ),
        (GOOD + "    | a | b |\n    | c |\n", 7, "malformed feature file: inconsistent cell count"),
        (
            GOOD + '    And the alert reaches the contact group "ghosts" within 1 minute\n',
            6,
            'unknown contact group "ghosts"',
        ),
    ],
)
def test_bad_feature_is_one_line_with_file_and_line_and_nothing_is_injected(
    project: Project, text: str, line: int, says: str
) -> None:
    code, err = run_feature(project, text)
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert f"bad.feature:{line}: " in err and says in err
    assert not (project.root / "injected.marker").exists()


def test_a_bad_file_stops_the_good_ones_too(project: Project) -> None:
    project.write_feature("good.feature", GOOD)
    code, err = run_feature(project, GOOD.replace("fires within", "fire within"))
    assert code == 2 and "bad.feature:5" in err
    assert not (project.root / "injected.marker").exists()


def test_a_broken_runbook_stops_the_run_naming_its_line(project: Project) -> None:
    runbook = project.root / "runbooks" / "checkout-api-errors.md"
    runbook.write_text(runbook.read_text().replace("alerts: [CheckoutApiErrors]", "alerts: [CheckoutApiErrors"))
    code, err = run_feature(project, GOOD)
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "runbooks/checkout-api-errors.md:3: front matter is not valid YAML" in err
    assert not (project.root / "injected.marker").exists()


def test_invalid_yaml_names_the_config_line(project: Project) -> None:
    config = project.config_path
    config.write_text(config.read_text() + "faults:\n  broken: [unclosed\n")
    done = alertdrill("run", "--config", str(config))
    assert done.returncode == 2
    assert "alertdrill.yml:" in done.stderr and "invalid YAML" in done.stderr


def test_unknown_injector_type_lists_the_known_ones(project: Project) -> None:
    config = project.config_path
    config.write_text(config.read_text().replace("type: command", "type: teleport", 1))
    done = alertdrill("run", "--dry-run", "--config", str(config))
    assert done.returncode == 2
    known = "command, http-error, http-proxy, kubernetes, metric, process, process-kill, stress, synthetic-alert"
    assert "unknown type 'teleport'" in done.stderr and known in done.stderr


def test_unreachable_prometheus_is_exit_2_before_injection(project: Project) -> None:
    project.write_feature("good.feature", GOOD)
    done = alertdrill(
        "run",
        str(project.root / "drills" / "good.feature"),
        "--config",
        str(project.config_path),
        "--prometheus",
        "http://127.0.0.1:9",
    )
    assert done.returncode == 2
    assert "Prometheus at http://127.0.0.1:9 is unreachable" in done.stdout + done.stderr
    assert not (project.root / "injected.marker").exists()


def test_dry_run_prints_the_plan_and_injects_nothing(project: Project) -> None:
    project.write_feature("good.feature", GOOD)
    done = alertdrill("run", "--dry-run", "--config", str(project.config_path), "--prometheus", "http://127.0.0.1:9")
    assert "fault marker: run `touch injected.marker`" in done.stdout
    assert "Killing the payments API pages payments on-call  (drills/payments.feature:4)" in done.stdout
    assert (
        "runbook sh step (payments-api-down.md:16, remediate): alertdrill lab service start payments-api" in done.stdout
    )
    # --dry-run checks reachability too: with no Prometheus it is exit 2, after the plan was shown.
    assert done.returncode == 2 and "Prometheus at http://127.0.0.1:9 is unreachable" in done.stderr
    assert not (project.root / "injected.marker").exists()


def test_lint_reports_every_broken_drill_once(project: Project) -> None:
    project.write_feature("a.feature", GOOD.replace("fires within", "fire within"))
    project.write_feature("b.feature", GOOD.replace('"marker"', '"ghost"'))
    done = alertdrill("lint", "--config", str(project.config_path))
    assert done.returncode == 1
    lines = [line for line in done.stdout.splitlines() if "drills/invalid" in line]
    assert [line.split(": ")[0].rsplit("/", 1)[-1] for line in lines] == ["a.feature:5", "b.feature:4"]
    assert done.stdout.splitlines()[-1] == "4 drill(s) checked against alertdrill.yml; 2 finding(s)"
