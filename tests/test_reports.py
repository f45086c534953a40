"""Reports rendered from the scorecard JSON: JUnit against a schema, HTML escaping, metrics in a real
Pushgateway, contact-group summaries through Apprise to a real local endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import requests
import xmlschema

from alertdrill.catalog.contact_groups import ContactGroup, ContactGroups
from alertdrill.observe.clients import SinkClient
from alertdrill.publish.notifiers.publish import publish
from alertdrill.publish.reports.junit import render_junit
from alertdrill.publish.reports.metrics import push, registry_for, write_textfile
from alertdrill.publish.reports.writer import render_html
from alertdrill.score.scorecard import Check, DrillResult, EventRecord, PhaseResult, Scorecard
from tests.conftest import REPO
from tests.test_links_and_notifiers import serving

FIXTURES = Path(__file__).parent / "fixtures"


def drill(name: str, status: str, group: str, alert_s: float | None = 2.5) -> DrillResult:
    passed = status == "passed"
    checks = [Check("routed to contact group", passed, group, group if passed else "nobody",
                    "" if passed else f"no notification reached {group} <b>in time</b>")]
    return DrillResult(name=name, feature="drills/x.feature", status=status, alert="PaymentsApiDown",
                       contact_group=group, phases={"alert": PhaseResult(60.0, alert_s, alert_s is not None)},
                       checks=checks, events=[EventRecord("fault_injected", "2026-11-23T10:00:00.000Z", 0.0)],
                       fault="payments-api-down", error="could not reach Prometheus" if status == "error" else None,
                       duration_s=4.2)


def card(*drills: DrillResult) -> dict:
    return json.loads(json.dumps(Scorecard("2026-11-23T10-00-00Z-ab12", 1795428000.0, 1795428070.0,
                                           list(drills)).to_dict()))


MIXED = card(drill("pays <ok>", "passed", "payments-oncall"),
             drill("checkout & errors", "failed", "storefront-oncall", None),
             drill("inventory", "error", "storefront-oncall", None))


def test_junit_validates_against_the_ci_schema_with_one_case_per_drill() -> None:
    xml = render_junit(MIXED)
    schema = xmlschema.XMLSchema(FIXTURES / "junit.xsd")
    schema.validate(xml)
    parsed = schema.to_dict(xml)
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
    assert ('alertdrill_phase_seconds{alert="PaymentsApiDown",contact_group="payments-oncall",drill="pays <ok>",'
            'feature="drills/x.feature",phase="alert"} 2.5') in text
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
        groups = ContactGroups(tmp_path / "groups.yml", {
            "payments-oncall": ContactGroup("payments-oncall", "payments-oncall",
                                            (f"json://{sink}/payments/T0KEN-P",)),
            "storefront-oncall": ContactGroup("storefront-oncall", "storefront-oncall",
                                              (f"json://{sink}/storefront/T0KEN-S",)),
            "sre": ContactGroup("sre", "sre-default", (f"json://{sink}/sre/T0KEN-X",))})
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
