"""No strays, no storms, against real Prometheus and Alertmanager: the example drill (one fault, two
alerts, the second inhibited) passes with every round-2 sentence; on a lab whose inhibit rule is gone
and whose warnings are also sent to storefront, the same fault pages a second team, pages the alert
that should be inhibited, and sends payments one notification more than allowed, each failure named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alertdrill.lab.services import LabServices
from alertdrill.observe.clients import Prometheus
from alertdrill.polling import poll_until
from alertdrill.testing import Project, copy_project, running_lab
from tests.conftest import REPO, alertdrill

EXAMPLE = "drills/ledger.feature"

LOUD_ROUTE = """  routes:
    - receiver: storefront-oncall      # warnings about payments are copied to storefront...
      matchers: ['severity="warning"', 'team="payments"']
      continue: true                   # ...and still go on to payments below
"""

DRILL = """Feature: one fault, two alerts
  Scenario: {name}
    Given no alert is firing
    And the service "ledger-api" is healthy
    When the fault "ledger-api-down" is injected
    Then the alerts "LedgerApiDown", "LedgerApiNoTraffic" fire within 1 minute
    And the alert reaches the contact group "payments-oncall" within 1 minute
    {sentence}
"""


@pytest.fixture(scope="module")
def loud_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """A lab from the example whose Alertmanager has no inhibit rule and copies payments' warnings to storefront."""
    project = copy_project(REPO, tmp_path_factory.mktemp("loud-lab"))
    config = project.root / "alerts" / "alertmanager.yml"
    text = config.read_text()
    text = text[: text.index("inhibit_rules:")] + text[text.index("receivers:") :]
    config.write_text(text.replace("  routes:\n", LOUD_ROUTE, 1))
    with running_lab(project):
        yield project


def run(project: Project, path: Path | str) -> tuple[int, dict[str, Any], str]:
    done = alertdrill("run", str(path), "--config", str(project.config_path), timeout=240)
    card: dict[str, Any] = json.loads((project.root / "reports" / "latest" / "scorecard.json").read_text())
    return done.returncode, card["drills"][0], done.stdout + done.stderr


def failed(drill: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in drill["checks"] if not c["passed"]]


def loud_drill(project: Project, name: str, sentence: str) -> tuple[int, dict[str, Any], str]:
    path = project.write_feature(f"{name}.feature", DRILL.format(name=name, sentence=sentence))
    try:
        return run(project, path)
    finally:
        path.unlink()


def test_the_example_drill_passes_with_every_round_2_sentence(lab: Project) -> None:
    code, drill, out = run(lab, lab.root / EXAMPLE)
    assert code == 0, out
    assert drill["status"] == "passed" and not failed(drill), out
    assert all(phase["ran"] for phase in drill["phases"].values()), drill["phases"]  # `the alerts ...` too
    names = [c["name"] for c in drill["checks"]]
    for name in (
        "alert LedgerApiDown fires",
        "alert LedgerApiNoTraffic fires",
        "alert LedgerApiNoTraffic is inhibited",
        "only payments-oncall is notified",
        "no other alert fires",
        "at most 1 notification reaches payments-oncall",
    ):
        assert name in names, names
    resolved = next(c for c in drill["checks"] if c["name"].startswith("resolves within"))
    assert "LedgerApiDown's resolved notification to payments-oncall after" in resolved["actual"], resolved
    inhibited = next(c for c in drill["checks"] if c["name"] == "alert LedgerApiNoTraffic is inhibited")
    assert inhibited["actual"] == "inhibited by LedgerApiDown", inhibited
    noise = {n["alert"]: n for n in drill["noise"]}
    assert set(noise) == {"LedgerApiDown", "LedgerApiNoTraffic"}, drill["noise"]
    assert noise["LedgerApiDown"]["receivers"] == ["payments-oncall"] and noise["LedgerApiDown"]["notifications"] == 1
    quiet = noise["LedgerApiNoTraffic"]
    assert quiet["receivers"] == [] and quiet["suppressed_by"] == ["inhibited by LedgerApiDown"]
    assert quiet["states"][:2] == ["pending", "firing"] and quiet["labels"]["job"] == "ledger-api"
    assert [e for e in drill["events"] if e["details"].get("alert") == "LedgerApiNoTraffic"], "no lane for it"
    report = (lab.root / "reports" / "latest" / "scorecard.md").read_text()
    assert "## Alerts during the drills" in report and "inhibited by LedgerApiDown" in report
    junit = (lab.root / "reports" / "latest" / "junit.xml").read_text()
    assert "alert during the drill: LedgerApiNoTraffic" in junit


def test_a_second_team_paged_fails_the_drill_naming_alert_and_receiver(loud_lab: Project) -> None:
    code, drill, out = loud_drill(loud_lab, "second-team", 'Then only the contact group "payments-oncall" is notified')
    assert code == 1 and drill["status"] == "failed", out
    [check] = failed(drill)
    assert check["name"] == "only payments-oncall is notified"
    assert "LedgerApiNoTraffic reached receiver storefront-oncall (contact group storefront-oncall)" in check["message"]
    assert "LedgerApiDown" not in check["actual"], check


def test_an_alert_that_should_be_inhibited_but_paged_fails_the_drill(loud_lab: Project) -> None:
    code, drill, out = loud_drill(loud_lab, "not-inhibited", 'And the alert "LedgerApiNoTraffic" is inhibited')
    assert code == 1 and drill["status"] == "failed", out
    [check] = failed(drill)
    assert "LedgerApiNoTraffic should be inhibited but paged" in check["message"], check
    assert "storefront-oncall" in check["actual"] or "payments-oncall" in check["actual"], check
    noise = {n["alert"]: n for n in drill["noise"]}
    assert noise["LedgerApiNoTraffic"]["suppressed_by"] == [] and noise["LedgerApiNoTraffic"]["receivers"]


def test_a_storm_of_one_notification_too_many_fails_the_drill(loud_lab: Project) -> None:
    code, drill, out = loud_drill(
        loud_lab, "storm", 'And at most 1 notification reaches the contact group "payments-oncall"'
    )
    assert code == 1 and drill["status"] == "failed", out
    [check] = failed(drill)
    assert check["actual"] == "2 notification(s) (LedgerApiDown 1, LedgerApiNoTraffic 1)", check
    assert "2 notifications reached payments-oncall, 1 more than 1" in check["message"], check


QUIET = """Feature: a quiet start
  Scenario: refuses a noisy system
    Given no alert is firing
    When the fault "ledger-api-down" is injected
    Then the alert "LedgerApiDown" fires within 1 minute
"""


def test_a_drill_refuses_to_inject_into_a_system_where_an_alert_fires(loud_lab: Project) -> None:
    config = loud_lab.root / "quiet.yml"  # the same project, a short steady-state wait
    config.write_text(loud_lab.config_path.read_text() + "\nsteady_timeout: 2\n")
    feature = loud_lab.write_feature("quiet.feature", QUIET)
    services = LabServices(loud_lab.settings())
    prometheus = Prometheus(loud_lab.settings().prometheus)
    try:
        services.stop("payments-api")
        assert poll_until(lambda: prometheus.alert_active("PaymentsApiDown"), 30, 0.1), "PaymentsApiDown never fired"
        done = alertdrill("run", str(feature), "--config", str(config), timeout=120)
    finally:
        feature.unlink()
        services.start("payments-api")
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    drill = json.loads((loud_lab.root / "reports" / "latest" / "scorecard.json").read_text())["drills"][0]
    assert drill["status"] == "error", out
    # PaymentsApiDown is named (LedgerApiDown of an earlier drill may still fire: its keep_firing_for)
    assert "before the fault: " in drill["error"] and "PaymentsApiDown{" in drill["error"], drill["error"]
    assert "nothing was injected" in drill["error"]
    assert not [e for e in drill["events"] if e["name"] == "fault_injected"]
