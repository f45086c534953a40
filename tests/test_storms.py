"""Round-2 vocabulary (no strays, no storms) without a lab: the sentences compile exactly as the contract
writes them, the verdicts name who was paged, the noise picture survives the scorecard JSON, lint finds
storm-prone configurations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from alertdrill.cli import cmd_steps
from alertdrill.errors import DrillError, SpecError
from alertdrill.lint.report import lint
from alertdrill.score.events import Event, EventName
from alertdrill.score.noise import (
    check_at_most,
    check_inhibited,
    check_no_other,
    check_only_group,
    check_resolves,
    noise_picture,
)
from alertdrill.score.scorecard import DrillResult, Scorecard, Status
from alertdrill.spec.features import compile_feature
from alertdrill.spec.model import (
    AlertFires,
    AlertInhibited,
    AlertsFire,
    AtMostNotifications,
    InjectFault,
    NoOtherAlert,
    OnlyContactGroup,
    QuietStart,
    ResolvesAfterRevert,
)
from alertdrill.testing import Project, copy_project
from tests.session_fakes import ALERT, GROUP, World, make_rig, routed

REPO = Path(__file__).resolve().parents[1]

CONTRACT_DRILL = """Feature: round 2
  Scenario: every sentence of round 2
    Given no alert is firing
    When the fault "ledger-api-down" is injected
    Then the alerts "NodeDown", "NodeExporterDown" fire within 1 minute
    Then only the contact group "payments-oncall" is notified
    And no other alert fires
    And the alert "PaymentsLatencyHigh" is inhibited
    And at most 2 notifications reach the contact group "payments-oncall"
    And the alert resolves within 2 minutes of the fault being reverted
"""


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    yield copy_project(REPO, tmp_path / "project")


def compile_text(project: Project, text: str) -> list[object]:
    path = project.write_feature("round2.feature", text)
    settings = project.settings()
    from alertdrill.catalog.contact_groups import ContactGroups

    drills = compile_feature(path, settings, ContactGroups.load(settings.contact_groups))
    return list(drills[0].steps)


def test_the_contract_sentences_compile_exactly_as_written(project: Project) -> None:
    steps = compile_text(project, CONTRACT_DRILL)
    assert steps[0] == QuietStart(3)
    assert steps[2] == AlertsFire(("NodeDown", "NodeExporterDown"), 60.0, 5)
    assert steps[3:] == [
        OnlyContactGroup("payments-oncall", 6),
        NoOtherAlert(7),
        AlertInhibited("PaymentsLatencyHigh", 8),
        AtMostNotifications(2, "payments-oncall", 9),
        ResolvesAfterRevert(120.0, 10),
    ]


@pytest.mark.parametrize(
    ("step", "said"),
    [
        ('Then the alerts "NodeDown" fire within 1 minute', "is not a list of alert names"),
        ('Then the alerts "A", "A" fire within 1 minute', "names an alert twice"),
        ('Then only the contact group "nobody" is notified', 'unknown contact group "nobody"'),
        ('Then at most 2 notifications reach the contact group "sre"', "needs the alert named first"),
    ],
)
def test_a_wrong_round_2_sentence_is_refused_at_its_line(project: Project, step: str, said: str) -> None:
    text = f'Feature: f\n  Scenario: s\n    When the fault "ledger-api-down" is injected\n    {step}\n'
    with pytest.raises(SpecError) as caught:
        compile_text(project, text)
    assert said in str(caught.value) and ":4" in str(caught.value), str(caught.value)


def test_nothing_that_needs_the_fault_may_follow_its_revert(project: Project) -> None:
    text = (
        'Feature: f\n  Scenario: s\n    When the fault "ledger-api-down" is injected\n'
        '    Then the alert "LedgerApiDown" fires within 1 minute\n'
        "    And the alert resolves within 1 minute of the fault being reverted\n"
        "    And the runbook locates the fault within 5 minutes\n"
    )
    with pytest.raises(SpecError) as caught:
        compile_text(project, text)
    assert "reverts it" in str(caught.value) and ":6" in str(caught.value)


def test_steps_lists_every_round_2_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    assert cmd_steps(argparse.Namespace()) == 0
    out = capsys.readouterr().out
    for sentence in (
        "Given no alert is firing",
        "Then the alerts {alerts} fire within {budget}",
        'Then only the contact group "{group}" is notified',
        "Then no other alert fires",
        'Then the alert "{alert}" is inhibited',
        'Then at most {count} notifications reach the contact group "{group}"',
        "Then the alert resolves within {budget} of the fault being reverted",
    ):
        assert sentence in out, sentence


T0 = 1_800_000_000.0


def ev(name: EventName, t: float, **details: str) -> Event:
    return Event.make(name, T0 + t, **details)


def paged(alert: str, receiver: str, t: float, arrival: str, **more: str) -> list[Event]:
    """Alertmanager had `alert` and routed it to `receiver`; a notification of it arrived there."""
    return [
        ev(EventName.FIRING, t - 1, alert=alert),
        ev(EventName.RECEIVED, t - 0.5, alert=alert, receivers=receiver, state="active", fingerprint=alert),
        ev(
            EventName.DELIVERED,
            t,
            alert=alert,
            receiver=receiver,
            contact_group=receiver,
            status="firing",
            fingerprint=alert,
            authenticated="true",
            arrival=arrival,
            **more,
        ),
    ]


BASE = [ev(EventName.FAULT_INJECTED, 0)]


def test_only_one_group_names_the_other_alert_and_receiver() -> None:
    events = BASE + paged("LedgerApiDown", "payments-oncall", 3, "1") + paged("LedgerApiNoTraffic", "sre", 5, "2")
    check = check_only_group("payments-oncall", "payments-oncall", events)
    assert not check.passed
    assert "LedgerApiNoTraffic reached receiver sre" in check.message, check.message
    assert check_only_group("payments-oncall", "payments-oncall", events[:4]).passed


def test_a_forged_notification_pages_nobody() -> None:
    forged = [
        ev(EventName.DELIVERED, 4, alert="X", receiver="sre", status="firing", authenticated="false", arrival="9")
    ]
    assert check_only_group("payments-oncall", "payments-oncall", BASE + forged).passed


def test_no_other_alert_names_the_stray_with_its_labels() -> None:
    events = [
        *BASE,
        ev(EventName.PENDING, 1, alert="LedgerApiDown"),
        ev(EventName.PENDING, 2, alert="DiskFull", series='instance="db-1"'),
    ]
    check = check_no_other(("LedgerApiDown",), events)
    assert not check.passed and 'DiskFull{instance="db-1"}' in check.actual and "DiskFull" in check.message
    assert check_no_other(("LedgerApiDown", "DiskFull"), events).passed


def test_inhibited_passes_only_when_alertmanager_inhibits_and_nobody_is_paged() -> None:
    source = ev(EventName.RECEIVED, 2, alert="LedgerApiDown", receivers="p", state="active", fingerprint="f1")
    quiet = [
        ev(EventName.FIRING, 4, alert="NoTraffic"),
        ev(EventName.RECEIVED, 5, alert="NoTraffic", receivers="p", state="suppressed", inhibited_by="f1"),
    ]
    passed = check_inhibited("NoTraffic", [*BASE, source, *quiet])
    assert passed.passed and passed.actual == "inhibited by LedgerApiDown"
    loud = check_inhibited("NoTraffic", BASE + paged("NoTraffic", "payments-oncall", 5, "3"))
    assert not loud.passed and "should be inhibited but paged payments-oncall" in loud.message
    never = check_inhibited("NoTraffic", BASE)
    assert not never.passed and "never fired" in never.message
    active = check_inhibited(
        "NoTraffic", [*BASE, quiet[0], ev(EventName.RECEIVED, 5, alert="NoTraffic", state="active")]
    )
    assert not active.passed and "did not inhibit" in active.message


def test_at_most_n_counts_notifications_not_alerts_in_them() -> None:
    two = BASE + paged("A", "p", 3, "1") + paged("B", "p", 4, "2")
    assert check_at_most(2, "payments-oncall", "p", ("A", "B"), two).passed
    storm = check_at_most(1, "payments-oncall", "p", ("A", "B"), two)
    assert not storm.passed and "2 notifications reached payments-oncall, 1 more than 1" in storm.message
    assert "A 1, B 1" in storm.message
    same_call = BASE + paged("A", "p", 3, "1") + paged("B", "p", 3, "1")
    assert check_at_most(1, "payments-oncall", "p", ("A", "B"), same_call).passed


def test_resolution_is_measured_from_the_revert() -> None:
    events = BASE + paged("A", "p", 3, "1")
    events += [ev(EventName.FAULT_REVERTED, 10), ev(EventName.RESOLVED, 12, alert="A")]
    resolved_note = ev(
        EventName.DELIVERED, 13, alert="A", receiver="p", status="resolved", fingerprint="A", authenticated="true"
    )
    assert check_resolves(5, ("A",), T0 + 10, frozenset(), events).passed
    missing = check_resolves(5, ("A",), T0 + 10, frozenset({"p"}), events)
    assert not missing.passed and "A's resolved notification to p: not within 5.0 s" in missing.message
    assert check_resolves(5, ("A",), T0 + 10, frozenset({"p"}), [*events, resolved_note]).passed
    assert not check_resolves(1, ("A",), T0 + 10, frozenset(), events).passed


def test_the_noise_picture_round_trips_through_the_scorecard_json() -> None:
    events = BASE + paged("A", "p", 3, "1")
    events += [
        ev(EventName.PENDING, 4, alert="B", series='job="x"'),
        ev(EventName.RECEIVED, 5, alert="B", series='job="x"', receivers="p", state="suppressed", inhibited_by="A"),
    ]
    noise = noise_picture(("A",), events)
    assert [(n.alert, n.named, n.receivers) for n in noise] == [("A", True, ["p"]), ("B", False, [])]
    assert noise[1].labels == {"job": "x"} and noise[1].suppressed_by == ["inhibited by A"]
    drill = DrillResult("d", "f", Status.PASSED, "A", "p", {}, [], [], noise=noise)
    again = Scorecard.from_json(Scorecard("r", T0, T0 + 1, [drill]).to_json())
    assert again.drills[0].noise == noise
    assert json.loads(Scorecard("r", T0, T0 + 1, [drill]).to_json())["drills"][0]["noise"][1]["alert"] == "B"


def _storm_prone(project: Project) -> None:
    am = project.root / "alerts" / "alertmanager.yml"
    text = am.read_text().replace("equal: [job, drill_run]", "equal: []")
    am.write_text(text.replace("group_by: [alertname, drill_run]", "group_by: [alertname, instance]"))


def test_lint_warns_of_storm_prone_configuration(project: Project) -> None:
    assert not [f for f in lint(project.settings()).findings if f.rule.startswith("storms/")]
    _storm_prone(project)
    found = {(f.rule, f.path, f.alert) for f in lint(project.settings()).findings if f.rule.startswith("storms/")}
    assert ("storms/per-instance-grouping", "alerts/alertmanager.yml", "LedgerApiDown") in found
    assert ("storms/inhibit-equal-empty", "alerts/alertmanager.yml", None) in found
    assert ("storms/per-instance-grouping", "alerts/alertmanager.yml", "CheckoutApiErrors") not in found  # sum by job


def test_lint_warns_of_dependent_alerts_without_inhibition(project: Project) -> None:
    am = project.root / "alerts" / "alertmanager.yml"
    text = am.read_text()
    am.write_text(text[: text.index("inhibit_rules:")] + text[text.index("receivers:") :])
    found = [f for f in lint(project.settings()).findings if f.rule == "storms/no-inhibition"]
    assert len(found) == 1 and found[0].alert == "LedgerApiNoTraffic" and found[0].severity == "warning"
    assert found[0].path == "alerts/rules.yml" and found[0].line > 1
    assert 'source_matchers: [alertname="LedgerApiDown"]' in found[0].fix


def test_a_noisy_system_is_refused_before_the_fault_naming_what_fires(tmp_path: Path) -> None:
    rig = make_rig(
        tmp_path, World(firing=[{"labels": {"alertname": "DiskFull", "instance": "db-1"}, "state": "firing"}])
    )
    session = rig.session(QuietStart(), InjectFault("fault"), AlertFires(ALERT, 1))
    with pytest.raises(DrillError, match=r'DiskFull\{instance="db-1"\} \(firing\)'):
        rig.run(session)
    result = session.close()
    assert result.status == "error" and "nothing was injected" in (result.error or "")
    assert rig.world.injected == 0


def test_a_page_after_the_step_fails_the_drill_when_it_ends(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, World(script=routed()))
    session = rig.session(InjectFault("fault"), AlertFires(ALERT, 5), OnlyContactGroup(GROUP))
    rig.run(session)
    assert session.checks[-1].passed
    for event in paged("DiskFull", "storage-pager", 0, "7"):
        session.timeline.add(event)
    result = session.close()
    assert result.status == "failed", result.checks
    assert "DiskFull reached receiver storage-pager" in result.verdict()
    assert [(n.alert, n.named) for n in result.noise] == [(ALERT, True), ("DiskFull", False)]
