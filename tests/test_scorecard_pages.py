"""The HTML and Markdown scorecards as a person reads them: labels that never overlap, one lane per
alert, phases that did not run drawn as "not run" (never red), the trend chart from two runs on with
axes, values and the budget, passed drills' checks and runbook steps behind a <details>."""

from __future__ import annotations

import re
from itertools import combinations

import pytest

from alertdrill.publish.reports import timeline
from alertdrill.publish.reports.timeline import timeline_view
from alertdrill.publish.reports.trend import trend_view
from alertdrill.publish.reports.writer import compliance, render_html, render_markdown
from alertdrill.score.scorecard import (
    Check,
    DrillResult,
    EventRecord,
    Phase,
    PhaseResult,
    RunbookStepResult,
    Scorecard,
    Status,
)

RED = "#d93025"
NAMES = ["fault_injected", "alert_pending", "alert_firing", "alert_received", "notification_delivered"]
NAMES += ["fault_located", "service_recovered", "alert_resolved", "fault_reverted"]


def event(name: str, t_s: float, **details: str) -> EventRecord:
    return EventRecord(name, f"2026-11-23T10:00:{t_s:06.3f}Z", t_s, details)


def drill(
    events: list[EventRecord],
    phases: dict[Phase, PhaseResult] | None = None,
    status: Status = Status.PASSED,
    **more: object,
) -> DrillResult:
    return DrillResult(
        name=str(more.pop("name", "kill the API")),
        feature="drills/x.feature",
        status=status,
        alert="PaymentsApiDown",
        contact_group="payments-oncall",
        phases=phases if phases is not None else {Phase.ALERT: PhaseResult(60.0, 2.0, True)},
        checks=list(more.pop("checks", [])),  # type: ignore[call-overload]
        events=events,
        fault="payments-api-down",
        **more,  # type: ignore[arg-type]
    )


def close_events(start: float, step: float, alerts: list[str]) -> list[EventRecord]:
    """Every shown event of every alert, `step` seconds apart, alert events carrying their `alert`."""
    found, t = [], start
    for name in NAMES:
        if name.startswith(("alert_", "notification_")):
            for alert in alerts:
                details = {"alert": alert}
                if name == "notification_delivered":
                    found.append(event(name, t, channel="webhook", status="firing", **details))
                    t += step
                    details |= {"channel": "email", "status": "resolved"}
                found.append(event(name, t, **details))
                t += step
        else:
            found.append(event(name, t))
            t += step
    return found


def overlaps(view: timeline.TimelineView) -> list[tuple[str, str]]:
    return [(a.text, b.text) for a, b in combinations(view.marks, 2) if a.box.intersects(b.box)]


@pytest.mark.parametrize("start", [0.0, 3.84, 57.0])
@pytest.mark.parametrize("alerts", [["PaymentsApiDown"], ["PaymentsApiDown", "NodeDown", "NodeExporterDown"]])
def test_labels_of_events_10_ms_apart_never_overlap_and_stay_on_the_picture(start: float, alerts: list[str]) -> None:
    view = timeline_view(drill(close_events(start, 0.01, alerts)))
    assert len(view.marks) == 4 + len(alerts) * 6, [m.text for m in view.marks]
    assert overlaps(view) == []
    assert all(m.box.x0 >= 0 and m.box.x1 <= timeline.WIDTH for m in view.marks)
    assert all(m.box.y1 < lane.y for lane in view.lanes for m in lane.marks)  # above the lane's own axis
    assert len({m.text for m in view.marks}) == len(view.marks)  # 10 ms apart still reads apart
    lanes = [lane.name for lane in view.lanes]
    assert lanes == ["drill", *alerts]  # the drill's own events, then one lane per alert


def test_a_storm_draws_one_lane_per_alert_named_in_the_events() -> None:
    storm = [f"Storm{i:02d}" for i in range(12)]
    events = [event("fault_injected", 0.0)] + [
        event("alert_firing", 1.0 + i * 0.01, alert=name) for i, name in enumerate(storm)
    ]
    view = timeline_view(drill(events))
    assert [lane.name for lane in view.lanes] == ["drill", "PaymentsApiDown", *storm]
    assert overlaps(view) == []
    ys = [lane.y for lane in view.lanes]
    assert ys == sorted(ys) and len(set(ys)) == len(ys)
    html = render_html(Scorecard("r", 0.0, 1.0, [drill(events)]))
    assert html.count('<g class="lane"') == 14 and ">fired 2.00s</text>" in html  # the alert phase's time


def test_well_spread_events_share_one_row() -> None:
    events = [event("fault_injected", 0.0), event("fault_located", 50.0), event("fault_reverted", 100.0)]
    (lane,) = [lane for lane in timeline_view(drill(events)).lanes if lane.name == "drill"]
    assert {m.baseline for m in lane.marks} == {lane.marks[0].baseline}


def not_run_card() -> Scorecard:
    missed = drill(
        [event("fault_injected", 0.0), event("fault_reverted", 5.1)],
        {
            Phase.ALERT: PhaseResult(5.0, None, False),
            Phase.NOTIFY: PhaseResult(60.0, None, False, ran=False),
            Phase.RECOVER: PhaseResult(600.0, None, False, ran=False),
        },
        Status.FAILED,
        name="missed",
    )
    stopped = drill(
        [],
        {p: PhaseResult(60.0, None, False, ran=False) for p in (Phase.ALERT, Phase.NOTIFY)},
        Status.ERROR,
        name="stopped",
        error="preflight found 1 problem, nothing was injected",
    )
    return Scorecard("r", 0.0, 1.0, [missed, stopped])


def bars_of(html: str) -> list[str]:
    return re.findall(r'<rect class="phase-bar[^>]*>', html)


def test_phases_that_did_not_run_are_drawn_not_run_in_a_neutral_colour_never_red() -> None:
    card = not_run_card()
    html = render_html(card)
    bars = bars_of(html)
    assert len(bars) == 5
    assert [b for b in bars if RED in b] == [b for b in bars if "missed" in b]
    assert RED in bars[0] and all("not-run" in b and RED not in b and "#ffffff" in b for b in bars[1:])
    assert html.count(">not run</text>") == 4
    assert "No events to draw: the drill ended before its fault took effect." in html
    assert "no event of PaymentsApiDown during the drill" in html  # the drilled alert's lane, empty
    assert [bar.state for bar in timeline_view(card.drills[0]).bars] == ["missed", "not-run", "not-run"]
    assert compliance(card) == "0%"  # the stopped drill says nothing about the 1-5-10 policy
    assert compliance(Scorecard("r", 0.0, 1.0, card.drills[1:])) == "-"


def test_markdown_has_one_column_per_header_and_says_not_run() -> None:
    markdown = render_markdown(not_run_card())
    header = next(line for line in markdown.splitlines() if line.startswith("| drill"))
    names = [cell.strip() for cell in header.strip("|").split("|")]
    assert len(names) == len(set(names)) == 8, names
    assert "| missed | failed | PaymentsApiDown | payments-oncall | - / 5 s **missed** | not run | - | not run |" in (
        markdown
    )
    assert "| stopped | error | PaymentsApiDown | payments-oncall | not run | not run | - | - |" in markdown


def test_the_trend_needs_two_runs_and_has_axes_values_and_the_budget_line() -> None:
    assert trend_view([], 60.0) is None and trend_view([3.0], 60.0) is None
    view = trend_view([3.0, None, 4.5], 60.0)
    assert view is not None
    assert [p.text for p in view.points] == ["3.0 s", "never", "4.5 s"]
    assert [label for _, label in view.x_ticks] == ["1", "2", "3"]
    labels = [label for _, label in view.y_ticks]
    assert labels[0] == "0 s" and "60 s" in labels
    assert view.y_ticks[-1][0] < view.budget_y < view.y_ticks[0][0]  # the budget line inside the plot
    key = "drills/x.feature::kill the API"
    one = render_html(Scorecard("r", 0.0, 1.0, [drill([event("fault_injected", 0.0)])]), {key: [2.0]})
    assert "Time to alert" not in one and '<svg class="trend"' not in one
    two = render_html(Scorecard("r", 0.0, 1.0, [drill([event("fault_injected", 0.0)])]), {key: [2.0, 3.5]})
    assert "Time to alert over the last 2 runs" in two and 'class="budget"' in two
    assert ">2.0 s</text>" in two and ">3.5 s</text>" in two and ">budget 60 s</text>" in two


def test_a_passed_drill_lists_its_checks_and_runbook_steps_collapsed() -> None:
    steps = [
        RunbookStepResult("locate", "runbooks/p.md", 11, "promql", 'up{job="p"} == 0', True, "1 series"),
        RunbookStepResult("recover", "runbooks/p.md", 16, "sh", "systemctl restart p", True, "exit 0: ok"),
    ]
    checks = [Check("alert PaymentsApiDown fires", True, "firing within 1.0 min", "fired after 2.0 s")]
    html = render_html(Scorecard("r", 0.0, 1.0, [drill([event("fault_injected", 0.0)], checks=checks)]))
    html = html.replace("\n", " ")
    assert "<details" in html and "<details open" not in html
    details = html[html.index("<details") : html.index("</details>")]
    assert "1 check</summary>" in details and "alert PaymentsApiDown fires" in details
    assert "fired after 2.0 s" in details
    with_steps = render_html(
        Scorecard("r", 0.0, 1.0, [drill([event("fault_injected", 0.0)], checks=checks, runbook_steps=steps)])
    )
    assert "1 check and 2 runbook steps</summary>" in with_steps
    assert "runbooks/p.md:16 <code>systemctl restart p</code>" in with_steps
    assert "up{job=&#34;p&#34;} == 0" in with_steps  # escaped
