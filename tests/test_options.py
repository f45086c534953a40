"""The one options table: every option reaches the CLI, pytest, the environment and the README."""

from __future__ import annotations

import pytest

from alertdrill import cli, options
from alertdrill.errors import ConfigError, ProblemsError
from alertdrill.options import from_environment
from tests.conftest import REPO


def test_every_option_is_documented_in_the_commands_page() -> None:
    page = (REPO / "docs" / "commands.md").read_text()  # the options table moved there from the README
    for option in options.OPTIONS:
        assert option.env_var in page or not option.env, option.name
        assert option.flag in page or not option.commands, option.name


def test_the_run_command_takes_every_run_option() -> None:
    run = cli.parser()._subparsers._group_actions[0].choices["run"]  # type: ignore[union-attr,index]
    flags = {flag for action in run._actions for flag in action.option_strings}
    assert {o.flag for o in options.OPTIONS if "run" in o.commands} <= flags


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [
        ("poll_interval", "0.5", 0.5),
        ("poll_interval", "2s", 2.0),
        ("preflight", "no", False),
        ("preflight", "YES", True),
        ("parallel", "auto", 0),
        ("parallel", "4", 4),
        ("prometheus", "https://prom.example/prefix/", "https://prom.example/prefix"),
    ],
)
def test_values_are_parsed_by_their_option(name: str, raw: str, value: object) -> None:
    assert options.from_environment({options.BY_NAME[name].env_var: raw}) == {name: value}


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("poll_interval", "0"),
        ("poll_interval", "-1"),
        ("poll_interval", "inf"),
        ("poll_interval", "nan"),
        ("poll_interval", "1e308"),
        ("parallel", "many"),
        ("parallel", "1000"),
        ("publish", "perhaps"),
        ("pushgateway", "ftp://x"),
    ],
)
def test_bad_values_name_their_source(name: str, raw: str) -> None:
    env_var = options.BY_NAME[name].env_var
    with pytest.raises(ConfigError, match=f"^{env_var}={raw!r}: "):
        options.from_environment({env_var: raw})
    with pytest.raises(ConfigError, match=f"^{options.BY_NAME[name].flag}={raw!r}: "):
        options.from_arguments({name: raw})


def test_every_bad_environment_value_is_named_at_once() -> None:
    with pytest.raises(ProblemsError) as caught:
        from_environment({"ALERTDRILL_PARALLEL": "0", "ALERTDRILL_PREFLIGHT": "maybe", "ALERTDRILL_TAGS": "@x"})
    said = caught.value.one_line().splitlines()
    assert len(said) == 2 and {line.split("=")[0] for line in said} == {"ALERTDRILL_PARALLEL", "ALERTDRILL_PREFLIGHT"}
