"""Real Prometheus and Alertmanager behind `--web.config.file` (TLS with client certificates, basic auth)
and path prefixes: every client of alertdrill works through them, a wrong password or CA stops a run in
one line with no secret, and a real drill passes against such a stack."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from alertdrill import processes
from alertdrill.catalog.rules import load_rules
from alertdrill.config import Settings, load_settings
from alertdrill.endpoints import Endpoint
from alertdrill.lab.lab import Lab
from alertdrill.observe.clients import Alertmanager, Prometheus, SinkClient, require_reachable
from alertdrill.observe.deployed import drift, loaded_rules
from alertdrill.polling import poll_until
from alertdrill.processes import free_port
from alertdrill.testing import Project, copy_project, lab_project
from tests.conftest import REPO, TEST_FAULTS, alertdrill
from tests.secured_stack import (
    PASSWORD,
    Pki,
    Server,
    alertmanager_argv,
    endpoint_config,
    make_pki,
    prometheus_argv,
    prometheus_http_config,
    running,
    secured,
    server,
    web_config,
)

RULES = {
    "groups": [
        {
            "name": "secured",
            "rules": [{"alert": "AlwaysFiring", "expr": "vector(1)", "labels": {"severity": "page"}}],
        }
    ]
}
ROUTES = {
    "route": {"receiver": "nobody", "group_wait": "1s", "group_by": ["alertname"]},
    "receivers": [{"name": "nobody"}],
}


@dataclass(frozen=True)
class Stack:
    pki: Pki
    prometheus: Server
    alertmanager: Server
    rules: Path


def _prometheus_config(rules: list[Path], alertmanagers: list[Server], pki: Pki | None) -> dict[str, object]:
    http = prometheus_http_config(pki) if pki is not None else {}
    prefix = alertmanagers[0].url.split(alertmanagers[0].address, 1)[1]
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(p) for p in rules],
        "alerting": {
            "alertmanagers": [
                {**http, "path_prefix": prefix, "static_configs": [{"targets": [a.address for a in alertmanagers]}]}
            ]
        },
    }


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A secured Prometheus (under /prom) sending to a secured Alertmanager (under /am)."""
    folder = tmp_path_factory.mktemp("secured")
    pki = make_pki(folder / "pki")
    web = web_config(pki)
    rules, am_config, prom_config = folder / "rules.yml", folder / "alertmanager.yml", folder / "prometheus.yml"
    rules.write_text(yaml.safe_dump(RULES))
    am_config.write_text(yaml.safe_dump(ROUTES))
    am, prom = server("/am"), server("/prom")
    prom_config.write_text(yaml.safe_dump(_prometheus_config([rules], [am], pki)))
    with (
        running(alertmanager_argv(am, am_config, folder / "am-data", web), secured(pki, am.url), folder / "am.log"),
        running(
            prometheus_argv(prom, prom_config, folder / "prom-data", web), secured(pki, prom.url), folder / "prom.log"
        ),
    ):
        yield Stack(pki, prom, am, rules)


def _settings(stack: Stack, folder: Path) -> Settings:
    path = folder / "alertdrill.yml"
    raw = {
        "prometheus": endpoint_config(stack.prometheus.url, stack.pki, folder),
        "alertmanager": [endpoint_config(stack.alertmanager.url, stack.pki, folder)],
    }
    path.write_text(yaml.safe_dump(raw))
    return load_settings(path, env={})


def test_every_client_works_through_basic_auth_tls_and_a_path_prefix(stack: Stack, tmp_path: Path) -> None:
    settings = _settings(stack, tmp_path)
    prometheus, alertmanager = Prometheus(settings.prometheus_endpoint), Alertmanager(settings.alertmanager_endpoints)
    require_reachable("Prometheus", settings.prometheus_endpoint, "/-/ready", "")
    require_reachable("Alertmanager", settings.alertmanager_endpoints[0], "/-/ready", "")
    assert prometheus.query("vector(7)")[0]["value"][1] == "7"
    assert poll_until(lambda: prometheus.alert_active("AlwaysFiring"), 30, 0.2)
    assert poll_until(lambda: bool(alertmanager.alerts("AlwaysFiring")), 30, 0.2), "the alert never reached AM"
    (alert,) = alertmanager.alerts("AlwaysFiring")
    assert [r["name"] for r in alert["receivers"]] == ["nobody"]
    assert any(g["receiver"]["name"] == "nobody" for g in alertmanager.groups())
    assert alertmanager.status()["config"]["original"].count("nobody") >= 1
    loaded = loaded_rules(prometheus)
    (rule,) = load_rules(stack.rules)
    assert drift(prometheus, rule, loaded["AlwaysFiring"]) is None


@pytest.mark.parametrize(
    ("password", "ca", "said"),
    [
        ("Wr0ng-Drill-Pw", "ca.pem", "Prometheus at https://127.0.0.1:{port}/prom refused the credentials (401)"),
        (PASSWORD, "other-ca.pem", "Prometheus at https://127.0.0.1:{port}/prom: TLS failed (certificate verify"),
    ],
)
def test_a_wrong_password_or_ca_stops_the_run_in_one_line_without_a_secret(
    stack: Stack, tmp_path: Path, password: str, ca: str, said: str
) -> None:
    project = copy_project(REPO, tmp_path / "project", TEST_FAULTS)
    raw = yaml.safe_load(project.config_path.read_text())
    raw["prometheus"] = endpoint_config(stack.prometheus.url, stack.pki, project.root, password, ca)
    raw["alertmanager"] = endpoint_config(stack.alertmanager.url, stack.pki, project.root, password, ca)
    project.config_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    done = alertdrill("run", str(project.root / "drills" / "payments.feature"), "--config", str(project.config_path))
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    port = stack.prometheus.address.rsplit(":", 1)[1]
    (line,) = [x for x in output.splitlines() if said.format(port=port) in x]
    assert f"{project.config_path}:" in line or "alertdrill.yml:" in line, line
    assert password not in output and PASSWORD not in output and "Traceback" not in output
    assert not (project.root / "injected.marker").exists()


def _stop_lab_servers(project: Project) -> tuple[Path, Path]:
    """Stop the lab's own Prometheus and Alertmanager (the sink and the services stay): a user's stack
    is started in their place, from the lab's configuration files (returned)."""
    lab = Lab(project.settings())
    for name in ("prometheus", "alertmanager"):
        assert processes.stop(lab.run_dir / f"{name}.pid")
    return lab.config.dir / "config" / "prometheus.yml", lab.config.dir / "config" / "alertmanager.yml"


def test_a_real_drill_passes_against_a_secured_stack(tmp_path: Path) -> None:
    with lab_project(REPO, tmp_path / "project", TEST_FAULTS) as project:
        prom_file, am_file = _stop_lab_servers(project)
        pki = make_pki(tmp_path / "pki")
        web = web_config(pki)
        am, prom = server("/am"), server("/prom")
        config = yaml.safe_load(prom_file.read_text())
        config["alerting"] = _prometheus_config([], [am], pki)["alerting"]
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        raw = yaml.safe_load(project.config_path.read_text())
        raw["prometheus"] = endpoint_config(prom.url, pki, project.root)
        raw["alertmanager"] = endpoint_config(am.url, pki, project.root)
        project.config_path.write_text(yaml.safe_dump(raw, sort_keys=False))
        with (
            running(alertmanager_argv(am, am_file, tmp_path / "am", web), secured(pki, am.url), tmp_path / "am.log"),
            running(
                prometheus_argv(prom, tmp_path / "prometheus.yml", tmp_path / "prom", web),
                secured(pki, prom.url),
                tmp_path / "prom.log",
            ),
        ):
            feature = str(project.root / "drills" / "payments.feature")
            done = alertdrill("run", feature, "--config", str(project.config_path))
        assert done.returncode == 0, done.stdout + done.stderr
        assert PASSWORD not in done.stdout + done.stderr
        card = json.loads((project.root / "reports" / "latest" / "scorecard.json").read_text())
        assert card["summary"]["passed"] == 1


def test_a_drill_passes_against_a_two_node_alertmanager_cluster_and_counts_a_delivery_once(tmp_path: Path) -> None:
    """Prometheus sends to both gossiping nodes; a third listed node is down (a warning, not a stop)."""
    with lab_project(REPO, tmp_path / "project", TEST_FAULTS) as project:
        prom_file, am_file = _stop_lab_servers(project)
        nodes, prom = [server("", tls=False) for _ in range(2)], server("", tls=False)
        gossip, dead = [f"127.0.0.1:{free_port()}" for _ in nodes], f"http://127.0.0.1:{free_port()}"
        config = yaml.safe_load(prom_file.read_text())
        config["alerting"] = _prometheus_config([], nodes, None)["alerting"]
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        raw = yaml.safe_load(project.config_path.read_text())
        raw["prometheus"], raw["alertmanager"] = prom.url, [nodes[0].url, {"url": nodes[1].url}, dead]
        project.config_path.write_text(yaml.safe_dump(raw, sort_keys=False))
        with contextlib.ExitStack() as servers:
            for index, node in enumerate(nodes):
                argv = alertmanager_argv(node, am_file, tmp_path / f"am{index}", None, gossip[index], [gossip[0]])
                servers.enter_context(running(argv, Endpoint(node.url), tmp_path / f"am{index}.log"))
            argv = prometheus_argv(prom, tmp_path / "prometheus.yml", tmp_path / "prom", None)
            servers.enter_context(running(argv, Endpoint(prom.url), tmp_path / "prom.log"))
            assert poll_until(lambda: _peers(nodes[0]) == 2, 30, 0.1), "the two Alertmanagers never formed a cluster"
            feature = str(project.root / "drills" / "payments.feature")
            done = alertdrill("run", feature, "--config", str(project.config_path))
            arrivals, _ = SinkClient(project.settings().sink_url).events(0, 0)
        output = done.stdout + done.stderr
        assert done.returncode == 0, output
        (warning,) = [line for line in output.splitlines() if "warning:" in line]
        assert dead in warning and "the other Alertmanagers of the cluster" in warning
        card = json.loads((project.root / "reports" / "latest" / "scorecard.json").read_text())
        events = card["drills"][0]["events"]
        fired = [e for e in events if e["name"] == "notification_delivered" and e["details"]["status"] == "firing"]
        senders = [(a["payload"].get("externalURL"), a["payload"].get("status")) for a in arrivals if a.get("payload")]
        assert len(fired) == 1, (fired, senders)  # once, however many nodes delivered it (often both do)


def _peers(node: Server) -> int:
    status = Alertmanager(node.url).status()
    return len((status.get("cluster") or {}).get("peers") or [])
