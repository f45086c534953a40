"""What `alertdrill run` prints while a drill runs: events in time order and once each, with the
channel a notification took; a status line rewritten in place on a terminal, plain lines otherwise."""

from __future__ import annotations

import io
import time
from pathlib import Path

from alertdrill.publish.console import CLEAR_LINE, LiveOutput, event_line
from alertdrill.score.events import Event, EventName
from alertdrill.spec.model import AlertFires, InjectFault
from tests.session_fakes import ALERT, World, make_rig


def test_each_event_line_says_its_channel() -> None:
    def line(name: EventName, **details: str) -> str:
        return event_line(Event.make(name, 103.84, **details), 100.0)

    delivered = {"receiver": "storefront-oncall", "alert": "CheckoutApiErrors"}
    assert line(EventName.DELIVERED, channel="webhook", status="firing", **delivered) == (
        "    +3.84s notification_delivered (storefront-oncall, webhook)"
    )
    assert line(EventName.DELIVERED, channel="email", status="firing", **delivered).endswith(
        "(storefront-oncall, email)"
    )
    assert line(EventName.DELIVERED, channel="webhook", status="resolved", **delivered).endswith(
        "(storefront-oncall, webhook, resolved)"
    )
    assert line(EventName.ACKNOWLEDGED, via="link", by="ann").endswith("acknowledged (human, link, by ann)")
    assert line(EventName.RECEIVED, receivers="a,b").endswith("alert_received (routed to a,b)")
    assert event_line(Event.make(EventName.GROUP_FRESH, 99.96), 100.0) == "    -0.04s alertmanager_group_fresh"


def test_events_print_in_time_order_once_each_even_when_they_arrive_out_of_order(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, World())
    session = rig.session(InjectFault("fault"), AlertFires(ALERT, 0.2))
    timeline, now = session.timeline, time.time()
    timeline.record(EventName.FAULT_INJECTED, now - 10)
    # the located event (recorded by this process) arrives before the delivery an observer saw earlier
    timeline.record(EventName.LOCATED, now - 5.12)
    timeline.record(EventName.DELIVERED, now - 5.16, receiver="oncall", channel="webhook", status="firing")
    timeline.record(EventName.DELIVERED, now - 0.5, receiver="oncall", channel="email", status="firing")
    session._show_progress("x", 1.0)  # the email is younger than print_lag_s: it waits
    session._show_progress("x", 1.0)
    shown = [line for line in rig.said if line.startswith("    ")]
    assert shown == ["    +4.84s notification_delivered (oncall, webhook)", "    +4.88s fault_located"]
    session.close()  # the end prints what is left
    shown = [line for line in rig.said if line.startswith("    ")]
    assert shown[2:] == ["    +9.50s notification_delivered (oncall, email)"]


def test_on_a_terminal_the_waiting_line_is_rewritten_in_place_and_cleared_before_a_line() -> None:
    stream = io.StringIO()
    output = LiveOutput(stream, tty=True)
    assert output.status is not None
    output.status("  waiting for PaymentsApiDown to fire: 59 s left")
    output.status("  waiting for PaymentsApiDown to fire: 58 s left")
    output("    +0.95s alert_pending (PaymentsApiDown)")
    assert stream.getvalue() == (
        f"{CLEAR_LINE}  waiting for PaymentsApiDown to fire: 59 s left"
        f"{CLEAR_LINE}  waiting for PaymentsApiDown to fire: 58 s left"
        f"{CLEAR_LINE}    +0.95s alert_pending (PaymentsApiDown)\n"
    )


def test_off_a_terminal_there_is_no_status_line_only_plain_waiting_lines(tmp_path: Path) -> None:
    stream = io.StringIO()
    output = LiveOutput(stream, tty=False)
    assert output.status is None
    rig = make_rig(tmp_path, World())
    rig.parts.progress = output
    session = rig.session(InjectFault("fault"), AlertFires(ALERT, 0.2))
    session.timeline.record(EventName.FAULT_INJECTED)
    session._show_progress("PaymentsApiDown to fire", 42.0)
    assert stream.getvalue() == "  waiting for PaymentsApiDown to fire: 42.0 s left\n"
    assert "\r" not in stream.getvalue()


def test_on_a_terminal_the_session_keeps_one_waiting_line_and_no_plain_ones(tmp_path: Path) -> None:
    stream = io.StringIO()
    rig = make_rig(tmp_path, World())
    rig.parts.progress = LiveOutput(stream, tty=True)
    session = rig.session(InjectFault("fault"), AlertFires(ALERT, 0.2))
    session.timeline.record(EventName.FAULT_INJECTED)
    session._show_progress("PaymentsApiDown to fire", 42.0)
    session._show_progress("PaymentsApiDown to fire", 0.0)  # the wait is over: nothing left to count down
    assert stream.getvalue() == f"{CLEAR_LINE}  waiting for PaymentsApiDown to fire: 42.0 s left"
