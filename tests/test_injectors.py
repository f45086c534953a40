"""Injectors against real processes, and the registry users extend."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, cast

import pytest
import requests

from alertdrill.config import FaultConfig
from alertdrill.errors import ConfigError, InjectorError, UnknownInjectorError
from alertdrill.faults import Injector, InjectorContext, InjectorRegistry
from alertdrill.faults.process import ProcessFault
from alertdrill.lab.services import LabServices
from alertdrill.testing import Project, copy_project
from tests.conftest import REPO


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return copy_project(REPO, tmp_path / "p")


def build(project: Project, fault: str) -> Injector:
    settings = project.settings()
    return InjectorRegistry.default().build(settings.faults[fault], InjectorContext(settings))


def test_http_error_makes_a_real_service_fail_and_revert_heals_it(project: Project) -> None:
    services = LabServices(project.settings())
    services.start("checkout-api")
    try:
        url = services.url("checkout-api")
        injector = build(project, "checkout-api-errors")
        assert requests.get(url, timeout=5).status_code == 200
        injector.inject()
        assert requests.get(url, timeout=5).status_code == 500
        injector.revert()
        assert requests.get(url, timeout=5).status_code == 200
    finally:
        services.stop("checkout-api")


def test_process_kill_kills_and_revert_restarts(project: Project) -> None:
    services = LabServices(project.settings())
    first = services.start("payments-api")
    try:
        injector = cast(ProcessFault, build(project, "payments-api-down"))
        injector.inject()
        assert not services.running("payments-api") and injector.verify() is None
        with pytest.raises(InjectorError, match="nothing to signal"):
            injector.inject()
        injector.revert()
        assert services.running("payments-api")
        assert services.start("payments-api") != first
        assert requests.get(f"{services.url('payments-api')}/metrics", timeout=5).ok
    finally:
        services.stop("payments-api")


def test_command_failure_is_reported_with_its_output(project: Project) -> None:
    settings = project.settings()
    fault = FaultConfig("f", "command", {"inject": "echo no permission >&2; exit 3", "revert": "true"}, "x:1")
    injector = InjectorRegistry.default().build(fault, InjectorContext(settings))
    with pytest.raises(InjectorError, match=r"inject command failed: .* exit 3: no permission"):
        injector.inject()


def test_unknown_options_and_types_are_configuration_errors(project: Project) -> None:
    context = InjectorContext(project.settings())
    registry = InjectorRegistry.default()
    with pytest.raises(ConfigError, match="unknown option"):
        registry.build(FaultConfig("f", "command", {"inject": "a", "revert": "b", "colour": 1}, "x:1"), context)
    with pytest.raises(UnknownInjectorError, match="unknown type 'nope'"):
        registry.build(FaultConfig("f", "nope", {}, "x:1"), context)


@dataclass(frozen=True)
class Recording:
    type_name: ClassVar[str] = "recording"
    log: list[str]

    @classmethod
    def from_config(cls, fault: FaultConfig, context: InjectorContext) -> Recording:
        return cls(fault.options["log"])  # type: ignore[arg-type]

    def inject(self) -> None:
        self.log.append("inject")

    def revert(self) -> None:
        self.log.append("revert")

    def describe(self) -> str:
        return "records calls"


def test_users_add_injectors_to_a_registry(project: Project) -> None:
    log: list[str] = []
    registry = InjectorRegistry.default().with_injector("recording", Recording)
    injector = registry.build(FaultConfig("f", "recording", {"log": log}), InjectorContext(project.settings()))
    injector.inject()
    injector.revert()
    assert log == ["inject", "revert"]
    assert "recording" not in InjectorRegistry.default().factories  # registries are values, not globals


def test_builtin_injectors_are_published_as_entry_points() -> None:
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group="alertdrill.injectors")}
    assert {"command", "process-kill", "http-error"} <= names
