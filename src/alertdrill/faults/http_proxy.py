"""`type: http-proxy`: switch a fault on in an alertdrill HTTP fault proxy (`alertdrill proxy`) that
sits between a client (or Prometheus's scrape) and its target: errors, latency or dropped connections
for a share of requests. Revert switches it off."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

import requests

from alertdrill.config import FaultConfig
from alertdrill.errors import ConfigError, InjectorError
from alertdrill.faults.base import InjectorContext, http_url_option, unknown_options
from alertdrill.proxy.server import CONTROL, Fault


@dataclass(frozen=True)
class HttpProxyFault:
    type_name: ClassVar[str] = "http-proxy"
    proxy: str
    fault: Fault

    @classmethod
    def from_config(cls, fault: FaultConfig, context: InjectorContext) -> HttpProxyFault:
        unknown_options(fault, {"proxy", "rate", "status", "latency_ms", "drop"})
        proxy = http_url_option(fault, "proxy")
        try:
            wanted = Fault.parse({k: v for k, v in fault.options.items() if k != "proxy"})
        except (ValueError, TypeError, OverflowError) as exc:
            raise ConfigError(f"fault {fault.name!r} (http-proxy): {exc}", fix=f"at {fault.source}") from None
        if not (wanted.status or wanted.latency_ms or wanted.drop):
            raise ConfigError(
                f"fault {fault.name!r} (http-proxy) changes nothing",
                fix=f"set status, latency_ms or drop at {fault.source}",
            )
        return cls(proxy, wanted)

    def _call(self, method: str, body: dict[str, object] | None = None) -> dict[str, object]:
        try:
            answer = requests.request(method, f"{self.proxy}{CONTROL}", json=body, timeout=5)
        except requests.RequestException as exc:
            raise InjectorError(
                f"the fault proxy at {self.proxy} does not answer ({type(exc).__name__})",
                fix="start it: alertdrill proxy --listen HOST:PORT --target URL",
            ) from None
        if answer.status_code != 200:
            raise InjectorError(f"the fault proxy at {self.proxy} refused the fault: {answer.text[:200]}")
        return dict(answer.json())

    def inject(self) -> None:
        self._call("PUT", asdict(self.fault))

    def verify(self) -> str | None:
        active = self._call("GET")
        return None if active == asdict(self.fault) else f"the proxy holds {active}, not {asdict(self.fault)}"

    def revert(self) -> None:
        self._call("DELETE")

    def describe(self) -> str:
        what = ", ".join(
            p
            for p in (
                f"answer {self.fault.status}" if self.fault.status else "",
                f"delay {self.fault.latency_ms} ms" if self.fault.latency_ms else "",
                "drop the connection" if self.fault.drop else "",
            )
            if p
        )
        return f"fault proxy {self.proxy}: {what} for {self.fault.rate:.0%} of requests"
