"""Deployed versus repository for Alertmanager: what the running configuration (`/api/v2/status`,
`config.original`) does with a drilled alert, against `alertmanager_config`.

Only what concerns the drill is compared: the routes the alert ends in (receiver, grouping and
timers), the receivers it reaches (present, with the same kinds of integration: URLs and secrets are
not compared, the running configuration hides them and the lab points them at its sink), and the
inhibit rules that can suppress it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from alertdrill.catalog.matchers import Matcher, parse_matchers
from alertdrill.catalog.routes import Route, RoutingTree, routing_tree
from alertdrill.errors import ConfigError
from alertdrill.yamlfile import YamlDoc, load_yaml

Value = Callable[[str], str | None]  # a label's value; None when not known


@dataclass(frozen=True)
class InhibitRule:
    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...]

    def __str__(self) -> str:
        def show(matchers: tuple[Matcher, ...]) -> str:
            return "{" + ", ".join(map(str, matchers)) + "}"

        return f"source {show(self.source)} target {show(self.target)} equal [{', '.join(self.equal)}]"

    def may_target(self, value: Value) -> bool:
        """Could the rule suppress an alert with these labels (unknown labels: it could)?"""
        return all(m.matches({m.name: v}) for m in self.target if (v := value(m.name)) is not None)


@dataclass(frozen=True)
class AlertmanagerConfig:
    source: str
    tree: RoutingTree
    integrations: Mapping[str, tuple[str, ...]]  # receiver -> kinds of integration, e.g. ("webhook x2",)
    inhibit: tuple[InhibitRule, ...]


def _matchers(raw: Mapping[str, object], side: str) -> tuple[Matcher, ...]:
    found = [Matcher(str(k), "=", str(v)) for k, v in dict(raw.get(f"{side}_match") or {}).items()]  # type: ignore[call-overload]
    found += [Matcher(str(k), "=~", str(v)) for k, v in dict(raw.get(f"{side}_match_re") or {}).items()]  # type: ignore[call-overload]
    for text in raw.get(f"{side}_matchers") or []:  # type: ignore[attr-defined]
        found += parse_matchers(str(text))
    return tuple(sorted(found, key=str))


def _integrations(receiver: Mapping[str, object]) -> tuple[str, ...]:
    kinds = []
    for key, value in sorted(receiver.items()):
        if str(key).endswith("_configs") and isinstance(value, list) and value:
            kind = str(key).removesuffix("_configs")
            kinds.append(kind if len(value) == 1 else f"{kind} x{len(value)}")
    return tuple(kinds)


def read_alertmanager_config(doc: YamlDoc, source: str) -> AlertmanagerConfig:
    data = doc.data if isinstance(doc.data, Mapping) else {}
    try:
        inhibit = tuple(
            InhibitRule(
                _matchers(rule, "source"), _matchers(rule, "target"), tuple(sorted(map(str, rule.get("equal") or [])))
            )
            for rule in data.get("inhibit_rules") or []
            if isinstance(rule, Mapping)
        )
    except ValueError as exc:
        raise doc.error(f"inhibit_rules: {exc}", "inhibit_rules") from None
    receivers = [r for r in data.get("receivers") or [] if isinstance(r, Mapping)]
    return AlertmanagerConfig(
        source,
        routing_tree(doc),
        {str(r.get("name")): _integrations(r) for r in receivers},
        inhibit,
    )


def load_alertmanager_config(path: Path) -> AlertmanagerConfig:
    return read_alertmanager_config(load_yaml(path, what="Alertmanager configuration"), path.name)


def running_alertmanager(text: str, where: str) -> AlertmanagerConfig:
    """What `/api/v2/status` answers in `config.original`; ConfigError when it cannot be read."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"the configuration of the Alertmanager at {where} is not YAML: {exc}") from None
    return read_alertmanager_config(YamlDoc(Path("running Alertmanager"), data), where)


def _route_text(route: Route) -> str:
    return (
        f"{route.receiver} (group_by [{', '.join(route.group_by)}], group_wait {route.group_wait_s:g} s, "
        f"group_interval {route.group_interval_s:g} s, repeat_interval {route.repeat_interval_s:g} s)"
    )


def differences(alert: str, value: Value, file: AlertmanagerConfig, running: AlertmanagerConfig) -> list[str]:
    """How the running Alertmanager treats the alert differently from the file (empty: the same)."""
    found: list[str] = []
    want = [_route_text(r) for r in file.tree.decide(value)[0]]
    have = [_route_text(r) for r in running.tree.decide(value)[0]]
    if want != have:
        found.append(f"{alert} is routed to {'; '.join(have)} (file: {'; '.join(want)})")
    for receiver in dict.fromkeys(r.receiver for r in file.tree.decide(value)[0]):
        if receiver not in running.integrations:
            found.append(f"receiver {receiver} is not defined")
        elif running.integrations[receiver] != file.integrations.get(receiver):
            shown = ", ".join(running.integrations[receiver]) or "none"
            found.append(
                f"receiver {receiver} has {shown} (file: {', '.join(file.integrations.get(receiver, ())) or 'none'})"
            )
    mine = {str(r) for r in file.inhibit if r.may_target(value)}
    theirs = {str(r) for r in running.inhibit if r.may_target(value)}
    found += [f"the inhibit rule {r} is missing" for r in sorted(mine - theirs)]
    found += [f"an inhibit rule not in the file: {r}" for r in sorted(theirs - mine)]
    return found
