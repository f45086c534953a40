"""Inhibit rules and time intervals, against Alertmanager's own test cases
(`inhibit/inhibit_test.go`, `timeinterval/timeinterval_test.go`, ported case by case)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from alertdrill.catalog.inhibition import ActiveAlert, InhibitRule, inhibition, parse_rule
from alertdrill.catalog.matchers import Matcher
from alertdrill.catalog.routes import load_routing_tree
from alertdrill.catalog.timeintervals import NamedInterval, TimeInterval, muting, parse_interval, parse_minutes
from alertdrill.errors import ConfigError


def at(text: str) -> datetime:
    """Go's RFC822Z (`02 Jan 06 15:04 -0700`)."""
    return datetime.strptime(text, "%d %b %y %H:%M %z")


# timeIntervalTestCases: (interval, valid, invalid)
INTERVALS = [
    (TimeInterval(), ["02 Jan 06 15:04 +0000", "03 Jan 07 10:04 +0000", "04 Jan 06 09:04 +0000"], []),
    (
        TimeInterval(times=((540, 1020),), weekdays=((1, 5),)),
        ["04 May 20 15:04 +0000", "05 May 20 10:04 +0000", "09 Jun 20 09:04 +0000"],
        ["03 May 20 15:04 +0000", "04 May 20 08:59 +0000", "05 May 20 05:00 +0000"],
    ),
    (
        TimeInterval(days_of_month=((4, 6),), months=((4, 4),), years=((2020, 2020),)),
        ["04 Apr 20 15:04 +0000", "05 Apr 20 00:00 +0000", "06 Apr 20 23:05 +0000"],
        [
            "03 May 18 15:04 +0000",
            "03 Apr 20 23:59 +0000",
            "04 Jun 20 23:59 +0000",
            "06 Apr 19 23:59 +0000",
            "07 Apr 20 00:00 +0000",
        ],
    ),
    (
        TimeInterval(days_of_month=((-3, -1),)),
        [
            "31 Jan 20 15:04 +0000",
            "30 Jan 20 15:04 +0000",
            "29 Jan 20 15:04 +0000",
            "30 Jun 20 00:00 +0000",
            "29 Feb 20 23:05 +0000",
        ],
        [
            "03 May 18 15:04 +0000",
            "27 Jan 20 15:04 +0000",
            "03 Apr 20 23:59 +0000",
            "04 Jun 20 23:59 +0000",
            "06 Apr 19 23:59 +0000",
            "07 Apr 20 00:00 +0000",
            "01 Mar 20 00:00 +0000",
        ],
    ),
    (
        TimeInterval(months=((6, 6),), days_of_month=((-31, 31),)),
        ["30 Jun 20 00:00 +0000", "01 Jun 20 00:00 +0000"],
        ["31 May 20 00:00 +0000", "01 Jul 20 00:00 +0000"],
    ),
    (
        TimeInterval(times=((540, 1020),), weekdays=((1, 5),), location="Australia/Sydney"),
        ["06 Apr 21 13:00 +1000"],
        ["06 Apr 21 13:00 +0000"],
    ),
    (
        TimeInterval(times=((540, 1020),), weekdays=((1, 5),), months=((11, 11),), location="Australia/Sydney"),
        ["01 Nov 21 09:00 +1100", "31 Oct 21 22:00 +0000"],
        ["31 Oct 21 21:00 +0000"],
    ),
    (
        TimeInterval(days_of_month=((-1, -1),), location="America/New_York"),
        ["31 Mar 21 12:00 -0400"],
        ["30 Mar 21 12:00 -0400"],
    ),
]


@pytest.mark.parametrize(("interval", "valid", "invalid"), INTERVALS)
def test_contains_time_as_alertmanager(interval: TimeInterval, valid: list[str], invalid: list[str]) -> None:
    assert [t for t in valid if not interval.contains(at(t))] == []
    assert [t for t in invalid if interval.contains(at(t))] == []


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("00:00", "24:00", (0, 1440)),
        ("01:35", "17:39", (95, 1059)),
        ("09:35", "09:39", (575, 579)),
        ("17:31", "17:31", None),
        ("12:30", "24:01", None),
        ("09:30", "07:41", None),
        ("24:00", "17:41", None),
        ("14:03", "", None),
    ],
)
def test_time_ranges_as_alertmanager(start: str, end: str, expected: tuple[int, int] | None) -> None:
    raw = {"times": [{"start_time": start, "end_time": end}]}
    if expected is None:
        with pytest.raises(ValueError):
            parse_interval(raw)
    else:
        assert parse_interval(raw).times == (expected,)


# yamlUnmarshalTestCases and completeTestCases: (yaml, contains, excludes, error)
YAML_CASES = [
    (
        "weekdays: ['monday:friday']\ntimes: [{start_time: '09:00', end_time: '17:00'}]",
        ["08 Jul 20 09:00 +0000", "08 Jul 20 16:59 +0000", "01 Apr 21 13:00 +0000"],
        ["08 Jul 20 05:00 +0000", "08 Jul 20 08:59 +0000"],
        "",
    ),
    (
        "weekdays: ['monday:friday', 'sunday']\nmonths: ['january:march']\ndays_of_month: ['-7:-1']\n"
        "years: ['2020:2025', '2030:2035']\ntimes: [{start_time: '09:00', end_time: '17:00'}]",
        [
            "27 Jan 21 09:00 +0000",
            "28 Jan 21 16:59 +0000",
            "29 Jan 21 13:00 +0000",
            "31 Mar 25 13:00 +0000",
            "31 Jan 35 13:00 +0000",
        ],
        ["30 Jan 21 13:00 +0000", "01 Apr 21 13:00 +0000", "30 Jan 26 13:00 +0000", "31 Jan 35 17:01 +0000"],
        "",
    ),
    (
        "weekdays: ['monday:wednesday', 'saturday', 'sunday']\ntimes: [{start_time: '13:00', end_time: '15:00'}]\n"
        "days_of_month: ['1', '10', '20:-1']\nyears: ['2020:2023']\nmonths: ['january:march']",
        ["10 Jan 21 13:00 +0000", "30 Jan 21 14:24 +0000"],
        ["09 Jan 21 13:00 +0000", "20 Jan 21 12:59 +0000", "02 Feb 21 13:00 +0000"],
        "",
    ),
    ("days_of_month: ['30:31']\nyears: ['2020:2023']\nmonths: ['february']", [], ["28 Feb 21 13:00 +0000"], ""),
    ("days_of_month: ['1:-1']", ["15 Feb 21 13:00 +0000"], [], ""),
    ("months: ['January:december']", ["15 Feb 21 13:00 +0000"], [], ""),
    ("years: ['2020:2022']\nlocation: 'Australia/Sydney'", ["31 Dec 19 14:00 +0000"], ["31 Dec 19 12:59 +0000"], ""),
    ("times: [{start_time: '01:99', end_time: '23:59'}]", [], [], "couldn't parse timestamp 01:99, invalid format"),
    ("times: [{start_time: '00:00', end_time: '99:99'}]", [], [], "couldn't parse timestamp 99:99, invalid format"),
    ("weekdays: ['friday:monday']", [], [], "start day cannot be before end day"),
    ("weekdays: ['blurgsday:flurgsday']", [], [], "blurgsday is not a valid weekday"),
    ("weekdays: ['1:3']", [], [], "1 is not a valid weekday"),
    ("weekdays: ['-2:-1']", [], [], "-2 is not a valid weekday"),
    ("days_of_month: ['0']", [], [], "0 is not a valid day of the month: out of range"),
    ("days_of_month: ['-50:-20']", [], [], "-50 is not a valid day of the month: out of range"),
    ("days_of_month: ['1:50']", [], [], "50 is not a valid day of the month: out of range"),
    ("days_of_month: ['-15:5']", [], [], "end day must be negative if start day is negative"),
    ("days_of_month: ['10:-25']", [], [], "end day -25 is always before start day 10"),
    ("months: ['martius:june']", [], [], "martius is not a valid month"),
    ("months: ['march:junius']", [], [], "junius is not a valid month"),
    ("months: ['december:january']", [], [], "end month january is before start month december"),
    ("years: ['2022:2020']", [], [], "end year 2020 is before start year 2022"),
]


@pytest.mark.parametrize(("text", "contains", "excludes", "error"), YAML_CASES)
def test_yaml_intervals_as_alertmanager(text: str, contains: list[str], excludes: list[str], error: str) -> None:
    raw = yaml.safe_load(text)
    if error:
        with pytest.raises(ValueError, match=error):
            parse_interval(raw)
        return
    interval = parse_interval(raw)
    assert [t for t in contains if not interval.contains(at(t))] == []
    assert [t for t in excludes if interval.contains(at(t))] == []


def test_parse_minutes_accepts_24_00_only_at_the_end_of_the_day() -> None:
    assert parse_minutes("24:00") == 1440
    with pytest.raises(ValueError):
        parse_minutes("24:01")


SYDNEY = ZoneInfo("Australia/Sydney")
EVENINGS_AND_WEEKENDS = {
    "evenings": NamedInterval("evenings", (TimeInterval(times=((0, 540), (1020, 1440)), location="Australia/Sydney"),)),
    "weekends": NamedInterval("weekends", (TimeInterval(weekdays=((6, 6), (0, 0)), location="Australia/Sydney"),)),
}


@pytest.mark.parametrize(
    ("now", "muted_by"),
    [
        (datetime(2024, 1, 1, 0, 0, tzinfo=SYDNEY), ["evenings"]),
        (datetime(2024, 1, 1, 9, 0, tzinfo=SYDNEY), []),
        (datetime(2024, 1, 6, 10, 0, tzinfo=SYDNEY), ["weekends"]),
        (datetime(2024, 1, 6, 17, 0, tzinfo=SYDNEY), ["evenings", "weekends"]),
        (datetime(2024, 1, 1, 10, 0, tzinfo=UTC), ["evenings"]),
        (datetime(2024, 1, 6, 10, 0, tzinfo=UTC), ["evenings", "weekends"]),
    ],
)
def test_intervener_mutes_as_alertmanager(now: datetime, muted_by: list[str]) -> None:
    assert muting(EVENINGS_AND_WEEKENDS, ["evenings", "weekends"], [], now) == muted_by


def test_active_time_intervals_mute_outside_them() -> None:
    monday_9 = datetime(2024, 1, 1, 9, 0, tzinfo=SYDNEY)
    assert muting(EVENINGS_AND_WEEKENDS, [], ["weekends"], monday_9) == ["outside the active time interval weekends"]
    assert muting(EVENINGS_AND_WEEKENDS, [], ["evenings"], monday_9.replace(hour=20)) == []


def eq(**labels: str) -> tuple[Matcher, ...]:
    return tuple(Matcher(k, "=", v) for k, v in labels.items())


def test_has_equal_as_alertmanager() -> None:
    """TestInhibitRuleHasEqual: its sources match the source side (none is named) and not the target's."""
    rule = InhibitRule(0, (), eq(t="1"), ("a",))
    assert inhibition([rule], {"a": "b", "t": "1"}, []) is None  # no source alerts
    assert inhibition([InhibitRule(0, (), eq(t="1"))], {"a": "b", "t": "1"}, [ActiveAlert({})])  # no equal labels
    both = InhibitRule(0, (), eq(t="1"), ("a", "b"))
    resolved = [ActiveAlert({"a": "b", "b": "f"}, resolved=True), ActiveAlert({"a": "b", "b": "c"}, resolved=True)]
    assert inhibition([both], {"a": "b", "b": "c", "t": "1"}, resolved) is None  # matching but already resolved
    mixed = [ActiveAlert({"a": "b", "c": "d"}, resolved=True), ActiveAlert({"a": "b", "c": "f"})]
    found = inhibition([rule], {"a": "b", "t": "1"}, mixed)
    assert found is not None and found.source.labels == {"a": "b", "c": "f"}  # matching and unresolved
    other = [ActiveAlert({"a": "c", "c": "d"}), ActiveAlert({"a": "c", "c": "f"})]
    assert inhibition([rule], {"a": "b", "t": "1"}, other) is None  # equal label does not match


SOURCES = [ActiveAlert({"s1": "1", "t1": "2", "e": "1"}), ActiveAlert({"s2": "1", "t2": "1", "e": "1"})]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({"t1": "1", "e": "1"}, True),
        ({"t2": "1", "e": "1"}, True),
        ({"t1": "1", "t3": "1", "e": "1"}, True),
        ({"t1": "1", "t2": "1", "e": "1"}, True),
        ({"t1": "0", "e": "1"}, False),
        ({"s1": "1", "t1": "1", "e": "1"}, True),
        ({"s2": "1", "t2": "1", "e": "1"}, False),  # a two-sided source does not inhibit a two-sided target
        ({"t1": "1", "e": "0"}, False),
    ],
)
def test_rule_matches_as_alertmanager(target: dict[str, str], expected: bool) -> None:
    """TestInhibitRuleMatches (legacy source_match/target_match maps)."""
    rules = [
        parse_rule(0, {"source_match": {"s1": "1"}, "target_match": {"t1": "1"}, "equal": ["e"]}),
        parse_rule(1, {"source_match": {"s2": "1"}, "target_match": {"t2": "1"}, "equal": ["e"]}),
    ]
    assert (inhibition(rules, target, SOURCES) is not None) == expected


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({"t1": "1", "e": "1"}, False),
        ({"t2": "1", "e": "1"}, True),
        ({"t1": "1", "t3": "1", "e": "1"}, False),
        ({"t1": "1", "t2": "1", "e": "1"}, True),
        ({"t1": "0", "e": "1"}, True),
        ({"s1": "1", "t1": "1", "e": "1"}, False),
        ({"s2": "1", "t2": "1", "e": "1"}, True),
        ({"t1": "1", "e": "0"}, False),
    ],
)
def test_rule_matchers_as_alertmanager(target: dict[str, str], expected: bool) -> None:
    """TestInhibitRuleMatchers (`source_matchers`/`target_matchers`, `!=` included)."""
    rules = [
        parse_rule(0, {"source_matchers": ['s1="1"'], "target_matchers": ['t1!="1"'], "equal": ["e"]}),
        parse_rule(1, {"source_matchers": ['s2="1"'], "target_matchers": ['t2="1"'], "equal": ["e"]}),
    ]
    assert (inhibition(rules, target, SOURCES) is not None) == expected


def test_the_cause_names_the_source_alert_and_the_rule() -> None:
    rule = parse_rule(0, {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"']})
    found = inhibition([rule], {"alertname": "Slow", "severity": "warning"}, [ActiveAlert(_NODE_DOWN)])
    assert str(found) == 'inhibited by NodeDown{cluster="eu-1", severity="critical"} through inhibit_rules[0]'


_NODE_DOWN = {"alertname": "NodeDown", "cluster": "eu-1", "severity": "critical"}


def test_the_configuration_gives_rules_intervals_and_route_paths(tmp_path: Path) -> None:
    path = tmp_path / "alertmanager.yml"
    path.write_text(
        "route:\n  receiver: a\n  routes:\n    - receiver: b\n      matchers: ['team=\"x\"']\n"
        "      mute_time_intervals: [weekends]\n"
        "receivers: [{name: a}, {name: b, webhook_configs: [{url: 'http://127.0.0.1:1/'}]}]\n"
        "inhibit_rules:\n  - source_matchers: ['severity=\"critical\"']\n    target_matchers: ['severity=\"page\"']\n"
        "    equal: [team]\n"
        "time_intervals:\n  - name: weekends\n    time_intervals: [{weekdays: [saturday, sunday]}]\n"
    )
    tree = load_routing_tree(path)
    route = tree.routes_for({"team": "x"})[0]
    assert (route.path, route.mute_time_intervals) == ("route.routes[0]", ("weekends",))
    assert tree.inhibit_rules[0].equal == ("team",) and tree.inhibit_rules[0].line == 9
    assert tree.time_intervals["weekends"].contains(at("06 Jan 24 10:00 +0000"))
    assert tree.integrations == {"a": (), "b": ("webhook",)}


def test_a_bad_interval_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "alertmanager.yml"
    path.write_text("route: {receiver: a}\ntime_intervals:\n  - name: x\n    time_intervals: [{weekdays: [funday]}]\n")
    with pytest.raises(ConfigError, match="funday is not a valid weekday"):
        load_routing_tree(path)


def test_a_malformed_groups_answer_is_unknown_not_a_traceback() -> None:
    from alertdrill.observe.clients import Alertmanager
    from alertdrill.observe.watch import hot_groups

    class Broken(Alertmanager):
        def groups(self) -> list[Any]:
            return [{"labels": "not a mapping", "alerts": 7}]

    assert hot_groups(Broken("http://127.0.0.1:9"), "A", {"drill_run": "r1"}) is None


def test_lint_says_would_be_inhibited_and_muted_now(tmp_path: Path) -> None:
    from alertdrill.lint.report import lint
    from alertdrill.testing import copy_project
    from tests.conftest import REPO

    project = copy_project(REPO, tmp_path / "project")
    config_path = project.root / "alerts" / "alertmanager.yml"
    config = yaml.safe_load(config_path.read_text())
    config["route"]["routes"][0]["mute_time_intervals"] = ["always"]
    config["time_intervals"] = [{"name": "always", "time_intervals": [{}]}]
    config["inhibit_rules"] = [
        {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="page"'], "equal": ["team"]}
    ]
    config_path.write_text(yaml.safe_dump(config))
    rules_path = project.root / "alerts" / "rules.yml"
    rules = yaml.safe_load(rules_path.read_text())
    rules["groups"][0]["rules"].append(
        {"alert": "ClusterDown", "expr": "vector(1) == 0", "labels": {"severity": "critical", "team": "payments"}}
    )
    rules_path.write_text(yaml.safe_dump(rules))
    found = {f.rule: f.message for f in lint(project.settings()).findings if f.rule.startswith("suppression/")}
    assert found == {
        "suppression/inhibited": 'PaymentsApiDown would be inhibited by ClusterDown{severity="critical", '
        'team="payments"} through inhibit_rules[0] whenever ClusterDown fires',
        "suppression/muted": "PaymentsApiDown is muted now by the time interval always on route route.routes[0] "
        "(receiver payments-oncall)",
    }
