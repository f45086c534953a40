"""Delivery evidence and named causes on the timeline (pure scoring), and Alertmanager's send counters."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from alertdrill.observe.sends import Counter, Tally, read_counters, rises
from alertdrill.observe.watch import Watch, WatchTarget
from alertdrill.score.events import EventName, Timeline
from alertdrill.score.scorecard import Evidence
from alertdrill.score.scoring import check_reaches
from alertdrill.spec.model import ReachesContactGroup

T0 = 1_800_000_000.0
STEP = ReachesContactGroup("team", 60.0)
RECEIVED = (EventName.RECEIVED, 1.0, {"alert": "A", "starts_at": f"{T0 + 1}", "receivers": "r"})


def timeline(*events: tuple[EventName, float, dict[str, str]]) -> Timeline:
    line = Timeline()
    line.record(EventName.FAULT_INJECTED, T0)
    for name, offset, details in events:
        line.record(name, T0 + offset, **details)
    return line


SENT = {"alert": "A", "receiver": "r", "contact_group": "team", "integration": "webhook", "per_receiver": "true"}


def test_alertmanagers_counters_prove_a_delivery_the_sink_never_saw() -> None:
    check = check_reaches(STEP, "r", "A", timeline(RECEIVED, (EventName.NOTIFIED, 3.0, SENT)).events())
    assert check.passed and check.evidence == Evidence.ALERTMANAGER
    assert check.message == "Alertmanager reports a successful webhook send"


def test_a_failed_send_fails_naming_receiver_and_integration_even_beside_a_success() -> None:
    failed = {**SENT, "metric": "alertmanager_notification_requests_failed_total"}
    events = timeline(RECEIVED, (EventName.NOTIFIED, 3.0, SENT), (EventName.NOTIFY_FAILED, 3.0, failed)).events()
    check = check_reaches(STEP, "r", "A", events)
    assert not check.passed and check.actual == "send failed"
    assert check.message.startswith("Alertmanager could not deliver to r's webhook")


def test_a_send_before_alertmanager_had_the_alert_proves_nothing() -> None:
    check = check_reaches(STEP, "r", "A", timeline((EventName.NOTIFIED, 0.5, SENT), RECEIVED).events())
    assert not check.passed and check.actual == "routed only"
    assert "only routing was seen (evidence: routed)" in check.message


def test_routing_passes_only_where_the_contact_group_accepts_it() -> None:
    accepted = (EventName.RECEIVED, 1.0, {**RECEIVED[2], "routed_groups": "team"})
    check = check_reaches(STEP, "r", "A", timeline(accepted).events())
    assert check.passed and check.evidence == Evidence.ROUTED


def test_a_named_suppression_wins_and_an_impossible_budget_shows_its_arithmetic() -> None:
    cause = 'inhibited by NodeDown{team="x"} through inhibit_rules[0]'
    suppressed = (EventName.SUPPRESSED, 1.5, {"alert": "A", "kind": "inhibited", "cause": cause})
    check = check_reaches(STEP, "r", "A", timeline(RECEIVED, suppressed).events())
    assert (check.actual, check.passed) == ("suppressed", False) and cause in check.message
    path = {"notify_floor_s": "90", "arithmetic": "floor 90 s = for 60 s + group_wait 30 s", "hot": "false"}
    check = check_reaches(STEP, "r", "A", timeline(RECEIVED, (EventName.ALERT_PATH, -1.0, path)).events())
    assert "it can never fit 60.0 s: floor 90 s = for 60 s + group_wait 30 s" in check.message


def test_a_late_delivery_is_split_into_detection_grouping_and_sending() -> None:
    path = {"notify_floor_s": "30", "arithmetic": "floor 30 s = group_wait 30 s", "grouping_s": "30", "hot": "false"}
    delivered = {"alert": "A", "contact_group": "team", "status": "firing", "receiver": "r"}
    events = timeline(
        (EventName.ALERT_PATH, -1.0, path),
        (EventName.RECEIVED, 40.0, {**RECEIVED[2], "starts_at": f"{T0 + 40}"}),
        (EventName.DELIVERED, 75.0, delivered),
    ).events()
    check = check_reaches(STEP, "r", "A", events)
    assert "detection 40.0 s, grouping 30.0 s, sending 5.0 s" in check.message and check.evidence == Evidence.SINK


METRICS = """# TYPE alertmanager_notification_requests_total counter
alertmanager_notification_requests_total{integration="webhook"} 5
alertmanager_notification_requests_total{integration="email"} 1
# TYPE alertmanager_notification_requests_failed_total counter
alertmanager_notification_requests_failed_total{integration="webhook"} 2
# TYPE alertmanager_notifications_failed_total counter
alertmanager_notifications_failed_total{integration="email",reason="other",receiver="mail"} 1
"""


def test_send_counters_are_read_as_successes_and_failures_per_integration_and_receiver() -> None:
    counters = read_counters([METRICS])
    assert counters[Counter("webhook")] == Tally(3.0, 2.0)
    assert counters[Counter("email", "mail")] == Tally(0.0, 1.0)
    later = {**counters, Counter("webhook"): Tally(4.0, 2.0)}
    assert rises(counters, later) == [(Counter("webhook"), False)]


def test_email_to_a_group_whose_mailbox_is_read_back_is_proven_only_by_the_mailbox() -> None:
    """Alertmanager's email counter says the SMTP server took the message, not that it reached the
    mailbox: where the contact group's mailbox is read, only a message found there counts."""
    by_email = ReachesContactGroup("team", 60.0, channel="email")
    mailed = {**SENT, "integration": "email"}
    watched = (EventName.MAILBOX_WATCHED, 0.1, {"contact_group": "team", "mailbox": "imap://u@127.0.0.1:1/INBOX"})
    check = check_reaches(by_email, "r", "A", timeline(RECEIVED, (EventName.NOTIFIED, 3.0, mailed)).events())
    assert check.passed and check.evidence == Evidence.ALERTMANAGER  # no mailbox: the counter is the proof
    events = timeline(watched, RECEIVED, (EventName.NOTIFIED, 3.0, mailed)).events()
    check = check_reaches(by_email, "r", "A", events)
    assert not check.passed and check.evidence != Evidence.ALERTMANAGER


def test_a_send_the_receiver_may_have_made_for_another_alert_proves_nothing_and_says_so() -> None:
    shared = {**SENT, "shared_with": 'NodeDown{team="x"}'}
    check = check_reaches(STEP, "r", "A", timeline(RECEIVED, (EventName.NOTIFIED, 3.0, shared)).events())
    assert not check.passed and check.evidence is None
    assert 'webhook send counter for r rose, but that receiver also had NodeDown{team="x"} to send' in check.message


class CountingAlertmanager:
    """Alertmanager as the watcher reads it: the drilled alert's state, the alerts of each receiver, and
    one webhook counter (no receiver label, as Alertmanager 0.25 writes it) that `sent` raises."""

    def __init__(self, state: str, others: list[dict[str, str]]) -> None:
        self.state, self.others, self.sent = state, others, 0
        self.starts = datetime.now(UTC).isoformat()

    def alerts(self, alertname: str, labels: object = None, shared: bool = True) -> list[dict[str, object]]:
        status = {"state": self.state, "inhibitedBy": ["f1"] if self.state == "suppressed" else []}
        return [{"labels": {"alertname": "A"}, "startsAt": self.starts, "status": status, "receivers": [{"name": "r"}]}]

    def every_alert(self) -> list[dict[str, object]]:
        held = [({"alertname": "A"}, self.state), *((labels, "active") for labels in self.others)]
        return [{"labels": labels, "status": {"state": state}, "receivers": [{"name": "r"}]} for labels, state in held]

    def metrics(self) -> list[str]:
        return [f'alertmanager_notification_requests_total{{integration="webhook"}} {self.sent}\n']


def sends_seen(alertmanager: CountingAlertmanager) -> list[dict[str, str]]:
    """The send events a watcher records when the receiver's webhook counter rises once after the alert came."""
    timeline = Timeline()
    watch = Watch(
        WatchTarget("A", time.time() - 5, lambda receiver: "team"),
        timeline,
        None,  # type: ignore[arg-type]  # Prometheus is not read here
        alertmanager,  # type: ignore[arg-type]
        None,
        metrics_every_s=0.0,
        integrations={"r": ("webhook",)},
    )
    watch._poll_metrics()  # the baseline
    watch._poll_alertmanager()
    alertmanager.sent += 1
    watch._poll_metrics()
    return [dict(e.details) for e in timeline.events() if e.name == EventName.NOTIFIED]


def test_a_counter_rise_while_alertmanager_holds_the_alert_back_is_another_alerts_send() -> None:
    """Found by CI: a standing NodeDown, routed to the same receiver and sent 1 s into the drill, passed a
    drill whose alert was inhibited the whole time."""
    assert sends_seen(CountingAlertmanager("suppressed", [])) == []
    (alone,) = sends_seen(CountingAlertmanager("active", []))
    assert alone["receiver"] == "r" and "shared_with" not in alone
    (shared,) = sends_seen(CountingAlertmanager("active", [{"alertname": "NodeDown", "team": "x"}]))
    assert shared["shared_with"] == 'NodeDown{team="x"}'


def test_a_failed_send_the_receiver_may_have_made_for_another_alert_is_not_blamed_on_this_one() -> None:
    failed = {**SENT, "metric": "alertmanager_notification_requests_failed_total", "shared_with": 'NodeDown{team="x"}'}
    check = check_reaches(STEP, "r", "A", timeline(RECEIVED, (EventName.NOTIFY_FAILED, 3.0, failed)).events())
    assert not check.passed and check.actual != "send failed"
    assert "failed-send counter for r rose, but that receiver also had NodeDown" in check.message


def test_a_counter_rise_proves_nothing_for_an_alert_alertmanager_held_back() -> None:
    cause = "muted by the time interval always on route route.routes[0] (receiver r)"
    muted = (EventName.SUPPRESSED, 1.5, {"alert": "A", "kind": "muted", "cause": cause})
    check = check_reaches(STEP, "r", "A", timeline(RECEIVED, muted, (EventName.NOTIFIED, 3.0, SENT)).events())
    assert not check.passed and check.actual == "suppressed" and cause in check.message


def test_a_rise_seen_while_alertmanager_does_not_answer_is_kept_for_the_next_poll() -> None:
    alertmanager = CountingAlertmanager("active", [])
    timeline = Timeline()
    watch = Watch(
        WatchTarget("A", time.time() - 5, lambda receiver: "team"),
        timeline,
        None,  # type: ignore[arg-type]
        alertmanager,  # type: ignore[arg-type]
        None,
        metrics_every_s=0.0,
        integrations={"r": ("webhook",)},
    )
    watch._poll_metrics()
    watch._routed.add("r")  # routed, but its state not yet read
    alertmanager.sent += 1
    answers = alertmanager.alerts
    alertmanager.alerts = lambda *args, **kwargs: (_ for _ in ()).throw(ConnectionError("down"))  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        watch._poll_metrics()
    alertmanager.alerts = answers  # type: ignore[method-assign]
    watch._poll_metrics()
    assert [e.detail("receiver") for e in timeline.events() if e.name == EventName.NOTIFIED] == ["r"]
