"""Reports rendered from the typed scorecard: JUnit against a schema, HTML escaping, metrics in a real
Pushgateway, contact-group summaries through Apprise to a real local endpoint; the saved JSON rebuilds
the same scorecard (`Scorecard.from_json`) and so the same reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import requests
import xmlschema

from alertdrill.catalog.contact_groups import ContactGroup, ContactGroups
from alertdrill.observe.clients import SinkClient
from alertdrill.publish.notifiers.publish import publish, summary
from alertdrill.publish.reports.junit import render_junit
from alertdrill.publish.reports.metrics import push, registry_for, write_textfile
from alertdrill.publish.reports.writer import render_html, render_markdown, write_reports
from alertdrill.score.scorecard import (
    Aborted,
    Check,
    DrillResult,
    EventRecord,
    Phase,
    PhaseResult,
    RunbookStepResult,
    Scorecard,
    Status,
    StopReason,
)
from tests.conftest import REPO
from tests.test_links_and_notifiers import serving

FIXTURES = Path(__file__).parent / "fixtures"


def drill(name: str, status: Status, group: str, alert_s: float | None = 2.5) -> DrillResult:
    passed = status == Status.PASSED
    checks = [
        Check(
            "routed to contact group",
            passed,
            group,
            group if passed else "nobody",
            "" if passed else f"no notification reached {group} <b>in time</b>",
        )
    ]
    return DrillResult(
        name=name,
        feature="drills/x.feature",
        status=status,
        alert="PaymentsApiDown",
        contact_group=group,
        phases={Phase.ALERT: PhaseResult(60.0, alert_s, alert_s is not None)},
        checks=checks,
        events=[EventRecord("fault_injected", "2026-11-23T10:00:00.000Z", 0.0)],
        fault="payments-api-down",
        duration_s=4.2,
        error="could not reach Prometheus" if status == Status.ERROR else None,
    )


def card(*drills: DrillResult) -> Scorecard:
    return Scorecard("2026-11-23T10-00-00Z-ab12", 1795428000.0, 1795428070.0, list(drills))


MIXED = card(
    drill("pays <ok>", Status.PASSED, "payments-oncall"),
    drill("checkout & errors", Status.FAILED, "storefront-oncall", None),
    drill("inventory", Status.ERROR, "storefront-oncall", None),
)

# Everything a scorecard can carry, with times that are not on the millisecond (the JSON keeps milliseconds).
FULL = Scorecard(
    "2026-11-23T10-00-00Z-cd34",
    1795428000.1239,
    1795428070.1231,
    [
        DrillResult(
            name="kill | the <API>",
            feature="drills/payments.feature",
            status=Status.FAILED,
            alert="PaymentsApiDown",
            contact_group="payments-oncall",
            phases={
                Phase.ALERT: PhaseResult(60, 5.24, True),
                Phase.NOTIFY: PhaseResult(60.0, 6.1, True),
                Phase.LOCATE: PhaseResult(300.0, 20.5, True),
                Phase.RECOVER: PhaseResult(600, None, False),
            },
            checks=[
                Check("alert PaymentsApiDown fires", True, "firing within 1.0 min", "fired after 5.2 s"),
                Check("notification links runbook", False, "payments.md", "x|y\nz", "fix <the> link"),
            ],
            events=[
                EventRecord("fault_injected", "2026-11-23T10:00:01.000Z", 0.0),
                EventRecord(
                    "alert_received",
                    "2026-11-23T10:00:06.400Z",
                    5.4,
                    {"alert": "PaymentsApiDown", "starts_at": "1795428006.000", "receivers": "a,b"},
                ),
                EventRecord(
                    "notification_delivered",
                    "2026-11-23T10:00:07.100Z",
                    6.1,
                    {"alert": "PaymentsApiDown", "status": "resolved"},
                ),
                EventRecord("kill_switch_pulled", "2026-11-23T10:01:00.000Z", 59.0, {"by": "ann", "via": "link"}),
            ],
            fault="payments-api-down",
            duration_s=59.25,
            manual=True,
            notes=["a synthetic <alert>", "second note"],
            runbook_steps=[
                RunbookStepResult("locate", "runbooks/payments.md", 12, "promql", "up | x", True, "3 series", 2),
                RunbookStepResult(
                    "recover", "runbooks/payments.md", 20, "sh", "systemctl restart x", False, "exit 1: no"
                ),
            ],
            surprise=True,
            aborted=Aborted(StopReason.KILL_SWITCH, "ann", "2026-11-23T10:01:00.000Z", "link"),
        ),
        DrillResult(
            name="never ran",
            feature="drills/y.feature",
            status=Status.ERROR,
            alert=None,
            contact_group=None,
            phases={},
            checks=[],
            events=[],
            error="preflight: no injector",
            aborted=Aborted(StopReason.GUARD, "alertdrill", "2026-11-23T10:00:02.000Z", "guard", "error rate"),
        ),
    ],
)


def test_a_saved_scorecard_rebuilds_the_same_typed_scorecard() -> None:
    text = json.dumps(FULL.to_dict())
    again = Scorecard.from_json(text)
    assert again.to_dict() == FULL.to_dict()
    assert again.to_json() == FULL.to_json()
    assert Scorecard.from_json(json.loads(text)) == again  # the parsed dict does as well as the text
    first = again.drills[0]
    assert first.status is Status.FAILED and list(first.phases) == list(Phase)
    assert all(type(phase) is Phase for phase in first.phases)
    assert first.aborted == Aborted(StopReason.KILL_SWITCH, "ann", "2026-11-23T10:01:00.000Z", "link")
    assert first.runbook_steps == FULL.drills[0].runbook_steps and first.notes == FULL.drills[0].notes
    assert first.events[1].details["receivers"] == "a,b" and first.checks == FULL.drills[0].checks
    assert again.drills[1].aborted is not None and again.drills[1].aborted.reason is StopReason.GUARD


def test_a_newer_scorecard_with_more_fields_still_reads() -> None:
    data = json.loads(json.dumps(FULL.to_dict()))
    data["drills"][0]["new_field"] = 1
    data["drills"][0]["phases"]["alert"]["new_field"] = 2
    data["drills"][0]["checks"][0]["cause"] = "inhibited by NodeDown"
    assert Scorecard.from_json(data).to_dict() == FULL.to_dict()


def test_reports_from_the_object_and_from_its_saved_json_are_the_same(tmp_path: Path) -> None:
    again = Scorecard.from_json(FULL.to_json())
    assert render_junit(again) == render_junit(FULL)
    assert render_markdown(again) == render_markdown(FULL)
    assert render_html(again, {"x": [1.0, None]}) == render_html(FULL, {"x": [1.0, None]})
    write_textfile(FULL, tmp_path / "a.prom")
    write_textfile(again, tmp_path / "b.prom")
    assert (tmp_path / "a.prom").read_text() == (tmp_path / "b.prom").read_text()
    assert summary("g", again.drills, again.run_id) == summary("g", FULL.drills, FULL.run_id)
    run_dir = write_reports(FULL, tmp_path / "reports")
    assert (run_dir / "scorecard.json").read_text() == json.dumps(FULL.to_dict(), indent=2) + "\n"
    assert Scorecard.from_json((run_dir / "scorecard.json").read_text()) == again


def test_reports_write_what_the_json_says_to_the_millisecond() -> None:
    xml = render_junit(FULL)
    assert 'time="70.000"' in xml and 'timestamp="2026-11-23T10:00:00.123"' in xml
    assert "alert 5.24/60 s, notify 6.1/60 s, locate 20.5/300 s, recover None/600 s" in xml
    markdown = render_markdown(FULL)
    assert "(2026-11-23T10:00:00.123Z to 2026-11-23T10:01:10.123Z)" in markdown
    assert "| kill \\| the <API> | failed | PaymentsApiDown | payments-oncall | 5.24 s / 60 s |" in markdown
    assert "| - / 600 s **missed** |" in markdown and "| never ran | error | - | - | - | - | - | - |" in markdown
    text = registry_for(FULL)
    finished = next(m for m in text.collect() if m.name == "alertdrill_last_run_timestamp_seconds")
    assert finished.samples[0].value == 1795428070.123
    title, body = summary("payments-oncall", FULL.drills[:1], FULL.run_id)
    assert title == "alertdrill 2026-11-23T10-00-00Z-cd34: payments-oncall 0/1 drills passed"
    assert body.splitlines()[:2] == [
        "FAILED: kill | the <API> (alert 5.2/60 s, notify 6.1/60 s, locate 20.5/300 s, recover -/600 s)",
        "  - fix <the> link",
    ]


def test_junit_validates_against_the_ci_schema_with_one_case_per_drill() -> None:
    xml = render_junit(MIXED)
    schema = xmlschema.XMLSchema(FIXTURES / "junit.xsd")
    schema.validate(xml)
    parsed = cast("dict[str, Any]", schema.to_dict(xml))  # validation="strict": the decoded data only
    suite = parsed["testsuite"][0]
    assert (suite["@tests"], suite["@failures"], suite["@errors"]) == (3, 1, 1)
    cases = {c["@name"]: c for c in suite["testcase"]}
    assert set(cases) == {"pays <ok>", "checkout & errors", "inventory"}
    assert "failure" not in cases["pays <ok>"]
    failure = cases["checkout & errors"]["failure"][0]["@message"]
    assert failure == "no notification reached storefront-oncall <b>in time</b>"
    assert cases["inventory"]["error"][0]["@message"] == "could not reach Prometheus"


def test_html_escapes_user_text_and_needs_nothing_from_the_network() -> None:
    html = render_html(MIXED)
    assert "pays &lt;ok&gt;" in html and "checkout &amp; errors" in html and "&lt;b&gt;in time&lt;/b&gt;" in html
    assert "<b>in time</b>" not in html
    assert " src=" not in html and "<link" not in html and "@import" not in html  # inline CSS and SVG only
    assert html.count('<svg class="timeline"') == 3
    assert '<div class="tile"><b>33%</b>1-5-10 compliance</div>' in html


def test_metrics_textfile_carries_phases_and_outcomes(tmp_path: Path) -> None:
    path = tmp_path / "node_exporter" / "alertdrill.prom"
    write_textfile(MIXED, path)
    text = path.read_text()
    assert (
        'alertdrill_phase_seconds{alert="PaymentsApiDown",contact_group="payments-oncall",drill="pays <ok>",'
        'feature="drills/x.feature",phase="alert"} 2.5'
    ) in text
    assert 'alertdrill_drill_passed{alert="PaymentsApiDown",contact_group="storefront-oncall",drill="inventory"' in text
    assert 'phase="alert"} 2.5' in text and text.count("alertdrill_phase_seconds{") == 1  # missed: absent


def test_results_are_pushed_to_a_real_pushgateway(pushgateway: str) -> None:
    push(MIXED, pushgateway)
    text = requests.get(f"{pushgateway}/metrics", timeout=5).text
    assert 'alertdrill_drill_passed{alert="PaymentsApiDown",contact_group="payments-oncall",drill="pays <ok>"' in text
    assert 'job="alertdrill"' in text


def test_each_contact_group_receives_only_its_own_drills(tmp_path: Path) -> None:
    from alertdrill.sink.server import serve

    with serving(serve("127.0.0.1:0")) as sink:
        groups = ContactGroups(
            tmp_path / "groups.yml",
            {
                "payments-oncall": ContactGroup(
                    "payments-oncall", "payments-oncall", (f"json://{sink}/payments/T0KEN-P",)
                ),
                "storefront-oncall": ContactGroup(
                    "storefront-oncall", "storefront-oncall", (f"json://{sink}/storefront/T0KEN-S",)
                ),
                "sre": ContactGroup("sre", "sre-default", (f"json://{sink}/sre/T0KEN-X",)),
            },
        )
        sent = publish(MIXED, groups)
        arrivals, _ = SinkClient(f"http://{sink}").events(0, 0)
    assert [(s.group, s.drills, s.ok) for s in sent] == [("payments-oncall", 1, True), ("storefront-oncall", 2, True)]
    assert all("T0KEN" not in url for s in sent for url in s.urls)
    received = {a["path"]: a["payload"]["message"] for a in arrivals}
    assert set(received) == {"/payments/T0KEN-P", "/storefront/T0KEN-S"}  # sre had no drill: nothing sent
    assert "pays <ok>" in received["/payments/T0KEN-P"] and "checkout" not in received["/payments/T0KEN-P"]
    assert "checkout & errors" in received["/storefront/T0KEN-S"] and "pays" not in received["/storefront/T0KEN-S"]


def test_the_grafana_dashboard_queries_metrics_that_exist() -> None:
    dashboard = json.loads((REPO / "dashboards" / "alertdrill.json").read_text())
    produced = {metric.name for metric in registry_for(MIXED).collect()}
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert exprs and all(any(name in expr for name in produced) for expr in exprs)
