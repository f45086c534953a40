"""Email receivers against the real lab: Alertmanager's email_configs deliver to the sink's SMTP side."""

from __future__ import annotations

import json

from alertdrill.testing import Project
from tests.conftest import alertdrill

BY_EMAIL = """Feature: email
  Scenario: Checkout errors reach storefront on-call by email
    Given the service "checkout-api" is healthy
    When the fault "checkout-api-errors" is injected
    Then the alert "CheckoutApiErrors" fires within 1 minute
    And the alert reaches the contact group "storefront-oncall" by email within 1 minute
    And the notification links the runbook "runbooks/checkout-api-errors.md"
"""
PAYMENTS_BY_EMAIL = """Feature: email where there is none
  Scenario: Payments by email
    When the fault "marker" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the alert reaches the contact group "payments-oncall" by email within 1 minute
"""


def test_an_email_reaches_the_contact_group_with_its_runbook_link(lab: Project) -> None:
    feature = lab.write_feature("email.feature", BY_EMAIL)
    done = alertdrill("run", str(feature), "--config", str(lab.config_path))
    card = json.loads((lab.root / "reports" / "latest" / "scorecard.json").read_text())
    drill = card["drills"][0]
    assert done.returncode == 0 and drill["status"] == "passed", done.stdout + done.stderr
    mails = [e for e in drill["events"] if e["name"] == "notification_delivered" and e["details"]["channel"] == "email"]
    assert mails, [e["name"] for e in drill["events"]]
    mail = mails[0]["details"]
    assert (mail["to"], mail["receiver"], mail["contact_group"], mail["status"]) == (
        "storefront-oncall@example.invalid",
        "storefront-oncall",
        "storefront-oncall",
        "firing",
    )
    assert mail["runbook_url"] == "https://github.com/acme/oncall/blob/main/runbooks/checkout-api-errors.md"
    assert drill["phases"]["notify"]["elapsed_s"] == mails[0]["t_s"]
    check = next(c for c in drill["checks"] if c["name"] == "routed to contact group by email")
    assert check["passed"]


def test_expecting_email_from_a_receiver_without_email_stops_in_preflight(lab: Project) -> None:
    feature = lab.write_feature("email-payments.feature", PAYMENTS_BY_EMAIL)
    done = alertdrill("run", str(feature), "--config", str(lab.config_path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert not (lab.root / "injected.marker").exists()
    assert "drills/no-email: the drill expects email, but receiver payments-oncall has no email_configs" in done.stdout
