"""Why a page did not come, and proof that it did, against a real Prometheus and Alertmanager: each
verdict names its cause (an inhibiting alert, a time interval, a silence, a failed send, a budget that
cannot fit, a live group) and each delivery its evidence (sink, alertmanager, routed)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import yaml

from alertdrill.testing import Project, copy_project, running_lab
from tests.conftest import REPO, alertdrill

TEAMS = ("inhibit", "quiet", "silenced", "dead", "relay", "pager", "pager2", "slow", "hot")
ROUTED_ONLY = ("pager",)  # contact groups that accept routing as proof
ALL_DAY = {"start_time": "00:00", "end_time": "24:00"}


def synthetic(team: str) -> dict[str, object]:
    return {"type": "synthetic-alert", "alertname": f"{team.title()}Page", "labels": {"team": team, "severity": "page"}}


class Relay(BaseHTTPRequestHandler):
    """An internal relay (not alertdrill's sink): accepts every notification."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def dead_port() -> int:
    """A port on 127.0.0.2 nobody listens on (connection refused); not rewritten to the sink as 127.0.0.1 is."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.2", 0))
        return int(probe.getsockname()[1])


def alertmanager_config(relay: str, dead: str) -> dict[str, object]:
    def route(team: str, **extra: object) -> dict[str, object]:
        return {"receiver": f"{team}-oncall", "matchers": [f'team="{team}"'], **extra}

    hook = {"url": "http://127.0.0.1:9095/hook", "send_resolved": True}
    receivers: list[dict[str, object]] = [{"name": "sre-default", "webhook_configs": [hook]}]
    for team in TEAMS:
        url = {"relay": relay, "dead": dead}.get(team, "http://127.0.0.1:9095/hook")
        receivers.append(
            {
                "name": f"{team}-oncall",
                **({} if team.startswith("pager") else {"webhook_configs": [{**hook, "url": url}]}),
            }
        )
    return {
        "route": {
            "receiver": "sre-default",
            "group_by": ["alertname", "drill_run"],
            "group_wait": "1s",
            "group_interval": "1s",
            "repeat_interval": "1h",
            "routes": [
                route("quiet", mute_time_intervals=["always"]),
                route("slow", group_wait="20s"),
                route("hot", group_by=["alertname", "team"], group_interval="4s"),
                *(route(t) for t in TEAMS if t not in ("quiet", "slow", "hot")),
            ],
        },
        "receivers": receivers,
        "inhibit_rules": [
            {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="page"'], "equal": ["team"]}
        ],
        "time_intervals": [
            {"name": "always", "time_intervals": [{"times": [{"start_time": "00:00", "end_time": "24:00"}]}]}
        ],
    }


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    relay = ThreadingHTTPServer(("127.0.0.2", 0), Relay)
    threading.Thread(target=relay.serve_forever, daemon=True).start()
    project = copy_project(REPO, tmp_path_factory.mktemp("whynot"), {f"{t}-page": synthetic(t) for t in TEAMS})
    config = alertmanager_config(f"http://127.0.0.2:{relay.server_port}/relay", f"http://127.0.0.2:{dead_port()}/")
    (project.root / "alerts" / "alertmanager.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    groups = {
        f"{t}-oncall": {"receiver": f"{t}-oncall", **({"delivery": "routed"} if t in ROUTED_ONLY else {})}
        for t in TEAMS
    }
    (project.root / "notifiers" / "contact-groups.yml").write_text(yaml.safe_dump(groups))
    try:
        with running_lab(project):
            yield project
    finally:
        relay.shutdown()
        relay.server_close()


FEATURE = """Feature: {team}
  Scenario: {alert} reaches {team} on-call
    When the fault "{team}-page" is injected
    Then the alert "{alert}" fires within 1 minute
    And the alert reaches the contact group "{team}-oncall" within {within}
"""


def drill(project: Project, team: str, *args: str, within: str = "8 seconds") -> tuple[dict[str, Any], str]:
    alert = f"{team.title()}Page"
    feature = project.write_feature(f"{team}.feature", FEATURE.format(team=team, alert=alert, within=within))
    try:
        done = alertdrill("run", str(feature), "--config", str(project.config_path), *args)
    finally:
        feature.unlink()
    card = json.loads((project.root / "reports" / "latest" / "scorecard.json").read_text())
    return card["drills"][0], done.stdout + done.stderr


def reaches(drill: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in drill["checks"] if c["name"] == "routed to contact group")


def events(drill: dict[str, Any], name: str) -> list[dict[str, str]]:
    return [e["details"] for e in drill["events"] if e["name"] == name]


def post_alert(project: Project, labels: dict[str, str], lasts: timedelta) -> None:
    now = datetime.now(UTC)
    alert = {"labels": labels, "startsAt": now.isoformat(), "endsAt": (now + lasts).isoformat()}
    answer = requests.post(f"{project.settings().alertmanager}/api/v2/alerts", json=[alert], timeout=5)
    assert answer.status_code == 200, answer.text


def test_an_inhibited_page_names_the_inhibiting_alert_and_rule(stack: Project) -> None:
    source = {"alertname": "NodeDown", "team": "inhibit", "severity": "critical"}
    post_alert(stack, source, timedelta(minutes=5))
    try:
        result, out = drill(stack, "inhibit")
    finally:
        post_alert(stack, source, timedelta(0))
    cause = 'inhibited by NodeDown{severity="critical", team="inhibit"} through inhibit_rules[0]'
    assert result["status"] == "failed" and cause in reaches(result)["message"], out
    assert any(cause in e["cause"] for e in events(result, "alert_suppressed"))
    assert f"would be {cause}" in out  # said before anything was injected
    assert [e["cause"] for e in events(result, "suppression_forecast")] == [f"would be {cause}"]


def test_a_muted_route_names_the_time_interval_and_route(stack: Project) -> None:
    result, out = drill(stack, "quiet")
    cause = "muted by the time interval always on route route.routes[0] (receiver quiet-oncall)"
    assert result["status"] == "failed" and cause in reaches(result)["message"], out
    assert "muted now by the time interval always on route route.routes[0]" in out
    assert "is the receiver's webhook pointed" not in reaches(result)["message"]


def test_a_silenced_page_names_the_silence_its_creator_and_comment(stack: Project) -> None:
    now = datetime.now(UTC)
    silence = {
        "matchers": [{"name": "team", "value": "silenced", "isRegex": False, "isEqual": True}],
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(minutes=5)).isoformat(),
        "createdBy": "whynot-test",
        "comment": "maintenance window",
    }
    url = stack.settings().alertmanager
    silence_id = requests.post(f"{url}/api/v2/silences", json=silence, timeout=5).json()["silenceID"]
    try:
        result, out = drill(stack, "silenced")
    finally:
        requests.delete(f"{url}/api/v2/silence/{silence_id}", timeout=5)
    cause = f"silenced by {silence_id} (a silence created by whynot-test: 'maintenance window')"
    assert result["status"] == "failed" and cause in reaches(result)["message"], out


def test_a_receiver_without_the_sink_is_proven_by_alertmanagers_send_counters(stack: Project) -> None:
    result, out = drill(stack, "relay")
    check = reaches(result)
    assert result["status"] == "passed" and check["passed"], out
    assert check["evidence"] == "alertmanager" and "successful webhook send" in check["message"]
    assert not events(result, "notification_delivered")
    assert result["phases"]["notify"]["elapsed_s"] is not None


def test_a_receiver_whose_webhook_cannot_deliver_is_named(stack: Project) -> None:
    result, out = drill(stack, "dead")
    message = reaches(result)["message"]
    assert result["status"] == "failed" and "Alertmanager could not deliver to dead-oncall's webhook" in message, out
    assert events(result, "alertmanager_notify_failed")[0]["receiver"] == "dead-oncall"


def test_routing_alone_is_reported_as_such(stack: Project) -> None:
    accepted, out = drill(stack, "pager")
    assert accepted["status"] == "passed" and reaches(accepted)["evidence"] == "routed", out
    assert "routing only" in reaches(accepted)["message"]
    refused, out = drill(stack, "pager2")
    check = reaches(refused)
    assert refused["status"] == "failed" and check["actual"] == "routed only", out
    assert "only routing was seen (evidence: routed)" in check["message"] and check["evidence"] is None


def test_an_impossible_budget_shows_its_arithmetic(stack: Project) -> None:
    result, out = drill(stack, "slow", within="5 seconds")
    message = reaches(result)["message"]
    assert result["status"] == "failed", out
    assert "it can never fit 5.0 s: floor 20 s = group_wait 20 s" in message


def test_a_live_group_is_named_and_can_be_waited_out(stack: Project) -> None:
    standing = {"alertname": "HotPage", "team": "hot", "severity": "page"}
    post_alert(stack, standing, timedelta(minutes=5))
    try:
        result, out = drill(stack, "hot", within="30 seconds")
    finally:
        post_alert(stack, standing, timedelta(0))
    hot = events(result, "alertmanager_group_hot")
    assert hot and "waits group_interval (4 s) instead of group_wait" in hot[0]["note"], out
    assert "a clean repeat is possible 4 s after the group's alerts resolve" in hot[0]["note"]
    assert events(result, "alert_path")[0]["hot"] == "true"
    post_alert(stack, standing, timedelta(minutes=5))
    waited, out = drill_waiting(stack, lambda: post_alert(stack, standing, timedelta(0)))
    assert not events(waited, "alertmanager_group_hot") and waited["status"] == "passed", out
    assert events(waited, "alert_path")[0]["hot"] == "false"


def drill_waiting(project: Project, when_waiting: Callable[[], None]) -> tuple[dict[str, Any], str]:
    """`--fresh-groups wait`: once the run says it waits for the live group, `when_waiting` ends that group."""
    feature = project.write_feature(
        "hot-wait.feature", FEATURE.format(team="hot", alert="HotPage", within="30 seconds")
    )
    command = [sys.executable, "-m", "alertdrill", "run", str(feature), "--config", str(project.config_path)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen([*command, "--fresh-groups", "wait"], stdout=subprocess.PIPE, text=True, env=env) as run:
        assert run.stdout is not None
        lines = []
        for line in run.stdout:
            lines.append(line)
            if "(--fresh-groups wait)" in line:
                when_waiting()
        assert run.wait(timeout=120) == 0, "".join(lines)
    feature.unlink()
    card = json.loads((project.root / "reports" / "latest" / "scorecard.json").read_text())
    assert any("(--fresh-groups wait)" in line for line in lines), "".join(lines)
    return card["drills"][0], "".join(lines)
