"""HTTP access to Prometheus, Alertmanager and the sink, failing fast (no hidden retries)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

import requests

from alertdrill.endpoints import Endpoint, as_endpoint
from alertdrill.errors import ConfigError, PromQLError, UnreachableError
from alertdrill.redact import redact

TIMEOUT_S = 5

Json = Any  # a server's JSON answer, read field by field where it is used (never the model)


def _raise_for_status(answer: requests.Response, endpoint: Endpoint | None = None) -> None:
    """`raise_for_status`, its message (which carries the URL) redacted."""
    try:
        answer.raise_for_status()
    except requests.HTTPError as exc:
        shown = endpoint.scrub(str(exc)) if endpoint is not None else redact(str(exc))
        raise requests.HTTPError(shown, response=answer) from None


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
    """One Prometheus, reached through its endpoint's configured session (auth, TLS, proxy, headers)."""

    def __init__(
        self,
        target: Endpoint | str,
        session: requests.Session | None = None,
        alerts_from: Callable[[], list[Json]] | None = None,
    ) -> None:
        self.endpoint = as_endpoint(target)
        self.url = self.endpoint.url
        self.session = session or self.endpoint.session()
        self._alerts_from = alerts_from  # a run's shared read of the alert list (shared_reads.Fresh)

    def query(self, expr: str) -> list[Json]:
        answer = self.session.get(self.endpoint.at("/api/v1/query"), params={"query": expr}, timeout=TIMEOUT_S)
        if answer.status_code in (400, 422):
            raise PromQLError(self.endpoint.scrub(f"Prometheus refused `{expr}`: {_error_text(answer)}"))
        _raise_for_status(answer, self.endpoint)
        return list(answer.json()["data"]["result"])

    def alerts(self) -> list[Json]:
        """Every pending and firing alert (from the run's shared read when there is one)."""
        return list(self._alerts_from()) if self._alerts_from else self.read_alerts()

    def read_alerts(self) -> list[Json]:
        answer = self.session.get(self.endpoint.at("/api/v1/alerts"), timeout=TIMEOUT_S)
        _raise_for_status(answer, self.endpoint)
        return list(answer.json()["data"]["alerts"])

    def alert_active(self, alertname: str) -> bool:
        """Is any alert of that name pending or firing?"""
        return any((a.get("labels") or {}).get("alertname") == alertname for a in self.alerts())


def _error_text(answer: requests.Response) -> str:
    try:
        return str(answer.json().get("error", ""))[:300] or f"HTTP {answer.status_code}"
    except ValueError:
        return f"HTTP {answer.status_code}: {answer.text[:200]}"


T = TypeVar("T")


class Alertmanager:
    """One Alertmanager, or the nodes of one cluster: an alert is read from the node(s) that have it,
    a node that does not answer is skipped while another does (its error is raised when none does)."""

    def __init__(
        self,
        target: Endpoint | str | Sequence[Endpoint],
        session: requests.Session | None = None,
        alerts_from: Callable[[], list[Json]] | None = None,
        metrics_from: Callable[[], list[str]] | None = None,
    ) -> None:
        endpoints = (as_endpoint(target),) if isinstance(target, Endpoint | str) else tuple(target)
        shared = session if len(endpoints) == 1 else None
        self.nodes = tuple((e, shared or e.session()) for e in endpoints)
        self.url = endpoints[0].url
        self.session = self.nodes[0][1]
        self._alerts_from = alerts_from  # a run's shared read of every alert (shared_reads.Fresh)
        self._metrics_from = metrics_from  # and of every node's /metrics

    @property
    def clustered(self) -> bool:
        return len(self.nodes) > 1

    def _each(self, call: Callable[[Endpoint, requests.Session], T]) -> list[T]:
        """The answers of every node that answers; the first error when none does."""
        answers: list[T] = []
        errors: list[Exception] = []
        for endpoint, session in self.nodes:
            try:
                answers.append(call(endpoint, session))
            except (requests.RequestException, ValueError) as exc:
                errors.append(exc)
        if errors and not answers:
            raise errors[0]
        return answers

    def _first(self, call: Callable[[Endpoint, requests.Session], T]) -> T:
        """The first node's answer that comes (silences are shared by the cluster)."""
        errors: list[Exception] = []
        for endpoint, session in self.nodes:
            try:
                return call(endpoint, session)
            except (requests.RequestException, ValueError) as exc:
                errors.append(exc)
        raise errors[0]

    def _request(
        self, method: str, path: str, **params: str | list[str]
    ) -> Callable[[Endpoint, requests.Session], Json]:
        def call(endpoint: Endpoint, session: requests.Session) -> Json:
            answer = session.request(method, endpoint.at(path), timeout=TIMEOUT_S, params=params or None)
            _raise_for_status(answer, endpoint)
            return answer.json() if answer.content else None

        return call

    def alerts(self, alertname: str, labels: Mapping[str, str] | None = None, shared: bool = True) -> list[Json]:
        """The alerts of that name (and labels); in a cluster, each alert as the first node that has it sees it.
        `shared=False` asks Alertmanager now (an answer newer than something just read elsewhere)."""
        wanted = {"alertname": alertname, **(labels or {})}
        if shared:
            return self.alerts_matching(wanted)
        return self._merged([f'{k}="{v}"' for k, v in wanted.items()])

    def alerts_matching(self, labels: Mapping[str, str] | None = None) -> list[Json]:
        """Every alert Alertmanager holds that carries `labels` (all alerts when none are given)."""
        wanted = dict(labels or {})
        if self._alerts_from is not None:
            return [a for a in self._alerts_from() if _carries(a, wanted)]
        return self._merged([f'{k}="{v}"' for k, v in wanted.items()])

    def silence(self, silence_id: str) -> Json:
        return self._first(self._request("GET", f"/api/v2/silence/{silence_id}"))

    def expire_silence(self, silence_id: str) -> None:
        self._first(self._request("DELETE", f"/api/v2/silence/{silence_id}"))

    def status(self) -> Json:
        """`/api/v2/status` of the first node that answers: its configuration, cluster and version."""
        return self._first(self._request("GET", "/api/v2/status"))

    def every_alert(self) -> list[Json]:
        """All alerts Alertmanager holds, suppressed ones included (to name an inhibiting alert); in a cluster,
        each fingerprint once (from the run's shared read when there is one)."""
        return list(self._alerts_from()) if self._alerts_from is not None else self._merged([])

    def read_every_alert(self) -> list[Json]:
        return self._merged([])

    def _merged(self, matchers: list[str]) -> list[Json]:
        merged: dict[str, Json] = {}
        for found in self._each(self._request("GET", "/api/v2/alerts", filter=matchers)):
            for alert in found:
                merged.setdefault(str(alert.get("fingerprint") or sorted((alert.get("labels") or {}).items())), alert)
        return list(merged.values())

    def metrics(self) -> list[str]:
        """Each answering node's `/metrics` text (its notification counters are its own sends), from the
        run's shared read when there is one."""
        return list(self._metrics_from()) if self._metrics_from is not None else self.read_metrics()

    def read_metrics(self) -> list[str]:

        def call(endpoint: Endpoint, session: requests.Session) -> str:
            answer = session.get(endpoint.at("/metrics"), timeout=TIMEOUT_S)
            _raise_for_status(answer, endpoint)
            return answer.text

        return self._each(call)

    def groups(self) -> list[Json]:
        """Aggregation groups; in a cluster, one per receiver and group labels, with every node's alerts."""
        merged: dict[str, Json] = {}
        for found in self._each(self._request("GET", "/api/v2/alerts/groups")):
            for group in found:
                key = json.dumps([(group.get("receiver") or {}).get("name"), group.get("labels")], sort_keys=True)
                kept = merged.setdefault(key, {**group, "alerts": []})
                known = {a.get("fingerprint") for a in kept["alerts"]}
                kept["alerts"] += [a for a in group.get("alerts") or [] if a.get("fingerprint") not in known]
        return list(merged.values())


def _carries(alert: Json, labels: Mapping[str, str]) -> bool:
    found = alert.get("labels") if isinstance(alert, dict) else None
    return isinstance(found, dict) and all(found.get(k, "") == v for k, v in labels.items())  # as `k=""` matches


class ReadsSink(Protocol):
    """What an observer asks of the sink: arrivals after a sequence number (a client, or the run's feed)."""

    def events(self, after: int, wait_s: float) -> tuple[list[Json], int]: ...


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


def require_reachable(name: str, target: Endpoint | str, path: str, fix: str) -> None:
    """One-line error before anything is injected when a system does not answer (UnreachableError), or
    refuses the configured credentials or certificates (ConfigError naming where they are configured)."""
    endpoint = as_endpoint(target)
    shown, fix = endpoint.shown, endpoint.scrub(fix)
    try:
        answer = endpoint.session().get(endpoint.at(path), timeout=TIMEOUT_S)
    except requests.exceptions.SSLError as exc:
        raise ConfigError(
            f"{name} at {shown}: TLS failed ({_tls_reason(exc)})",
            fix=f"check tls_config (ca_file, cert_file, key_file, server_name) at {endpoint.source or 'its config'}",
        ) from None
    except requests.Timeout:
        raise UnreachableError(f"{name} at {shown} did not answer within {TIMEOUT_S} s", fix=fix) from None
    except requests.RequestException as exc:
        reason = "connection refused" if "refused" in str(exc).lower() else type(exc).__name__
        raise UnreachableError(f"{name} at {shown} is unreachable ({reason})", fix=fix) from None
    if answer.status_code in (401, 403):
        raise ConfigError(
            f"{name} at {shown} refused the credentials ({answer.status_code})",
            fix=f"check basic_auth or authorization at {endpoint.source or 'its config'}",
        )
    if answer.status_code != 200:
        raise UnreachableError(f"{name} at {redact(endpoint.at(path))} answered {answer.status_code}", fix=fix)


def _tls_reason(exc: Exception) -> str:
    """What went wrong in the TLS handshake, in the words of OpenSSL (no secret is in them)."""
    found = re.search(r"certificate verify failed: ([^()]*)", str(exc))
    if found:
        return f"certificate verify failed: {found.group(1).strip()}"
    known = ("certificate required", "unknown ca", "bad certificate", "wrong version number")
    return next((k for k in known if k in str(exc).lower()), "handshake failed")
