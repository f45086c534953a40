"""The readers of alertdrill.yml's values: each checks one kind of value and names the file and line
of a bad one (with the fix). `config` composes them into `Settings`."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from alertdrill.durations import parse_duration
from alertdrill.endpoints import Endpoint, EndpointProblem, parse_endpoints
from alertdrill.errors import raise_all
from alertdrill.options import seconds
from alertdrill.redact import redact
from alertdrill.yamlfile import YamlDoc


def url(doc: YamlDoc, key: str, value: object) -> str:
    text = str(value).rstrip("/") if isinstance(value, str) else ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise doc.error(
            f"{key}: {shown_url(value)} is not an http(s) URL",
            *key.split("."),
            fix=f"e.g. {key}: http://127.0.0.1:9090",
        )
    return text


def endpoints(doc: YamlDoc, key: str, value: object) -> tuple[Endpoint, ...]:
    """A URL, an endpoint mapping (Prometheus's `http_config` shape) or a list of them; paths relative to
    the file's folder. A problem names its key (`alertmanager.1.tls_config.ca_file`) and line."""
    sources = [f"{doc.path}:{doc.line(key, i)}" for i in range(len(value))] if isinstance(value, list) else []
    try:
        return parse_endpoints(value, doc.path.parent, sources or [f"{doc.path}:{doc.line(key)}"])
    except EndpointProblem as problem:
        name = ".".join(str(k) for k in (key, *problem.keys))
        raise doc.error(f"{name}: {problem.message}", key, *problem.keys, fix=problem.fix) from None


def shown_url(value: object) -> str:
    """A URL for an error message: never its password or token, even when it is malformed."""
    if not isinstance(value, str):
        return short(value)
    shown = redact(value)
    return repr("****@" + shown.rsplit("@", 1)[1] if "@" in shown else shown)[:80]


def mapping(doc: YamlDoc, value: object, *keys: str) -> Mapping[str, object]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise doc.error(
            f"{'.'.join(keys) or 'the file'} must be a mapping of `key: value` lines, not {short(value)}",
            *keys,
            fix="see the example alertdrill.yml",
        )
    return value


def short(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def text(
    doc: YamlDoc, raw: Mapping[str, object], key: str, *where: str, default: str | None = None, empty: bool = False
) -> str | None:
    """A text value (a path, a name): a non-empty string when given (`empty`: "" allowed), else `default`."""
    if key not in raw or raw[key] is None:
        return default
    value = raw[key]
    if not isinstance(value, str) or not (empty or value.strip()):
        name = ".".join((*where, key))
        raise doc.error(
            f"{name} must be {'a' if empty else 'a non-empty'} string, not {short(value)}",
            *where,
            key,
            fix=f"e.g. {name}: {DEFAULT_TEXT.get(name, 'name')}",
        )
    return value


DEFAULT_TEXT = {
    "contact_groups": "notifiers/contact-groups.yml",
    "runbooks": "runbooks/",
    "prometheus_config": "alerts/prometheus.yml",
    "alertmanager_config": "alerts/alertmanager.yml",
    "lab.dir": ".lab",
    "serve.users_file": "console-users.yml",
    "history": ".alertdrill/history.sqlite",
    "metrics.textfile": "alertdrill.prom",
    "tags": "'payments and not slow'",
    "kubernetes.kubeconfig": "~/.kube/config",
}


def flag(doc: YamlDoc, raw: Mapping[str, object], key: str, default: bool) -> bool:
    """A yes/no value: YAML true or false (a string such as "no" would silently mean yes)."""
    value = raw.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise doc.error(
            f"{key} must be true or false, not {short(value)}", key, fix=f"e.g. {key}: {str(default).lower()}"
        )
    return value


def hostport(doc: YamlDoc, raw: Mapping[str, object], key: str, *where: str, default: str = "") -> str:
    """`host:port` (a listen or target address), port 1-65535."""
    if key not in raw or raw[key] is None:
        return default
    value, name = raw[key], ".".join((*where, key))
    host, _, port = value.rpartition(":") if isinstance(value, str) else ("", "", "")
    if not host.strip() or not port.isdigit() or not 0 < int(port) < 65536:
        raise doc.error(
            f"{name} must be host:port with a port from 1 to 65535, not {short(value)}",
            *where,
            key,
            fix=f"e.g. {name}: 127.0.0.1:9095",
        )
    if (":" in host or "[" in host or "]" in host) and not _ipv6_in_brackets(host):
        raise doc.error(
            f"{name}: an IPv6 address goes in brackets, not {short(value)}",
            *where,
            key,
            fix=f'e.g. {name}: "[::1]:9095" (quoted)',
        )
    return str(value)


def _ipv6_in_brackets(host: str) -> bool:
    if not (host.startswith("[") and host.endswith("]")):
        return False
    try:
        return ipaddress.ip_address(host[1:-1]).version == 6
    except ValueError:
        return False


def duration(doc: YamlDoc, value: object, *keys: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise doc.error(f"{'.'.join(keys)}: {short(value)} is not a duration", *keys, fix="e.g. 15 minutes")
    try:
        return parse_duration(str(value))
    except ValueError as exc:
        raise doc.error(f"{'.'.join(keys)}: {exc}", *keys, fix="e.g. 15 minutes") from None


def unknown_keys(doc: YamlDoc, raw: Mapping[str, object], known: frozenset[str], *where: str) -> None:
    """Every key that is not `known`, each with its line."""
    raise_all(
        [
            doc.error(
                f"unknown key {'.'.join((*where, str(key)))!r}",
                *where,
                str(key),
                fix=f"known keys: {', '.join(sorted(known))}",
            )
            for key in raw
            if str(key) not in known
        ]
    )


def number(doc: YamlDoc, raw: Mapping[str, object], key: str, default: float, *where: str) -> float:
    """A positive, finite number of seconds, or a duration (`30s`, `1 minute`)."""
    value = raw.get(key, default)
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"{value!r} must be a number of seconds or a duration")
        return seconds(str(value))
    except ValueError as exc:
        raise doc.error(f"{'.'.join((*where, key))}: {exc}", *where, key, fix="e.g. 30 or 30s") from None


def history_url(value: str, root: Path) -> str:
    """A bare path means SQLite at that path (relative to the config's folder); URLs pass through."""
    if not value or "://" in value:
        return value
    return f"sqlite:///{(root / value).absolute()}"


def strings(doc: YamlDoc, raw: Mapping[str, object], key: str, *where: str) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        name = ".".join((*where, key))
        raise doc.error(
            f"{name} must be a list of non-empty strings, not {short(value)}",
            *where,
            key,
            fix=f"e.g. {name}: [{'staging' if where else 'wiki.example.com'}]",
        )
    return tuple(value)


def guards(doc: YamlDoc, raw: Mapping[str, object]) -> dict[str, str]:
    guards = {}
    for name, expr in raw.items():
        if not isinstance(expr, str) or not expr.strip():
            raise doc.error(
                f"guard {name!r} needs a PromQL expression",
                "guards",
                name,
                fix="e.g. checkout-slo: 'sum(rate(http_errors_total[1m])) > 50'",
            )
        guards[str(name)] = expr
    return guards


def rule_files(doc: YamlDoc, raw: Mapping[str, object], root: Path) -> tuple[Path, ...]:
    patterns = raw.get("rules") or []
    if not isinstance(patterns, list) or not all(isinstance(p, str) and p.strip() for p in patterns):
        raise doc.error(
            f"rules must be a list of rule files (globs allowed), not {short(patterns)}",
            "rules",
            fix="e.g. rules: [alerts/rules.yml]",
        )
    rules: list[Path] = []
    for pattern in patterns:
        rules += sorted(root.glob(str(pattern))) or [root / str(pattern)]
    return tuple(rules)
