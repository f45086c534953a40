"""A newcomer's first drill: `alertdrill new` for a fourth demo service, and the deliberate mistakes
of issue 19, each run giving every problem at once with suggestions in the writer's own names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from alertdrill.catalog.contact_groups import ContactGroups
from alertdrill.cli import main
from alertdrill.config import load_settings
from alertdrill.lint import lint
from alertdrill.lint.preflight import preflight
from alertdrill.processes import free_port
from alertdrill.spec import grammar
from alertdrill.spec.features import check_feature
from alertdrill.testing import Project, copy_project
from tests.conftest import REPO

ORDERS_RULE = """
      - alert: OrdersApiDown
        expr: up{job="orders-api"} == 0
        for: 2s
        labels:
          severity: page
          team: storefront
        annotations:
          summary: "orders-api is down"
          runbook_url: https://github.com/acme/oncall/blob/main/runbooks/orders-api-down.md
"""


def add_orders_service(project: Project) -> None:
    """What the README's "your first drill" asks for: a lab service and its alerting rule."""
    config = project.config_path.read_text()
    marker = "  services:\n"
    at = config.index(marker, config.index("\nlab:"))
    project.config_path.write_text(
        config[: at + len(marker)] + f"    orders-api: {{port: {free_port()}}}\n" + config[at + len(marker) :]
    )
    rules = project.root / "alerts" / "rules.yml"
    rules.write_text(rules.read_text() + ORDERS_RULE)


def new(project: Project, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["new", "--config", str(project.config_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path) -> Project:
    made = copy_project(REPO, tmp_path / "p")
    add_orders_service(made)
    return made


def test_new_writes_a_drill_that_lints_clean(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = new(project, capsys, "--alert", "OrdersApiDown")
    assert code == 0, err
    feature = project.root / "drills" / "orders-api-down.feature"
    assert "lint is clean for it" in out, out
    text = feature.read_text()
    assert 'the contact group "storefront-oncall"' in text  # where the route really goes
    assert 'links the runbook "runbooks/orders-api-down.md"' in text  # what runbook_url names
    assert (project.root / "runbooks" / "orders-api-down.md").read_text().startswith("---\nalerts: [OrdersApiDown]")
    settings = load_settings(project.config_path)
    assert settings.faults["orders-api-down"].type in ("process-kill", "process")
    assert settings.services["orders-api"].healthy == 'up{job="orders-api"} == 1'
    report = lint(settings)
    assert [f.one_line() for f in report.findings if f.severity != "info"] == []
    # Never overwrites: a second run refuses and changes nothing.
    before = project.config_path.read_text()
    code, _out, err = new(project, capsys, "--alert", "OrdersApiDown")
    assert code == 2 and "exists already" in err and "orders-api-down.feature" in err
    assert project.config_path.read_text() == before


def test_new_names_the_one_line_left_to_fill_in(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    rules = project.root / "alerts" / "rules.yml"
    rules.write_text(
        rules.read_text()
        + ORDERS_RULE.replace("OrdersApiDown", "OrdersQueueStuck").replace(
            'up{job="orders-api"} == 0', 'orders_queue_depth{queue="outbound"} > 100'
        )
    )
    code, out, err = new(project, capsys, "--alert", "OrdersQueueStuck")
    assert code == 0, err
    todo = [line for line in out.splitlines() if line.startswith("fill in:")]
    assert len(todo) == 1, out
    line = int(todo[0].split(":")[2])
    assert "alertdrill.yml" in todo[0] and "inject" in project.config_path.read_text().splitlines()[line - 1]


def test_new_suggests_the_alert_meant_and_asks_only_on_a_terminal(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = new(project, capsys, "--alert", "OrdersApiDwn")
    assert code == 2 and 'did you mean "OrdersApiDown"?' in err
    code, _out, err = new(project, capsys)  # stdin is not a terminal under pytest
    assert code == 2 and "--alert NAME" in err and "OrdersApiDown" in err


MISTAKES = """Feature: Orders

  Scenario: Orders API down pages storefront
    Given the service "orders-api" is healthy
    When the fault "orders-api-dwn" is injected
    Then the alert "OrdersApiDown" fire within 1 minute
    And the alert reaches the contact group "orders-oncall" within 1 minute
    And the notification links the runbook "runbooks/orders-api-down.md"
    And the runbook locates the fault within 5 minutes
    And the service recovers within 20 minutes
"""


def test_every_mistake_at_once_with_suggestions_in_the_writers_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_project(REPO, tmp_path / "p")
    project.write_feature("orders.feature", MISTAKES)
    (project.root / "notifiers" / "contact-groups.yml").write_text("payments-oncall:\n  receiver: [x]\n")
    capsys.readouterr()
    code = main(["run", "--dry-run", "--config", str(project.config_path)])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2
    wanted = [
        (4, 'unknown service "orders-api"'),
        (5, 'unknown fault "orders-api-dwn"'),
        (6, 'did you mean "Then the alert "OrdersApiDown" fires within 1 minute"?'),
        (6, "no rule in alerts/rules.yml defines OrdersApiDown"),
        (8, "runbook runbooks/orders-api-down.md, which is not under runbooks/"),
        (10, "the drill allows 20 minutes, but the fault is reverted after 15 minutes (max_fault_duration)"),
    ]
    for line, text in wanted:
        assert any(f"orders.feature:{line}:" in got and text in got for got in lines), (line, text, err)
    assert lines[-1].startswith(f"alertdrill: {project.root}/notifiers/contact-groups.yml:2:"), err  # sorted by file
    lines = lines[:-1]
    at = [int(got.split("orders.feature:")[1].split(":")[0]) for got in lines]
    assert at == sorted(at)  # sorted by file and line
    suggestions = [got.split("did you mean", 1)[1] for got in lines if "did you mean" in got]
    assert suggestions and not any("payments" in s.lower() for s in suggestions), suggestions
    # lint says the same, in one report
    report = lint(project.settings())
    found = {(f.line, f.rule) for f in report.findings if f.path == "drills/orders.feature"}
    assert {(6, "drills/unknown-alert"), (8, "drills/runbook-missing"), (5, "drills/invalid")} <= found


def test_a_suggestion_never_carries_the_examples_values() -> None:
    hint = grammar.closest("the alert reaches the contact group within 1 minute")
    assert hint is not None and "payments" not in hint and "<group>" in hint
    hint = grammar.closest('the alert "CheckoutApiDown" fire within 1 minute')
    assert hint == 'Then the alert "CheckoutApiDown" fires within 1 minute'


BUDGETS = """Feature: budgets

  Scenario: too slow
    When the fault "payments-api-down" is injected
    Then the alert "PaymentsApiDown" fires within 2 hours

  Scenario: longer than the fault may last
    When the fault "payments-api-down" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the service recovers within 20 minutes
"""


def test_preflight_stops_a_drill_for_its_budget_or_its_runbook(tmp_path: Path) -> None:
    project = copy_project(REPO, tmp_path / "p")
    path = project.write_feature("budgets.feature", BUDGETS)
    settings = project.settings()
    drills = check_feature(path, settings, ContactGroups.load(settings.contact_groups)).drills
    blocked = preflight(settings, drills)
    rules = {key.split("::")[1]: {f.rule for f in found} for key, found in blocked.items()}
    assert rules["too slow"] == {"budget/above-fault-limit"}
    assert rules["longer than the fault may last"] == {"budget/above-fault-limit"}
    # A runbook_url pointing at a missing runbook stops every drill of that alert.
    (project.root / "runbooks" / "payments-api-down.md").unlink()
    blocked = preflight(settings, drills)
    assert all(any(f.rule == "runbooks/unresolved-link" for f in found) for found in blocked.values())
    assert len(blocked) == 2


def test_steps_prints_the_grammar_every_variant_tags_and_durations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["steps"]) == 0
    out = capsys.readouterr().out
    sentences = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    for sentence in sentences:
        keyword, _, text = sentence.partition(" ")
        filled = text.replace("{budget}", "1m30s").replace("{count}", "2").replace("{alerts}", '"A", "B"')
        filled = re.sub(r"\{\w+\}", "mine", filled)
        assert grammar.match(keyword.lower(), filled) is not None, sentence
    assert len(sentences) == len(grammar.PHRASES) + 2  # the by email / by webhook forms
    assert "payments" not in out.lower()  # placeholders, not an example's names
    assert "@manual" in out and "1m30s" in out and "by webhook" in out


def test_an_unknown_alert_is_answered_with_the_rule_it_is_a_typo_of(tmp_path: Path) -> None:
    project = copy_project(REPO, tmp_path / "p")
    project.write_feature("typo.feature", MISTAKES.replace("OrdersApiDown", "PaymentApiDown"))
    found = [f for f in lint(project.settings()).findings if f.rule == "drills/unknown-alert"]
    assert len(found) == 1 and found[0].fix.startswith('did you mean "PaymentsApiDown"?'), found


BATCH_RULE = """
      - alert: NightlyBatchLate
        expr: time() - batch_last_success_timestamp_seconds{job="nightly-batch"} > 3600
        for: 2s
        labels: {severity: page, team: storefront}
        annotations:
          runbook_url: https://github.com/acme/oncall/blob/main/runbooks/nightly-batch-late.md
"""


def test_a_pushgateway_fed_job_gets_a_metric_fault(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    config = project.config_path.read_text().replace(
        "\nlab:\n",
        "\nmetrics: {pushgateway: 'http://127.0.0.1:9191'}\nlab:\n  scrape: {nightly-batch: '127.0.0.1:9191'}\n",
    )
    project.config_path.write_text(config)
    rules = project.root / "alerts" / "rules.yml"
    rules.write_text(rules.read_text() + BATCH_RULE)
    code, out, err = new(project, capsys, "--alert", "NightlyBatchLate")
    assert code == 0, err
    fault = load_settings(project.config_path).faults["nightly-batch-late"]
    assert fault.type == "metric" and fault.options["metric"] == "batch_last_success_timestamp_seconds"
    todo = next(line for line in out.splitlines() if line.startswith("fill in:"))
    line = int(todo.split(":")[2])
    assert "value:" in project.config_path.read_text().splitlines()[line - 1], todo


def test_new_asks_for_the_alert_on_a_terminal(
    project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "OrdersApiDown")
    code, out, err = new(project, capsys)
    assert code == 0, err
    assert "alerts without a drill: OrdersApiDown" in out
    assert (project.root / "drills" / "orders-api-down.feature").is_file()


def test_preflight_stops_a_drill_whose_contact_group_names_no_real_receiver(tmp_path: Path) -> None:
    project = copy_project(REPO, tmp_path / "p")
    groups = project.root / "notifiers" / "contact-groups.yml"
    groups.write_text(groups.read_text().replace("receiver: payments-oncall", "receiver: payments-pager"))
    settings = project.settings()
    drills = check_feature(
        project.root / "drills" / "payments.feature", settings, ContactGroups.load(settings.contact_groups)
    ).drills
    blocked = preflight(settings, drills)
    assert "contacts/unknown-receiver" in [f.rule for found in blocked.values() for f in found]
