"""Injector types by name: built-ins plus the `alertdrill.injectors` entry-point group."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points

from alertdrill.config import FaultConfig
from alertdrill.errors import UnknownInjectorError
from alertdrill.faults.base import Injector, InjectorContext, InjectorFactory

GROUP = "alertdrill.injectors"


def _builtins() -> dict[str, InjectorFactory]:
    from alertdrill.faults.command import CommandFault
    from alertdrill.faults.http_error import HttpErrorFault
    from alertdrill.faults.http_proxy import HttpProxyFault
    from alertdrill.faults.kubernetes import KubernetesFault
    from alertdrill.faults.metric import MetricFault
    from alertdrill.faults.process import ProcessFault
    from alertdrill.faults.stress import StressFault
    from alertdrill.faults.synthetic_alert import SyntheticAlertFault

    return {
        "command": CommandFault,
        "process": ProcessFault,
        "process-kill": ProcessFault,
        "http-error": HttpErrorFault,
        "http-proxy": HttpProxyFault,
        "stress": StressFault,
        "metric": MetricFault,
        "synthetic-alert": SyntheticAlertFault,
        "kubernetes": KubernetesFault,
    }


@dataclass(frozen=True)
class InjectorRegistry:
    factories: Mapping[str, InjectorFactory] = field(default_factory=dict)

    @classmethod
    def default(cls) -> InjectorRegistry:
        """Built-ins, then every installed entry point (a plugin may replace a built-in)."""
        factories: dict[str, InjectorFactory] = _builtins()
        for ep in entry_points(group=GROUP):
            if ep.name not in factories or ep.value.split(":")[0].split(".")[0] != "alertdrill":
                factories[ep.name] = ep.load()
        return cls(factories)

    def with_injector(self, name: str, factory: InjectorFactory) -> InjectorRegistry:
        return InjectorRegistry({**self.factories, name: factory})

    def build(self, fault: FaultConfig, context: InjectorContext) -> Injector:
        factory = self.factories.get(fault.type)
        if factory is None:
            raise UnknownInjectorError(
                f"fault {fault.name!r} has unknown type {fault.type!r}",
                fix=f"use one of {', '.join(sorted(self.factories))} at {fault.source}, "
                f"or install a package that adds it to the {GROUP} entry points",
            )
        return factory.from_config(fault, context)
