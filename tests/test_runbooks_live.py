"""Runbooks run during the drill against the real lab: Diagnose locates, Remediate recovers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alertdrill.testing import Project
from tests.conftest import alertdrill, harness_steps

DRILL = """Feature: runbook proven
  Scenario: Payments runbook
    Given the service "payments-api" is healthy
    When the fault "payments-api-down" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the runbook locates the fault within {locate}
    And the service recovers within {recover}
"""

RUNBOOK = """---
alerts: [PaymentsApiDown]
---
# Payments API down

## Diagnose
```promql
{diagnose}
```

## Remediate
```sh
{remediate}
```
"""


@pytest.fixture
def runbook(lab: Project) -> Iterator[Path]:
    """The payments runbook of the lab's project, restored after the test rewrites it."""
    path = lab.root / "runbooks" / "payments-api-down.md"
    original = path.read_text()
    yield path
    path.write_text(original)


def drill(lab: Project, locate: str = "5 minutes", recover: str = "10 minutes") -> dict[str, Any]:
    feature = lab.write_feature("runbook.feature", DRILL.format(locate=locate, recover=recover))
    done = alertdrill("run", str(feature), "--config", str(lab.config_path))
    card = json.loads((lab.root / "reports" / "latest" / "scorecard.json").read_text())
    assert done.returncode == (0 if card["drills"][0]["status"] == "passed" else 1), done.stdout + done.stderr
    result: dict[str, Any] = card["drills"][0]
    return result


def test_a_diagnose_step_that_never_finds_the_fault_fails_on_locate(lab: Project, runbook: Path) -> None:
    runbook.write_text(
        RUNBOOK.format(diagnose='up{job="payments-api"} == 42', remediate="alertdrill lab service start payments-api")
    )
    result = drill(lab, locate="4 seconds")
    assert result["status"] == "failed"
    assert result["phases"]["locate"] == {"budget_s": 4.0, "elapsed_s": None, "passed": False, "ran": True}
    check = next(c for c in result["checks"] if c["name"] == "runbook locates the fault")
    assert "Diagnose step at runbooks/payments-api-down.md:8" in check["message"]
    assert '`up{job="payments-api"} == 42`' in check["message"] and "0 series" in check["message"]
    assert "recover" in result["phases"] and result["phases"]["recover"]["elapsed_s"] is None


def test_a_remediate_step_that_does_not_fix_the_service_fails_on_recover(lab: Project, runbook: Path) -> None:
    runbook.write_text(RUNBOOK.format(diagnose='up{job="payments-api"} == 0', remediate="echo restarting; true"))
    result = drill(lab, recover="8 seconds")
    assert result["status"] == "failed"
    assert result["phases"]["locate"]["passed"]
    check = next(c for c in result["checks"] if c["name"] == "service recovers")
    assert check["actual"] == "not healthy, alert still firing"
    assert "the Remediate steps ran but did not fix the service" in check["message"]
    assert harness_steps(result["events"])[-1] == "fault_reverted"


def test_a_failing_remediate_step_is_named_with_its_output(lab: Project, runbook: Path) -> None:
    runbook.write_text(
        RUNBOOK.format(diagnose='up{job="payments-api"} == 0', remediate="echo permission denied >&2; exit 4")
    )
    result = drill(lab, recover="6 seconds")
    check = next(c for c in result["checks"] if c["name"] == "service recovers")
    assert "Remediate step at runbooks/payments-api-down.md:13 failed" in check["message"]
    assert "exit 4: permission denied" in check["message"]


LINKED = """Feature: runbook link
  Scenario: Payments runbook link
    Given the service "payments-api" is healthy
    When the fault "payments-api-down" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the notification links the runbook "runbooks/payments-api-down.md"
"""


def test_a_link_to_a_runbook_that_is_gone_fails_showing_url_and_expectation(lab: Project, runbook: Path) -> None:
    runbook.rename(runbook.with_name("payments-api-down-old.md"))
    try:
        feature = lab.write_feature("linked.feature", LINKED)
        # Preflight would stop this drill (drills/runbook-missing); the live check is proven on its own.
        done = alertdrill("run", str(feature), "--config", str(lab.config_path), "--no-preflight")
    finally:
        runbook.with_name("payments-api-down-old.md").rename(runbook)
    card = json.loads((lab.root / "reports" / "latest" / "scorecard.json").read_text())
    assert done.returncode == 1, done.stdout + done.stderr
    check = next(c for c in card["drills"][0]["checks"] if c["name"] == "notification links runbook")
    url = "https://github.com/acme/oncall/blob/main/runbooks/payments-api-down.md"
    assert (check["passed"], check["expected"], check["actual"]) == (False, "runbooks/payments-api-down.md", url)
    assert check["message"] == (
        f"the notification links {url}: runbooks/payments-api-down.md is not a runbook "
        "under runbooks/: create it or fix the link"
    )
