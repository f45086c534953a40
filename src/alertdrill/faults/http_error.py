"""`type: http-error`: make a demo service answer with errors through its fault endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import requests

from alertdrill.config import FaultConfig
from alertdrill.errors import ConfigError, InjectorError
from alertdrill.faults.base import InjectorContext, number_option, text_option, unknown_options
from alertdrill.lab.services import LabServices


@dataclass(frozen=True)
class HttpErrorFault:
    type_name: ClassVar[str] = "http-error"
    url: str
    error_rate: float
    status: int = 500

    @classmethod
    def from_config(cls, fault: FaultConfig, context: InjectorContext) -> HttpErrorFault:
        unknown_options(fault, {"service", "url", "error_rate", "status"})
        service, url = text_option(fault, "service", None), text_option(fault, "url", None)
        rate = float(number_option(fault, "error_rate", 0.0, 1.0, 1.0) or 0.0)
        status = int(number_option(fault, "status", 100, 599, 500, integer=True) or 500)
        if not 0 < rate <= 1:
            raise ConfigError(f"fault {fault.name!r}: error_rate must be in (0, 1]", fix=f"at {fault.source}")
        if service:
            services = LabServices(context.settings)
            services.require(str(service), fault.source)
            url = services.url(str(service))
        if not url:
            raise ConfigError(
                f"fault {fault.name!r} (http-error) needs `service:` or `url:`", fix=f"add one at {fault.source}"
            )
        return cls(str(url).rstrip("/"), rate, status)

    def _set(self, rate: float) -> None:
        try:
            answer = requests.post(f"{self.url}/-/fault", json={"error_rate": rate, "status": self.status}, timeout=5)
        except requests.RequestException as exc:
            raise InjectorError(f"cannot reach {self.url}/-/fault: {type(exc).__name__}") from None
        if answer.status_code != 200:
            raise InjectorError(f"{self.url}/-/fault answered {answer.status_code}")

    def inject(self) -> None:
        self._set(self.error_rate)

    def revert(self) -> None:
        self._set(0.0)

    def describe(self) -> str:
        return f"{self.url} answers {self.status} to {self.error_rate:.0%} of requests"
