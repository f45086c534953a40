"""The sink on IPv6 loopback (`sink.listen: "[::1]:PORT"`): parsed, bound, addressed, Host-checked."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from alertdrill.config import Settings, load_settings
from alertdrill.errors import ConfigError
from alertdrill.lab.configs import alertmanager_config
from alertdrill.lab.lab import Lab
from alertdrill.observe.clients import SinkClient
from alertdrill.processes import free_port, port_free
from alertdrill.sink.auth import WebhookAuth, generate
from alertdrill.sink.embedded import sink_for_run
from alertdrill.sink.server import serve

REPO = Path(__file__).resolve().parents[1]
SECRET = b"ipv6-secret-for-tests-0123456789"


def settings_with(tmp_path: Path, sink: str) -> Settings:
    text = (REPO / "alertdrill.yml").read_text()
    text = text.replace("  listen: 127.0.0.1:9095\n", f"  listen: {sink}\n").replace(
        "  smtp: 127.0.0.1:9096 ", '  smtp: "[::1]:9096" '
    )
    for part in ("alerts", "notifiers", "runbooks", "drills"):
        (tmp_path / part).symlink_to(REPO / part)
    (tmp_path / "alertdrill.yml").write_text(text)
    return load_settings(tmp_path / "alertdrill.yml")


def test_the_config_takes_a_bracketed_ipv6_listen_address(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, '"[::1]:9195"')
    assert (settings.sink_listen, settings.sink_url, settings.sink_smtp) == (
        "[::1]:9195",
        "http://[::1]:9195",
        "[::1]:9096",
    )


@pytest.mark.parametrize("listen", ['"::1:9195"', '"[nothing]:9195"', '"[127.0.0.1]:9195"'])
def test_an_ipv6_address_without_brackets_or_a_bad_one_is_refused(tmp_path: Path, listen: str) -> None:
    with pytest.raises(ConfigError, match="IPv6 address goes in brackets") as caught:
        settings_with(tmp_path, listen)
    assert "alertdrill.yml:" in str(caught.value)


def test_the_lab_refuses_an_ipv6_smtp_sink_alertmanager_cannot_dial(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, '"[::1]:9195"')
    with pytest.raises(ConfigError, match=r"sink.smtp \[::1\]:9096: Alertmanager \(0.25\) cannot send email"):
        alertmanager_config(settings, generate(tmp_path / "sink.secret"))


def test_the_lab_points_alertmanager_at_the_ipv6_sink(tmp_path: Path) -> None:
    settings = replace(settings_with(tmp_path, '"[::1]:9195"'), sink_smtp="127.0.0.1:9096")
    config = alertmanager_config(settings, generate(tmp_path / "sink.secret"))
    hooks = [h["url"] for r in config["receivers"] for h in r.get("webhook_configs") or []]  # type: ignore[attr-defined]
    mails = [m["smarthost"] for r in config["receivers"] for m in r.get("email_configs") or []]  # type: ignore[attr-defined]
    assert hooks and all(url.startswith("http://[::1]:9195/hook/") for url in hooks)
    assert mails == ["127.0.0.1:9096"]
    sink = next(c for c in Lab(settings).components() if c.name == "sink")
    assert (sink.host, sink.address) == ("::1", "[::1]:9195")


def test_port_free_understands_ipv6() -> None:
    port = free_port()
    with socket.socket(socket.AF_INET6) as held:
        held.bind(("::1", port))
        held.listen()
        assert not port_free("[::1]", port)
    assert port_free("::1", port)


@pytest.fixture
def ipv6_sink() -> Iterator[str]:
    server = serve(f"[::1]:{free_port()}", auth=WebhookAuth(SECRET))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://[::1]:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_the_sink_serves_ipv6_with_its_host_check_and_secret(ipv6_sink: str) -> None:
    assert requests.get(f"{ipv6_sink}/-/healthy", timeout=5).status_code == 200
    assert requests.get(f"{ipv6_sink}/-/healthy", headers={"Host": "evil.example"}, timeout=5).status_code == 400
    payload = {"receiver": "r", "alerts": []}
    assert requests.post(f"{ipv6_sink}/hook/r", json=payload, timeout=5).status_code == 401
    bearer = {"Authorization": f"Bearer {SECRET.decode()}"}
    assert requests.post(f"{ipv6_sink}/hook/r", json=payload, headers=bearer, timeout=5).status_code == 200
    events, _ = SinkClient(ipv6_sink).events(0, 0)
    assert [(e["path"], e["authenticated"]) for e in events] == [("/hook/r", False), ("/hook/r", True)]


def test_a_run_serves_an_ipv6_sink_itself(tmp_path: Path) -> None:
    listen, smtp = f"[::1]:{free_port()}", f"[::1]:{free_port()}"
    secret = tmp_path / "sink.secret"
    generate(secret)
    with sink_for_run(listen, smtp, lambda message: None, secret_file=secret) as started:
        assert started
        assert requests.get(f"http://{listen}/-/healthy", timeout=5).ok
        with socket.create_connection(("::1", int(smtp.rpartition(":")[2])), timeout=5) as conn:
            assert conn.recv(64).startswith(b"220")
