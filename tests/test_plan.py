"""One compiled plan: every file parsed once, every value validated before anything is injected."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from alertdrill import cli
from alertdrill.spec import gherkin
from alertdrill.testing import Project, copy_project
from tests.conftest import REPO, TEST_FAULTS, alertdrill

MARKED = """Feature: f
  Scenario: first injects a marker
    When the fault "marker" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A copy of the example project with nothing running: planning needs no lab."""
    return copy_project(REPO, tmp_path / "project", TEST_FAULTS)


def one_line_exit_2(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    err = done.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


def test_each_feature_file_is_parsed_once_per_run(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[Path] = []
    real = gherkin.parse_feature

    def counting(path: Path) -> list[gherkin.ParsedScenario]:
        parsed.append(path)
        return real(path)

    monkeypatch.setattr(gherkin, "parse_feature", counting)
    monkeypatch.setattr("alertdrill.spec.features.parse_feature", counting)
    code = cli.main(["run", "--dry-run", "--config", str(project.config_path), "--prometheus", "http://127.0.0.1:9"])
    assert code == 2  # unreachable Prometheus, after the plan (which needed every file)
    assert sorted(p.name for p in parsed) == ["ledger.feature", "payments.feature", "storefront.feature"]


def test_a_bad_fault_option_in_a_later_drill_stops_the_run_before_the_first_injection(project: Project) -> None:
    project.write_feature("a_first.feature", MARKED)
    config = project.config_path
    config.write_text(config.read_text().replace("error_rate: 1.0", "error_rate: 1.0\n    colour: red", 1))
    err = one_line_exit_2(alertdrill("run", "--config", str(config)))
    assert "fault 'checkout-api-errors' (http-error) has unknown option(s) colour" in err
    assert not (project.root / "injected.marker").exists()


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("ALERTDRILL_POLL_INTERVAL", "fast", "ALERTDRILL_POLL_INTERVAL='fast': 'fast' is not a duration"),
        ("ALERTDRILL_PREFLIGHT", "maybe", "ALERTDRILL_PREFLIGHT='maybe': not a yes/no value"),
        ("ALERTDRILL_PROMETHEUS", "prom:9090", "ALERTDRILL_PROMETHEUS='prom:9090': not an http(s) URL"),
        ("ALERTDRILL_PARALLEL", "0", "ALERTDRILL_PARALLEL='0': must be between 1 and 256, or `auto`"),
    ],
)
def test_a_bad_environment_value_is_one_line_naming_the_variable(
    project: Project, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    err = one_line_exit_2(alertdrill("run", "--dry-run", "--config", str(project.config_path)))
    assert expected in err


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("dir: .lab", "dir: .lab\n  ready_timeout: soon", "lab.ready_timeout: 'soon' is not a duration"),
        ("runbooks: runbooks/", "runbooks: runbooks/\nrunbook: typo", "unknown key 'runbook'"),
    ],
)
def test_a_bad_config_value_names_file_and_line(project: Project, old: str, new: str, expected: str) -> None:
    config = project.config_path
    config.write_text(config.read_text().replace(old, new, 1))
    line = 1 + config.read_text().split(new.rsplit("\n", 1)[-1].strip())[0].count("\n")
    err = one_line_exit_2(alertdrill("run", "--dry-run", "--config", str(config)))
    assert f"alertdrill.yml:{line}: {expected}" in err


def test_every_problem_of_the_configuration_is_reported_at_once_by_line(project: Project) -> None:
    config = project.config_path
    text = config.read_text().replace("dir: .lab", "dir: .lab\n  ready_timeout: soon", 1)
    text = text.replace("runbooks: runbooks/", "runbooks: runbooks/\nrunbook: typo", 1)
    config.write_text(text + "poll_interval: never\nmax_fault_duration: forever\n")
    lines = config.read_text().splitlines()

    def line_of(start: str) -> int:
        return 1 + next(i for i, line in enumerate(lines) if line.strip().startswith(start))

    done = alertdrill("run", "--config", str(config))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    said = done.stderr.strip().splitlines()
    expected = [
        (line_of("runbook: typo"), "unknown key 'runbook'"),
        (line_of("ready_timeout: soon"), "lab.ready_timeout: 'soon' is not a duration"),
        (line_of("poll_interval: never"), "poll_interval: "),
        (line_of("max_fault_duration: forever"), "max_fault_duration: "),
    ]
    assert len(said) == 4, said
    for (line, words), shown in zip(sorted(expected), said, strict=True):
        assert f"alertdrill.yml:{line}: {words}" in shown, said
    assert not (project.root / "injected.marker").exists()


def test_durations_are_accepted_where_seconds_are(project: Project) -> None:
    config = project.config_path
    config.write_text(config.read_text().replace("dir: .lab", "dir: .lab\n  ready_timeout: 30s", 1))
    done = alertdrill("run", "--dry-run", "--config", str(config), "--prometheus", "http://127.0.0.1:9")
    assert "4 drill(s), nothing will be injected" in done.stdout


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "bad.feature:1: feature file is empty"),
        ("@\n", "bad.feature:2: malformed feature file"),
        (
            'Feature: f\n  Scenario: s\n    Gven the service "payments-api" is healthy\n'
            '    When the fault "marker" is injected\n',
            'bad.feature:3: "Gven the service "payments-api" is healthy" is not a step, a tag or a comment',
        ),
        (MARKED + MARKED.split("\n", 1)[1], 'bad.feature:5: two scenarios are named "first injects a marker"'),
        (
            'Feature: f\nFeature: g\n  Scenario: s\n    When the fault "marker" is injected\n',
            'bad.feature:2: "Feature: g" is not a step',
        ),
        (
            MARKED + "    Examples:\n      | a |\n      | 1 |\n",
            "bad.feature:2: Examples under a scenario without <placeholders>",
        ),
        (
            'Feature: f\n  Scenario: s\n    When the fault "marker" is injected\n'
            '    Then the alert "PaymentsApiDown" fire within 1m\n',
            'bad.feature:4: unknown step "Then the alert "PaymentsApiDown" fire within 1m"',
        ),
        (b"Feature: \xff\n", "bad.feature:1: feature file is not UTF-8 text"),
    ],
)
def test_broken_feature_files_are_one_line_and_inject_nothing(
    project: Project, text: str | bytes, expected: str
) -> None:
    path = project.root / "drills" / "bad.feature"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    project.write_feature("a_first.feature", MARKED.replace("first injects", "another injects"))
    err = one_line_exit_2(alertdrill("run", "--config", str(project.config_path)))
    assert expected in err
    assert not (project.root / "injected.marker").exists()


def test_tag_expressions_select_drills(project: Project) -> None:
    done = alertdrill(
        "run",
        "--dry-run",
        "--tags",
        "storefront and not payments",
        "--config",
        str(project.config_path),
        "--prometheus",
        "http://127.0.0.1:9",
    )
    assert "2 drill(s)" in done.stdout
    err = one_line_exit_2(
        alertdrill("run", "--dry-run", "--tags", "storefront and (", "--config", str(project.config_path))
    )
    assert "--tags 'storefront and (': the expression ends too early" in err


@pytest.mark.parametrize(
    ("addition", "expected"),
    [
        ("guards:\n  slo: 'sum(rate(errors_total[1m]) > '\n", "guard 'slo': `sum(rate(errors_total[1m]) > `"),
        ("", "service 'payments-api' healthy: `up{job=}`"),
    ],
)
def test_promql_that_prometheus_cannot_parse_stops_the_run_before_injection(
    project: Project, addition: str, expected: str
) -> None:
    project.write_feature(
        "a_first.feature",
        MARKED.replace(
            "  Scenario: first injects a marker\n",
            '  Scenario: first\n    Given the service "payments-api" is healthy\n',
        ),
    )
    config = project.config_path
    text = config.read_text() + addition
    if not addition:
        text = text.replace('up{job="payments-api"} == 1', "'up{job=}'", 1)
    config.write_text(text)
    err = one_line_exit_2(alertdrill("run", "--config", str(config)))
    assert "PromQL expression(s) do not parse" in err and expected in err
    assert not (project.root / "injected.marker").exists()


def test_every_broken_file_is_reported_at_once_sorted_by_file(project: Project) -> None:
    project.write_feature("b.feature", MARKED.replace('"marker"', '"ghost"'))
    project.write_feature("a.feature", MARKED.replace("fires within", "fire within"))
    done = alertdrill("run", "--config", str(project.config_path))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert [line.split(": ")[1].rsplit("/", 1)[-1] for line in lines] == ["a.feature:4", "b.feature:3"], lines
    assert 'unknown fault "ghost"' in lines[1] and "Traceback" not in done.stderr


def test_a_lint_error_about_the_drilled_alert_stops_the_drill_before_injection(project: Project) -> None:
    rules = project.root / "alerts" / "rules.yml"
    rules.write_text(rules.read_text().replace("runbooks/payments-api-down.md", "runbooks/gone.md", 1))
    project.write_feature("a_first.feature", MARKED)
    done = alertdrill(
        "run",
        "--dry-run",
        str(project.root / "drills" / "a_first.feature"),
        "--config",
        str(project.config_path),
        "--prometheus",
        "http://127.0.0.1:9",
    )
    assert "preflight stops it:" in done.stdout and "gone.md" in done.stdout, done.stdout
    assert done.returncode == 2
