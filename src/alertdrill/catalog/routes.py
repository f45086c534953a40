"""Alertmanager's routing tree, read from its configuration and evaluated as Alertmanager does.

Semantics follow Alertmanager 0.25 (`dispatch/route.go`): a node matches when all its matchers
match; its children are tried in order, and the first matching child ends the search unless it has
`continue: true`; a node none of whose children match is itself the match. Children inherit the
receiver and the timers, so each route an alert ends in has its own `group_wait` / `group_interval`
(Prometheus duration syntax: `0s`, `30s`, `5m`, `30d`; zero `group_interval`/`repeat_interval` refused,
as Alertmanager does). Matchers come as `matchers:` strings (several per string allowed, braces
optional) or the legacy `match:` / `match_re:` maps; regexes are anchored; a missing label is "".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from alertdrill.catalog.inhibition import InhibitRule, parse_rule
from alertdrill.catalog.matchers import Matcher, parse_matchers
from alertdrill.catalog.timeintervals import NamedInterval, parse_interval
from alertdrill.durations import parse_prometheus_duration
from alertdrill.errors import ConfigError
from alertdrill.yamlfile import YamlDoc, load_yaml, parse_yaml

__all__ = ["Matcher", "Route", "RoutingTree", "load_routing_tree", "parse_matchers"]

DEFAULT_TIMERS = {"group_wait": 30.0, "group_interval": 300.0, "repeat_interval": 14400.0}


@dataclass(frozen=True)
class Route:
    receiver: str
    matchers: tuple[Matcher, ...] = ()
    continue_: bool = False
    routes: tuple[Route, ...] = ()
    group_by: tuple[str, ...] = ()
    group_wait_s: float = DEFAULT_TIMERS["group_wait"]
    group_interval_s: float = DEFAULT_TIMERS["group_interval"]
    repeat_interval_s: float = DEFAULT_TIMERS["repeat_interval"]
    line: int = 0
    path: str = "route"  # where it is in the configuration: `route.routes[1]`
    mute_time_intervals: tuple[str, ...] = ()  # not inherited (as in Alertmanager)
    active_time_intervals: tuple[str, ...] = ()

    def match(self, labels: Mapping[str, str]) -> list[Route]:
        """The routes an alert with `labels` ends in (Alertmanager's `Route.Match`)."""
        if not all(m.matches(labels) for m in self.matchers):
            return []
        found: list[Route] = []
        for child in self.routes:
            hits = child.match(labels)
            found += hits
            if hits and not child.continue_:
                break
        return found or [self]

    def match_partly(self, value: Callable[[str], str | None], depends: set[str]) -> list[Route]:
        """As `match`, with labels whose value may not be known (None): those count as absent, and each
        one that could change the outcome (its node's known matchers all match) is added to `depends`."""
        if not all(m.matches({m.name: v}) for m in self.matchers if (v := value(m.name)) is not None):
            return []
        doubtful = [m for m in self.matchers if value(m.name) is None]
        depends.update(m.name for m in doubtful)
        if not all(m.matches({}) for m in doubtful):
            return []
        found: list[Route] = []
        for child in self.routes:
            hits = child.match_partly(value, depends)
            found += hits
            if hits and not child.continue_:
                break
        return found or [self]

    def walk(self) -> list[Route]:
        return [self, *(r for child in self.routes for r in child.walk())]


@dataclass(frozen=True)
class RoutingTree:
    path: Path
    root: Route
    receivers: dict[str, int] = field(default_factory=dict)  # name -> line
    emails: dict[str, str] = field(default_factory=dict)  # address (lower case) -> receiver (email_configs)
    sends_resolved: frozenset[str] = frozenset()  # receivers with a webhook that sends resolved notifications
    inhibit_rules: tuple[InhibitRule, ...] = ()
    time_intervals: dict[str, NamedInterval] = field(default_factory=dict)
    integrations: dict[str, tuple[str, ...]] = field(default_factory=dict)  # receiver -> `webhook`, `email`, ...

    def routes_for(self, labels: Mapping[str, str]) -> list[Route]:
        """The routes an alert ends in, in routing order, each with its own (inherited) timers."""
        return self.root.match(labels)

    def decide(self, value: Callable[[str], str | None]) -> tuple[list[Route], tuple[str, ...]]:
        """The routes of an alert some of whose labels may not be known (value None), and the labels
        not known here that the outcome depends on (none: the routes are certain)."""
        depends: set[str] = set()
        return self.root.match_partly(value, depends), tuple(sorted(depends))

    def receivers_for(self, labels: Mapping[str, str]) -> list[str]:
        """Receiver names in routing order, repeats kept (what `amtool config routes test` prints)."""
        return [route.receiver for route in self.routes_for(labels)]

    def routing_labels(self) -> set[str]:
        return {m.name for route in self.root.walk() for m in route.matchers} - {"alertname"}


def _route(doc: YamlDoc, raw: object, keys: tuple[str | int, ...], parent: Route | None) -> Route:
    if not isinstance(raw, Mapping):
        raise doc.error("a route must be a mapping", *keys)
    matchers: list[Matcher] = []
    for name, value in (raw.get("match") or {}).items():
        matchers.append(Matcher(str(name), "=", str(value)))
    for name, value in (raw.get("match_re") or {}).items():
        matchers.append(Matcher(str(name), "=~", str(value)))
    for index, text in enumerate(raw.get("matchers") or []):
        try:
            matchers += parse_matchers(str(text))
        except ValueError as exc:
            raise doc.error(str(exc), *keys, "matchers", index) from None
    timers: dict[str, float] = {}
    for key, default in DEFAULT_TIMERS.items():
        inherited = getattr(parent, f"{key}_s") if parent else default
        try:
            timers[f"{key}_s"] = parse_prometheus_duration(str(raw[key])) if key in raw else inherited
        except ValueError as exc:
            raise doc.error(f"{key}: {exc}", *keys, key) from None
        if key != "group_wait" and timers[f"{key}_s"] <= 0:
            raise doc.error(f"{key} cannot be zero (Alertmanager refuses it)", *keys, key)
    receiver = raw.get("receiver") or (parent.receiver if parent else None)
    if not receiver:
        raise doc.error("the root route names no receiver", *keys, fix="add `receiver: <name>`")
    group_by = raw.get("group_by", list(parent.group_by) if parent else [])
    node = Route(
        str(receiver),
        tuple(matchers),
        bool(raw.get("continue", False)),
        (),
        tuple(map(str, group_by or [])),
        line=doc.line(*keys),
        path="".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys).lstrip("."),
        mute_time_intervals=tuple(map(str, raw.get("mute_time_intervals") or [])),
        active_time_intervals=tuple(map(str, raw.get("active_time_intervals") or [])),
        **timers,
    )
    children = tuple(_route(doc, child, (*keys, "routes", i), node) for i, child in enumerate(raw.get("routes") or []))
    return replace(node, routes=children)


def load_routing_tree(path: Path) -> RoutingTree:
    return routing_tree(load_yaml(path, what="Alertmanager configuration"))


def parse_routing_tree(text: str, source: str) -> RoutingTree:
    """The tree of a configuration Alertmanager reports (`/api/v2/status` `config.original`)."""
    return routing_tree(parse_yaml(text, Path(source), what="Alertmanager configuration"))


def routing_tree(doc: YamlDoc) -> RoutingTree:
    """The routing tree of a read configuration (a file, or what a running Alertmanager answers)."""
    path = doc.path
    if not isinstance(doc.data, Mapping) or "route" not in doc.data:
        raise ConfigError(
            "no `route:` in the Alertmanager configuration", path=path, fix="add a root route with a receiver"
        )
    receivers, emails = {}, {}
    for index, item in enumerate(doc.data.get("receivers") or []):
        if isinstance(item, Mapping) and item.get("name"):
            receivers[str(item["name"])] = doc.line("receivers", index)
            for mail in item.get("email_configs") or []:
                for address in str((mail or {}).get("to", "")).split(","):
                    if address.strip():
                        emails[address.strip().lower()] = str(item["name"])
    resolved = frozenset(
        str(item["name"])
        for item in doc.data.get("receivers") or []
        if isinstance(item, Mapping)
        and any(
            isinstance(h, Mapping) and h.get("send_resolved", True) is not False
            for h in item.get("webhook_configs") or []
        )
    )
    return RoutingTree(
        path,
        _route(doc, doc.data["route"], ("route",), None),
        receivers,
        emails,
        resolved,
        _inhibit_rules(doc, doc.data),
        _time_intervals(doc, doc.data),
        _integrations(doc.data.get("receivers") or []),
    )


def _items(raw: object) -> list[object]:
    return list(raw) if isinstance(raw, list) else []


def _integrations(receivers: object) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for item in receivers if isinstance(receivers, list) else []:
        if isinstance(item, Mapping) and item.get("name"):
            kinds = (str(k).removesuffix("_configs") for k, v in item.items() if str(k).endswith("_configs") and v)
            found[str(item["name"])] = tuple(kinds)
    return found


def _inhibit_rules(doc: YamlDoc, data: Mapping[str, object]) -> tuple[InhibitRule, ...]:
    rules = []
    for index, raw in enumerate(_items(data.get("inhibit_rules"))):
        try:
            rules.append(parse_rule(index, raw, doc.line("inhibit_rules", index)))
        except ValueError as exc:
            raise doc.error(f"inhibit_rules[{index}]: {exc}", "inhibit_rules", index) from None
    return tuple(rules)


def _time_intervals(doc: YamlDoc, data: Mapping[str, object]) -> dict[str, NamedInterval]:
    """`time_intervals` and the older `mute_time_intervals`: name -> its intervals."""
    found: dict[str, NamedInterval] = {}
    for key in ("mute_time_intervals", "time_intervals"):
        for index, raw in enumerate(_items(data.get(key))):
            if not isinstance(raw, Mapping) or not raw.get("name"):
                raise doc.error(f"{key}[{index}] needs a name", key, index)
            try:
                parsed = tuple(parse_interval(item) for item in raw.get("time_intervals") or [])
            except ValueError as exc:
                raise doc.error(f"time interval {raw['name']!r}: {exc}", key, index) from None
            found[str(raw["name"])] = NamedInterval(str(raw["name"]), parsed, doc.line(key, index))
    return found
