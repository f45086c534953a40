"""One redaction for everything alertdrill shows: URL passwords, secret query values, Authorization values."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from alertdrill.errors import UnreachableError
from alertdrill.observe.clients import Alertmanager, require_reachable
from alertdrill.processes import free_port
from alertdrill.publish.notifiers import redact as redact_notify_url
from alertdrill.redact import redact
from tests.test_links_and_notifiers import serving


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://drill:hunter2@prom.example/prom", "https://drill:****@prom.example/prom"),
        ("http://u:p@ss@h:9/x", "http://u:****@h:9/x"),
        ("http://justuser@h/", "http://justuser@h/"),
        ("http://h/api?token=abc&x=1", "http://h/api?token=****&x=1"),
        ("GET http://h/?apikey=S3CR3T&password=p2#frag failed", "GET http://h/?apikey=****&password=****#frag failed"),
        ("http://h/?API_KEY=a;access_token=b", "http://h/?API_KEY=****;access_token=****"),
        ("Authorization: Bearer abcdefghijkl", "Authorization: ****"),
        ('curl -H "Authorization: token xyz" http://x', 'curl -H "Authorization: ****" http://x'),
        ("Proxy-Authorization: Basic Zm9vOmJhcg==\nnext line", "Proxy-Authorization: ****\nnext line"),
        ('{"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}', '{"Authorization": "Basic ****"}'),
        ("plain text, nothing secret: http://h:9090/api/v1/query?query=up", None),
    ],
)
def test_secrets_are_hidden_and_the_rest_kept(text: str, shown: str | None) -> None:
    assert redact(text) == (text if shown is None else shown)


def test_hide_path_keeps_only_scheme_host_and_port() -> None:
    assert redact("json://user:hunter2@127.0.0.1:8080/hooks/T0KEN", hide_path=True) == "json://127.0.0.1:8080/****"
    assert redact("json://127.0.0.1:8080", hide_path=True) == "json://127.0.0.1:8080"


def test_notification_urls_go_through_the_same_redaction() -> None:
    assert redact_notify_url("json://user:hunter2@127.0.0.1:8080/hooks/T0KEN") == "json://127.0.0.1:8080/****"
    assert "hunter2" not in redact_notify_url("mailto://ops:hunter2@mail.example.invalid")
    assert redact_notify_url("nonsense://a:b@c") == "nonsense://****"


def test_unreachable_errors_show_no_password() -> None:
    url = f"http://drill:hunter2@127.0.0.1:{free_port()}/prom?token=T0K"
    with pytest.raises(UnreachableError) as caught:
        require_reachable("Prometheus", url, "/-/ready", f"fix prometheus ({url})")
    assert "hunter2" not in str(caught.value) and "T0K" not in str(caught.value)
    assert "drill:****@127.0.0.1" in str(caught.value)


class NotFound(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_http_errors_show_no_password() -> None:
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), NotFound)) as address:
        client = Alertmanager(f"http://drill:hunter2@{address}")
        with pytest.raises(requests.HTTPError) as caught:
            client.groups()
    assert "404" in str(caught.value) and "hunter2" not in str(caught.value)
    assert caught.value.response is not None and caught.value.response.status_code == 404
