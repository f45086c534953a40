"""Endpoints in the shape of Prometheus's `http_config`: strict validation (file:line, no secret in the
message), and sessions that send what the configuration says (checked against a recording server)."""

from __future__ import annotations

import base64
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import requests

from alertdrill.config import load_settings
from alertdrill.endpoints import Endpoint, TlsConfig
from alertdrill.errors import ConfigError, PromQLError
from alertdrill.observe.clients import Alertmanager, Prometheus, require_reachable
from alertdrill.processes import free_port
from tests.secured_stack import make_pki
from tests.test_links_and_notifiers import serving

SECRET = "Hunter2-S3cret"


def settings_from(tmp_path: Path, text: str) -> Path:
    (tmp_path / "secrets").mkdir(exist_ok=True)
    (tmp_path / "secrets" / "pw").write_text(SECRET + "\n")
    (tmp_path / "secrets" / "token").write_text("tok-" + SECRET + "\n")
    path = tmp_path / "alertdrill.yml"
    path.write_text(text)
    return path


def test_a_url_string_stays_valid_and_a_mapping_carries_the_http_config(tmp_path: Path) -> None:
    path = settings_from(
        tmp_path,
        """prometheus:
  url: https://prom.example.internal/prom/
  basic_auth: {username: drill, password_file: secrets/pw}
  tls_config: {server_name: prom, insecure_skip_verify: true}
  proxy_url: http://proxy.example.internal:3128
  headers: {X-Scope-OrgID: team-a}
alertmanager: http://127.0.0.1:9093
""",
    )
    settings = load_settings(path, env={})
    assert settings.prometheus == "https://prom.example.internal/prom"  # the URL string, for display and the lab
    endpoint = settings.prometheus_endpoint
    assert endpoint.at("/api/v1/query") == "https://prom.example.internal/prom/api/v1/query"
    assert endpoint.basic_auth is not None and endpoint.basic_auth.password.file == tmp_path / "secrets" / "pw"
    assert endpoint.tls.server_name == "prom" and endpoint.tls.verify is False
    assert endpoint.headers == (("X-Scope-OrgID", "team-a"),)
    assert endpoint.source == f"{path}:1"
    assert settings.alertmanager_endpoints == (Endpoint("http://127.0.0.1:9093", source=f"{path}:7"),)
    assert SECRET not in repr(settings)
    moved = settings.with_overrides(prometheus="https://other.example.internal")
    assert moved.prometheus_endpoint.url == "https://other.example.internal"  # --prometheus replaces the URL only
    assert moved.prometheus_endpoint.basic_auth == endpoint.basic_auth


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "prometheus:\n  url: http://h\n  basic_auth: {username: u, pasword: x}\n",
            3,
            "unknown key 'basic_auth.pasword'",
        ),
        (
            "prometheus:\n  url: http://h\n  basic_auth:\n    username: u\n    password: p\n"
            "    password_file: secrets/pw\n",
            5,
            "both password and password_file are given",
        ),
        ("prometheus:\n  url: http://h\n  tls_config:\n    ca_file: missing.pem\n", 4, "cannot read"),
        ("prometheus: {url: 'ftp://h'}\n", 1, "'ftp://h' is not an http(s) URL"),
        ("prometheus:\n  uri: http://h\n", 2, "unknown key 'uri'"),
        ("prometheus:\n  url: http://h\n  authorization: {type: Basic, credentials: x}\n", 3, "type 'Basic' cannot"),
        (
            "prometheus:\n  url: http://h\n  tls_config: {cert_file: secrets/pw}\n",
            3,
            "cert_file and key_file go together",
        ),
        ("prometheus:\n  url: http://h\n  tls_config: {insecure_skip_verify: 'no'}\n", 3, "must be true or false"),
        ("prometheus:\n  url: http://u:p@h\n  basic_auth: {username: u}\n", 2, "credentials both in the URL"),
        ("prometheus:\n  url: http://h\n  headers: {Authorization: x}\n", 3, "'Authorization' cannot be set here"),
        ("prometheus: [http://a, http://b]\n", 1, "name one Prometheus"),
        ("alertmanager:\n  - http://a:9093\n  - url: http://b:9093\n    bogus: 1\n", 4, "alertmanager.1.bogus"),
        ("alertmanager: []\n", 1, "the list is empty"),
    ],
)
def test_a_bad_endpoint_is_one_line_with_its_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = settings_from(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    shown = str(caught.value)
    assert shown.startswith(f"{path}:{line}: ") and message in shown and "\n" not in shown
    assert caught.value.exit_status == 2


def test_secrets_are_never_in_a_validation_message(tmp_path: Path) -> None:
    for text in (
        f"prometheus:\n  url: http://h\n  basic_auth: {{username: u, password: {SECRET}, password_file: x}}\n",
        f"prometheus:\n  url: http://u:{SECRET}@h#frag\n",
        f"prometheus:\n  url: http://h\n  authorization: {{credentials: [{SECRET}]}}\n",
        f"prometheus:\n  url: http://h\n  headers: {{X-Api-Key: [{SECRET}]}}\n",
    ):
        with pytest.raises(ConfigError) as caught:
            load_settings(settings_from(tmp_path, text), env={})
        assert SECRET not in str(caught.value)


class Recorder(BaseHTTPRequestHandler):
    """Answers like Prometheus and Alertmanager, and records each request's path and headers."""

    seen: ClassVar[list[tuple[str, dict[str, str]]]] = []
    lock = threading.Lock()

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        with self.lock:
            self.seen.append((self.path, dict(self.headers.items())))
        if self.path.startswith("/prefix/api/v1/query"):
            bad = "query=bad" in self.path
            status, body = (400, {"status": "error", "error": "parse error"}) if bad else (200, _vector())
            self._answer(status, body)
        elif self.path.startswith("/prefix/api/v2/alerts"):
            self._answer(200, [{"fingerprint": "f1", "labels": {"alertname": "A"}, "receivers": [{"name": "r"}]}])
        elif self.path.startswith("/prefix/-/ready"):
            self._answer(401 if "Authorization" not in self.headers else 200, {})
        else:
            self._answer(404, {})


def _vector() -> dict[str, object]:
    return {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [0, "1"]}]}}


@pytest.fixture
def recorder() -> Iterator[str]:
    Recorder.seen = []
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Recorder)) as address:
        yield address


def test_sessions_send_basic_auth_bearer_and_headers_under_the_path_prefix(tmp_path: Path, recorder: str) -> None:
    path = settings_from(
        tmp_path,
        f"""prometheus:
  url: http://{recorder}/prefix
  basic_auth: {{username: drill, password_file: secrets/pw}}
  headers: {{X-Scope-OrgID: team-a}}
alertmanager:
  url: http://{recorder}/prefix/
  authorization: {{credentials_file: secrets/token}}
""",
    )
    settings = load_settings(path, env={})
    assert Prometheus(settings.prometheus_endpoint).query("up")[0]["value"] == [0, "1"]
    with pytest.raises(PromQLError, match="parse error"):
        Prometheus(settings.prometheus_endpoint).query("bad")
    assert [a["fingerprint"] for a in Alertmanager(settings.alertmanager_endpoints).alerts("A")] == ["f1"]
    (prom_path, prom), _, (am_path, am) = Recorder.seen
    assert prom_path.startswith("/prefix/api/v1/query?") and am_path.startswith("/prefix/api/v2/alerts?")
    assert prom["Authorization"] == "Basic " + base64.b64encode(f"drill:{SECRET}".encode()).decode()
    assert prom["X-Scope-OrgID"] == "team-a"
    assert am["Authorization"] == f"Bearer tok-{SECRET}" and "X-Scope-OrgID" not in am


def test_credentials_in_the_url_keep_working(recorder: str) -> None:
    Prometheus(f"http://drill:{SECRET}@{recorder}/prefix").query("up")
    (_, headers), *_ = Recorder.seen
    assert headers["Authorization"] == "Basic " + base64.b64encode(f"drill:{SECRET}".encode()).decode()


def test_refused_credentials_are_a_config_error_naming_where_without_the_secret(recorder: str) -> None:
    endpoint = Endpoint(f"http://{recorder}/prefix", source="alertdrill.yml:3")
    with pytest.raises(ConfigError) as caught:
        require_reachable("Prometheus", endpoint, "/-/ready", "fix it")
    assert "refused the credentials (401)" in str(caught.value) and "alertdrill.yml:3" in str(caught.value)
    require_reachable("Prometheus", f"http://u:{SECRET}@{recorder}/prefix", "/-/ready", "fix it")  # 200


def test_an_alertmanager_cluster_answers_while_one_node_is_down(recorder: str) -> None:
    down = Endpoint(f"http://127.0.0.1:{free_port()}")
    cluster = Alertmanager((down, Endpoint(f"http://{recorder}/prefix")))
    assert cluster.clustered and [a["fingerprint"] for a in cluster.alerts("A")] == ["f1"]
    with pytest.raises(requests.ConnectionError):
        Alertmanager((down, Endpoint(f"http://127.0.0.1:{free_port()}"))).alerts("A")


def test_a_scrubbed_message_hides_inline_and_file_secrets(tmp_path: Path) -> None:
    path = settings_from(
        tmp_path,
        "prometheus:\n  url: http://h\n  authorization: {credentials_file: secrets/token}\n"
        f"  headers: {{X-Api-Key: key-{SECRET}, X-Scope-OrgID: team-a}}\n",
    )
    endpoint = load_settings(path, env={}).prometheus_endpoint
    shown = endpoint.scrub(f"failed with tok-{SECRET} and key-{SECRET} for team-a")
    assert SECRET not in shown and "team-a" in shown


def test_server_name_is_the_name_the_certificate_is_checked_against(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki["named.pem"], pki["named.key"])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serving(server) as address:
        url = f"https://{address}/prefix"
        named = Endpoint(url, tls=TlsConfig(ca_file=pki["ca.pem"], server_name="prom.example.internal"))
        assert Prometheus(named).query("up")[0]["value"] == [0, "1"]
        with pytest.raises(requests.exceptions.SSLError):
            Prometheus(Endpoint(url, tls=TlsConfig(ca_file=pki["ca.pem"]))).query("up")
        with pytest.raises(ConfigError, match=r"TLS failed \(certificate verify failed"):
            require_reachable("Prometheus", Endpoint(url, tls=TlsConfig(ca_file=pki["other-ca.pem"])), "/-/ready", "")


def test_the_ledger_keeps_no_inline_secret_of_an_endpoint_option(tmp_path: Path) -> None:
    from alertdrill.config import FaultConfig
    from alertdrill.faults.ledger import Ledger

    options = {
        "pushgateway": {
            "url": f"http://u:{SECRET}@127.0.0.1:1",
            "basic_auth": {"username": "u", "password": SECRET},
            "headers": {"X-Api-Key": SECRET, "X-Scope-OrgID": "team-a"},
        },
        "metric": "m",
    }
    entry = Ledger(tmp_path / "ledger").record("d", FaultConfig("push", "metric", options), tmp_path / "a.yml")
    kept = (tmp_path / "ledger").read_text() if (tmp_path / "ledger").is_file() else json.dumps(entry.options)
    assert SECRET not in kept and "team-a" in kept and "m" in kept
    assert all(SECRET not in p.read_text() for p in (tmp_path / "ledger").rglob("*") if p.is_file())


def test_proxy_url_is_used_whatever_the_environment_says(recorder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")  # requests would prefer it to a session's
    endpoint = Endpoint("http://prom.example.invalid/prefix", proxy_url=f"http://{recorder}")
    with pytest.raises(requests.HTTPError, match="404"):
        Prometheus(endpoint).query("up")
    ((path, headers),) = Recorder.seen
    assert path.startswith("http://prom.example.invalid/prefix/api/v1/query?")
    assert headers["Host"] == "prom.example.invalid"
