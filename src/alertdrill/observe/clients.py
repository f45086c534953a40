"""HTTP access to Prometheus, Alertmanager and the sink, failing fast (no hidden retries)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import requests
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException
from urllib3.util.retry import Retry

from alertdrill.errors import PromQLError, UnreachableError
from alertdrill.redact import redact

TIMEOUT_S = 5

Json = Any  # a server's JSON answer, read field by field where it is used (never the model)


def _raise_for_status(answer: requests.Response) -> None:
    """`raise_for_status`, its message (which carries the URL) redacted."""
    try:
        answer.raise_for_status()
    except requests.HTTPError as exc:
        raise requests.HTTPError(redact(str(exc)), response=answer) from None


def parse_time(text: str) -> float:
    """RFC 3339 with nanoseconds (Go) -> epoch seconds."""
    text = text.replace("Z", "+00:00")
    if "." in text:
        head, rest = text.split(".", 1)
        digits = "".join(ch for ch in rest if ch.isdigit())
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    return datetime.fromisoformat(text).timestamp()


class Prometheus:
    def __init__(self, url: str, session: requests.Session | None = None) -> None:
        self.url = url.rstrip("/")
        self.session = session or requests.Session()
        self.client = PrometheusConnect(
            self.url, disable_ssl=True, retry=Retry(total=0), timeout=TIMEOUT_S, session=self.session
        )

    def query(self, expr: str) -> list[Json]:
        try:
            return list(self.client.custom_query(expr))
        except PrometheusApiClientException as exc:
            raise PromQLError(redact(str(exc))) from None

    def alerts(self) -> list[Json]:
        answer = self.session.get(f"{self.url}/api/v1/alerts", timeout=TIMEOUT_S)
        _raise_for_status(answer)
        return list(answer.json()["data"]["alerts"])

    def alert_active(self, alertname: str) -> bool:
        """Is any alert of that name pending or firing?"""
        return any((a.get("labels") or {}).get("alertname") == alertname for a in self.alerts())


class Alertmanager:
    def __init__(self, url: str, session: requests.Session | None = None) -> None:
        self.url = url.rstrip("/")
        self.session = session or requests.Session()

    def alerts(self, alertname: str, labels: Mapping[str, str] | None = None) -> list[Json]:
        matchers = [f'alertname="{alertname}"'] + [f'{k}="{v}"' for k, v in (labels or {}).items()]
        answer = self.session.get(f"{self.url}/api/v2/alerts", timeout=TIMEOUT_S, params={"filter": matchers})
        _raise_for_status(answer)
        return list(answer.json())

    def silence(self, silence_id: str) -> Json:
        answer = self.session.get(f"{self.url}/api/v2/silence/{silence_id}", timeout=TIMEOUT_S)
        _raise_for_status(answer)
        return answer.json()

    def expire_silence(self, silence_id: str) -> None:
        answer = self.session.delete(f"{self.url}/api/v2/silence/{silence_id}", timeout=TIMEOUT_S)
        _raise_for_status(answer)

    def every_alert(self) -> list[Json]:
        """All alerts Alertmanager holds, suppressed ones included (to name an inhibiting alert)."""
        answer = self.session.get(f"{self.url}/api/v2/alerts", timeout=TIMEOUT_S)
        _raise_for_status(answer)
        return list(answer.json())

    def status(self) -> Json:
        """`/api/v2/status`: its version and the configuration it runs (`config.original`)."""
        answer = self.session.get(f"{self.url}/api/v2/status", timeout=TIMEOUT_S)
        _raise_for_status(answer)
        return answer.json()

    def metrics(self) -> str:
        answer = self.session.get(f"{self.url}/metrics", timeout=TIMEOUT_S)
        _raise_for_status(answer)
        return answer.text

    def groups(self) -> list[Json]:
        answer = self.session.get(f"{self.url}/api/v2/alerts/groups", timeout=TIMEOUT_S)
        _raise_for_status(answer)
        return list(answer.json())


class SinkClient:
    def __init__(self, url: str, session: requests.Session | None = None) -> None:
        self.url = url.rstrip("/")
        self.session = session or requests.Session()

    def events(self, after: int, wait_s: float) -> tuple[list[Json], int]:
        answer = self.session.get(
            f"{self.url}/events", params={"after": after, "timeout": wait_s}, timeout=wait_s + TIMEOUT_S
        )
        _raise_for_status(answer)
        body = answer.json()
        return list(body["events"]), int(body["last"])


def require_reachable(name: str, url: str, path: str, fix: str) -> None:
    """One-line error before anything is injected when a system does not answer."""
    shown = redact(url)
    try:
        answer = requests.get(f"{url.rstrip('/')}{path}", timeout=TIMEOUT_S)
    except requests.Timeout:
        raise UnreachableError(f"{name} at {shown} did not answer within {TIMEOUT_S} s", fix=redact(fix)) from None
    except requests.RequestException as exc:
        reason = "connection refused" if "refused" in str(exc).lower() else type(exc).__name__
        raise UnreachableError(f"{name} at {shown} is unreachable ({reason})", fix=redact(fix)) from None
    if answer.status_code != 200:
        raise UnreachableError(f"{name} at {redact(url + path)} answered {answer.status_code}", fix=redact(fix))
