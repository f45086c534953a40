"""Bad fault options and durations are refused when the fault is built (nothing runs, nothing is signalled),
and a pid that would hit init, every process or the harness is refused before any signal is sent."""

from __future__ import annotations

import math
import os
import signal
from pathlib import Path

import pytest

from alertdrill.config import FaultConfig, load_settings
from alertdrill.durations import MAX_DURATION_S, check_seconds, parse_duration
from alertdrill.errors import ConfigError, InjectorError
from alertdrill.faults import InjectorContext, InjectorRegistry
from alertdrill.testing import copy_project
from tests.conftest import REPO


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> InjectorContext:
    project = copy_project(REPO, tmp_path_factory.mktemp("options") / "p")
    return InjectorContext(load_settings(project.config_path))


def build(context: InjectorContext, kind: str, **options: object) -> object:
    return InjectorRegistry.default().build(FaultConfig("f", kind, options, "alertdrill.yml:9"), context)


# -- durations -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1.0e+308", "inf", "nan", "-5 minutes", "1e3 s", "9" * 400 + " s"])
def test_non_durations_say_the_allowed_range(text: str) -> None:
    with pytest.raises(ValueError, match=r"allowed: more than 0, at most 7 days"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["99999999 hours", "8 days", "2 weeks", "1y", "999999999999999 ms"])
def test_durations_beyond_a_week_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"is longer than 7 days, the longest allowed"):
        parse_duration(text)


def test_the_bound_itself_and_a_custom_bound() -> None:
    assert parse_duration("7 days") == MAX_DURATION_S
    assert parse_duration("1 hour", maximum=3600) == 3600
    with pytest.raises(ValueError, match=r"at most 1 hours"):
        parse_duration("61 minutes", maximum=3600)


@pytest.mark.parametrize("value", [math.nan, math.inf, -1, 0, 10**400, 1e308, True, "5", None])
def test_seconds_from_config_are_finite_positive_and_bounded(value: object) -> None:
    with pytest.raises(ValueError, match=r"timeout must be"):
        check_seconds(value, "timeout", maximum=3600)


# -- command -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"inject": "touch injected", "revert": None}, "`revert` is empty"),
        ({"inject": "touch injected", "revert": ""}, "`revert` is empty"),
        ({"inject": "touch injected", "revert": "   "}, "`revert` is empty"),
        ({"inject": "touch injected"}, "needs `revert`"),
        ({"inject": "", "revert": "true"}, "`inject` is empty"),
        ({"inject": ["touch", "injected"], "revert": "true"}, "`inject` must be str"),
        ({"inject": "touch injected", "revert": "true", "timeout": math.nan}, "timeout` must be more than 0"),
        ({"inject": "touch injected", "revert": "true", "timeout": math.inf}, "timeout` must be more than 0"),
        ({"inject": "touch injected", "revert": "true", "timeout": 0}, "timeout` must be more than 0"),
        ({"inject": "touch injected", "revert": "true", "timeout": -3}, "timeout` must be more than 0"),
        ({"inject": "touch injected", "revert": "true", "timeout": 86400}, "at most 3600 seconds"),
        ({"inject": "touch injected", "revert": "true", "timeout": True}, "must be a number of seconds"),
    ],
)
def test_bad_command_options_are_config_errors_and_run_nothing(
    context: InjectorContext, options: dict[str, object], words: str
) -> None:
    with pytest.raises(ConfigError, match=r"fault 'f'") as caught:
        build(context, "command", **options)
    assert words in str(caught.value) and "alertdrill.yml:9" in str(caught.value)
    assert not (context.cwd / "injected").exists()


def test_a_good_command_fault_keeps_its_timeout(context: InjectorContext) -> None:
    fault = build(context, "command", inject="true", revert="true", timeout=2.5)
    assert fault.timeout_s == 2.5  # type: ignore[attr-defined]


# -- process -----------------------------------------------------------------------------------------


# The harness's own ids are named, not numbers, in the test ids: each pytest-xdist worker has its own.
HARNESS = {"own-pid": os.getpid, "parent-pid": os.getppid, "own-group": os.getpgrp}


@pytest.mark.parametrize("pid", [0, -1, -12345, 1, *HARNESS])
def test_pids_that_would_hit_init_everyone_or_the_harness_are_refused(context: InjectorContext, pid: int | str) -> None:
    number = HARNESS[pid]() if isinstance(pid, str) else pid
    with pytest.raises(ConfigError, match=r"alertdrill will not signal it"):
        build(context, "process", pid=number, signal="STOP")


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"pid": True, "signal": "STOP"}, "`pid` must be int"),
        ({"pid": 4242, "signal": "NOPE"}, "unknown signal 'NOPE'"),
        ({"pid": 4242, "signal": ""}, "`signal` is empty"),
        ({"pid": 4242, "signal": 9}, "`signal` must be str"),
        ({"match": "", "signal": "STOP"}, "`match` is empty"),
        ({"pid": 4242, "signal": "KILL", "restart": ""}, "`restart` is empty"),
    ],
)
def test_bad_process_options_are_config_errors(
    context: InjectorContext, options: dict[str, object], words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        build(context, "process", **options)
    assert words in str(caught.value)


@pytest.mark.parametrize("named", ["0", "-1", "1", "own-group", "own-pid"])
def test_a_pid_file_naming_init_everyone_or_the_harness_sends_no_signal(
    context: InjectorContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, named: str
) -> None:
    content = str(HARNESS[named]()) if named in HARNESS else named
    pidfile = tmp_path / "app.pid"
    pidfile.write_text(content + "\n")
    fault = build(context, "process", pidfile=str(pidfile), signal="TERM", restart="true")
    sent: list[tuple[int, int]] = []
    monkeypatch.setattr(os, "kill", lambda pid, sig: sent.append((pid, sig)))  # nothing real, whatever happens
    with pytest.raises(InjectorError, match=rf"the pid file {pidfile} says {content}: .*sends it no signal"):
        fault.inject()  # type: ignore[attr-defined]
    assert [s for s in sent if s[1] != 0] == []
    with pytest.raises(InjectorError):
        fault.revert()  # type: ignore[attr-defined]
    assert [s for s in sent if s[1] not in (0,)] == []
    assert signal.SIGTERM not in [s[1] for s in sent]


# -- the other injectors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "options", "words"),
    [
        ("http-error", {"url": "http://127.0.0.1:1", "status": 0}, "`status` must be between 100 and 599"),
        ("http-error", {"url": "http://127.0.0.1:1", "status": 10**20}, "`status` must be between 100 and 599"),
        ("http-error", {"url": "http://127.0.0.1:1", "status": True}, "`status` must be int"),
        ("http-error", {"url": "http://127.0.0.1:1", "error_rate": math.nan}, "`error_rate` must be between 0 and 1"),
        ("http-error", {"url": ""}, "`url` is empty"),
        ("http-proxy", {"proxy": "http://127.0.0.1:1", "status": 1e400}, "http-proxy"),
        ("http-proxy", {"proxy": "", "status": 500}, "`proxy` is empty"),
        ("stress", {"cpu": True}, "`cpu` must be int"),
        ("stress", {"cpu": 10**9}, "`cpu` must be between 0 and 64"),
        ("stress", {"cpu": 1, "seconds": math.inf}, "`seconds` must be between 0 and 3600"),
        ("stress", {"disk_path": ".", "disk_mb": 1, "min_free_mb": -100000}, "`min_free_mb` must be between 64"),
        ("metric", {"pushgateway": "http://127.0.0.1:1", "metric": "m", "value": math.nan}, "`value` must be between"),
        ("metric", {"pushgateway": "http://127.0.0.1:1", "metric": "m", "value": math.inf}, "`value` must be between"),
        ("metric", {"pushgateway": "http://127.0.0.1:1", "metric": "", "value": 1}, "`metric` is empty"),
        ("metric", {"pushgateway": "http://127.0.0.1:1", "metric": "m", "value": 1, "job": ""}, "`job` is empty"),
        ("synthetic-alert", {"alertname": ""}, "`alertname` is empty"),
        (
            "kubernetes",
            {"action": "delete-pods", "namespace": "shop", "selector": ""},
            "`selector` must be a non-empty",
        ),
        ("kubernetes", {"action": "cordon", "node": 7}, "`node` must be a non-empty string"),
        (
            "kubernetes",
            {"action": "exec-kill", "namespace": "a", "pod": "p", "container": "c", "command": []},
            "`command` must be a non-empty string or list",
        ),
    ],
)
def test_holes_in_the_other_injectors_are_closed(
    context: InjectorContext, kind: str, options: dict[str, object], words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        build(context, kind, **options)
    assert words in str(caught.value)
