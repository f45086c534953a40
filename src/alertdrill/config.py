"""`alertdrill.yml` -> `Settings`, the one environment object every part receives.

Precedence (locust-style): command-line option > `ALERTDRILL_*` environment variable > file > default.
Paths in the file are relative to the file's own folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from alertdrill.durations import parse_duration
from alertdrill.errors import ConfigError
from alertdrill.options import from_environment, seconds
from alertdrill.redact import redact
from alertdrill.yamlfile import YamlDoc, load_yaml

DEFAULT_CONFIG = "alertdrill.yml"
CONFIG_ENV = "ALERTDRILL_CONFIG"

# Every top-level key of alertdrill.yml; anything else is a typo, reported with its line.
KNOWN_KEYS = frozenset({
    "prometheus", "alertmanager", "sink", "contact_groups", "runbooks", "rules", "prometheus_config",
    "alertmanager_config", "services", "faults", "lab", "history", "metrics", "kubernetes", "guards",
    "max_fault_duration", "runbook_hosts", "poll_interval", "steady_timeout", "command_timeout", "manual",
    "publish", "schedules", "surprise", "mission", "serve", "tags",
})
LAB_KEYS = frozenset({"dir", "services", "prometheus_bin", "alertmanager_bin", "ready_timeout", "run_label", "scrape"})
# The keys of the other sections (the schedule and surprise sections are read in full by `schedule/`).
SECTION_KEYS = {
    "sink": frozenset({"listen", "smtp", "public_url"}),
    "metrics": frozenset({"textfile", "pushgateway"}),
    "kubernetes": frozenset({"kubeconfig", "allowed_contexts"}),
    "mission": frozenset({"alert", "locate", "recover"}),
    "serve": frozenset({"listen", "users_file"}),
    "schedules": frozenset({"timezone", "max_parallel", "jobs"}),
    "surprise": frozenset({"drills", "tags", "timezone", "windows", "blackouts", "max", "per", "audit_log"}),
}
JOB_KEYS = frozenset({"cron", "drills", "tags", "timezone", "target"})
SERVICE_KEYS = frozenset({"healthy"})
LAB_SERVICE_KEYS = frozenset({"port"})


@dataclass(frozen=True)
class FaultConfig:
    """A named fault. `options` are the injector's own keys; the injector validates them."""

    name: str
    type: str
    options: Mapping[str, object]
    source: str = ""  # file:line, for messages
    max_duration_s: float | None = None  # `max_duration:` of the fault; default the config's max_fault_duration


@dataclass(frozen=True)
class ServiceConfig:
    name: str
    healthy: str
    source: str = ""


@dataclass(frozen=True)
class LabService:
    name: str
    port: int


@dataclass(frozen=True)
class LabConfig:
    dir: Path
    services: tuple[LabService, ...] = ()
    prometheus_bin: str = "prometheus"
    alertmanager_bin: str = "prometheus-alertmanager"
    ready_timeout_s: float = 30.0
    run_label: str = "drill_run"  # external label that makes each drill's Alertmanager group new
    scrape: tuple[tuple[str, str], ...] = ()  # extra (job, host:port) targets, e.g. a Pushgateway


@dataclass(frozen=True)
class Settings:
    config_path: Path
    prometheus: str = "http://127.0.0.1:9090"
    alertmanager: str = "http://127.0.0.1:9093"
    sink_listen: str = "127.0.0.1:9095"
    sink_public: str = ""  # the sink's address as people reach it (acknowledgement links); default: listen
    sink_smtp: str = ""  # host:port where the sink receives email (Alertmanager email_configs), if any
    contact_groups: Path | None = None
    runbooks: Path | None = None
    rules: tuple[Path, ...] = ()
    prometheus_config: Path | None = None
    alertmanager_config: Path | None = None
    services: Mapping[str, ServiceConfig] = field(default_factory=dict)
    faults: Mapping[str, FaultConfig] = field(default_factory=dict)
    lab: LabConfig | None = None
    report_dir: Path = Path("reports")
    tags: str = ""
    poll_interval_s: float = 0.1
    steady_timeout_s: float = 30.0
    command_timeout_s: float = 60.0
    manual: bool = False  # every drill is for people (as if tagged @manual)
    surprise: bool = False  # a surprise drill: for people, and not called a drill until acknowledged
    preflight: bool = True  # lint findings that concern a drill stop it before injection
    history: str = ""  # SQLAlchemy URL of the run history; default: SQLite in the state folder
    metrics_textfile: Path | None = None  # node_exporter textfile collector file
    pushgateway: str = ""  # Pushgateway URL to push drill results to
    publish: bool = True  # send each contact group its drills' summary through its notify URLs
    kubeconfig: str | None = None  # for kubernetes faults; default: the client's (KUBECONFIG, ~/.kube/config)
    kubernetes_contexts: tuple[str, ...] = ()  # the only contexts kubernetes faults may act on
    guards: Mapping[str, str] = field(default_factory=dict)  # name -> PromQL; non-empty result aborts a drill
    max_fault_duration_s: float = 900.0  # no fault stays longer than this, whatever else happens
    runbook_hosts: tuple[str, ...] = ()  # hosts whose http(s) runbook links are fetched (loopback always)
    allow_drift: bool = False  # drill the deployed rule even when it differs from the file
    parallel: int = 1  # drills with disjoint targets at once; 0 = as many as the targets allow

    @property
    def root(self) -> Path:
        return self.config_path.parent

    @property
    def state_dir(self) -> Path:
        return self.root / ".alertdrill"

    @property
    def sink_url(self) -> str:
        return f"http://{self.sink_listen}"

    @property
    def history_url(self) -> str:
        return self.history or f"sqlite:///{self.state_dir / 'history.sqlite'}"

    @property
    def sink_public_url(self) -> str:
        return (self.sink_public or self.sink_url).rstrip("/")

    def require_lab(self) -> LabConfig:
        if self.lab is None:
            raise ConfigError("no lab: section in the configuration", path=self.config_path,
                              fix="add lab: {dir: .lab, services: {...}} as in the example alertdrill.yml")
        return self.lab

    def with_overrides(self, **values: object) -> Settings:
        """Apply validated option values by option name (see `options.OPTIONS`); None means "not given"."""
        given = {k: v for k, v in values.items() if v is not None}
        renamed = {"poll_interval": "poll_interval_s"}
        fields = {renamed.get(k, k): v for k, v in given.items() if renamed.get(k, k) in self.__dataclass_fields__}
        if "report_dir" in fields:
            fields["report_dir"] = Path(str(fields["report_dir"])).absolute()
        if "history" in fields:
            fields["history"] = _history_url(str(fields["history"]), self.root)
        return replace(self, **fields)  # type: ignore[arg-type]


def find_config(explicit: str | os.PathLike[str] | None = None, start: Path | None = None) -> Path:
    """The config file: explicit path, else $ALERTDRILL_CONFIG, else alertdrill.yml here or above."""
    chosen = explicit or os.environ.get(CONFIG_ENV)
    if chosen:
        path = Path(chosen).absolute()
        if not path.is_file():
            raise ConfigError("configuration file not found", path=path,
                              fix="pass --config FILE or set ALERTDRILL_CONFIG")
        return path
    here = (start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / DEFAULT_CONFIG).is_file():
            return folder / DEFAULT_CONFIG
    raise ConfigError(f"no {DEFAULT_CONFIG} in {here} or any folder above it",
                      fix="run from the project folder or pass --config FILE")


def _url(doc: YamlDoc, key: str, value: object) -> str:
    text = str(value).rstrip("/") if isinstance(value, str) else ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise doc.error(f"{key}: {_shown_url(value)} is not an http(s) URL", *key.split("."),
                        fix=f"e.g. {key}: http://127.0.0.1:9090")
    return text


def _shown_url(value: object) -> str:
    """A URL for an error message: never its password or token, even when it is malformed."""
    if not isinstance(value, str):
        return _short(value)
    shown = redact(value)
    return repr("****@" + shown.rsplit("@", 1)[1] if "@" in shown else shown)[:80]


def _mapping(doc: YamlDoc, value: object, *keys: str) -> Mapping[str, object]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise doc.error(f"{'.'.join(keys) or 'the file'} must be a mapping of `key: value` lines, not {_short(value)}",
                        *keys, fix="see the example alertdrill.yml")
    return value


def _short(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _text(doc: YamlDoc, raw: Mapping[str, object], key: str, *where: str, default: str | None = None,
          empty: bool = False) -> str | None:
    """A text value (a path, a name): a non-empty string when given (`empty`: "" allowed), else `default`."""
    if key not in raw or raw[key] is None:
        return default
    value = raw[key]
    if not isinstance(value, str) or not (empty or value.strip()):
        name = ".".join((*where, key))
        raise doc.error(f"{name} must be {'a' if empty else 'a non-empty'} string, not {_short(value)}", *where, key,
                        fix=f"e.g. {name}: {DEFAULT_TEXT.get(name, 'name')}")
    return value


DEFAULT_TEXT = {"contact_groups": "notifiers/contact-groups.yml", "runbooks": "runbooks/",
                "prometheus_config": "alerts/prometheus.yml", "alertmanager_config": "alerts/alertmanager.yml",
                "lab.dir": ".lab", "history": ".alertdrill/history.sqlite", "metrics.textfile": "alertdrill.prom",
                "tags": "'payments and not slow'", "kubernetes.kubeconfig": "~/.kube/config"}


def _flag(doc: YamlDoc, raw: Mapping[str, object], key: str, default: bool) -> bool:
    """A yes/no value: YAML true or false (a string such as "no" would silently mean yes)."""
    value = raw.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise doc.error(f"{key} must be true or false, not {_short(value)}", key,
                        fix=f"e.g. {key}: {str(default).lower()}")
    return value


def _hostport(doc: YamlDoc, raw: Mapping[str, object], key: str, *where: str, default: str = "") -> str:
    """`host:port` (a listen or target address), port 1-65535."""
    if key not in raw or raw[key] is None:
        return default
    value, name = raw[key], ".".join((*where, key))
    host, _, port = value.rpartition(":") if isinstance(value, str) else ("", "", "")
    if not host.strip() or not port.isdigit() or not 0 < int(port) < 65536:
        raise doc.error(f"{name} must be host:port with a port from 1 to 65535, not {_short(value)}", *where, key,
                        fix=f"e.g. {name}: 127.0.0.1:9095")
    return str(value)


def _faults(doc: YamlDoc, raw: Mapping[str, object]) -> dict[str, FaultConfig]:
    faults = {}
    for name, body in raw.items():
        spec = _mapping(doc, body, "faults", name)
        kind = spec.get("type")
        if not isinstance(kind, str) or not kind:
            raise doc.error(f"fault {name!r} has no type", "faults", name,
                            fix="add `type: command` (or process-kill, http-error, ...)")
        options = {k: v for k, v in spec.items() if k not in ("type", "max_duration")}
        limit = _duration(doc, spec.get("max_duration"), "faults", name, "max_duration")
        faults[name] = FaultConfig(name, kind, options, f"{doc.path}:{doc.line('faults', name)}", limit)
    return faults


def _duration(doc: YamlDoc, value: object, *keys: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise doc.error(f"{'.'.join(keys)}: {_short(value)} is not a duration", *keys, fix="e.g. 15 minutes")
    try:
        return parse_duration(str(value))
    except ValueError as exc:
        raise doc.error(f"{'.'.join(keys)}: {exc}", *keys, fix="e.g. 15 minutes") from None


def _guards(doc: YamlDoc, raw: Mapping[str, object]) -> dict[str, str]:
    guards = {}
    for name, expr in raw.items():
        if not isinstance(expr, str) or not expr.strip():
            raise doc.error(f"guard {name!r} needs a PromQL expression", "guards", name,
                            fix="e.g. checkout-slo: 'sum(rate(http_errors_total[1m])) > 50'")
        guards[str(name)] = expr
    return guards


def _services(doc: YamlDoc, raw: Mapping[str, object]) -> dict[str, ServiceConfig]:
    services = {}
    for name, body in raw.items():
        spec = _mapping(doc, body, "services", name)
        _unknown_keys(doc, spec, SERVICE_KEYS, "services", str(name))
        healthy = spec.get("healthy")
        if not isinstance(healthy, str) or not healthy.strip():
            raise doc.error(f"service {name!r} has no `healthy` PromQL expression", "services", name,
                            fix=f"e.g. healthy: 'up{{job=\"{name}\"}} == 1'")
        services[name] = ServiceConfig(name, healthy, f"{doc.path}:{doc.line('services', name)}")
    return services


def _unknown_keys(doc: YamlDoc, raw: Mapping[str, object], known: frozenset[str], *where: str) -> None:
    for key in raw:
        if str(key) not in known:
            raise doc.error(f"unknown key {'.'.join((*where, str(key)))!r}", *where, str(key),
                            fix=f"known keys: {', '.join(sorted(known))}")


def _lab(doc: YamlDoc, raw: Mapping[str, object], root: Path) -> LabConfig:
    _unknown_keys(doc, raw, LAB_KEYS, "lab")
    services = []
    for name, body in _mapping(doc, raw.get("services"), "lab", "services").items():
        spec = _mapping(doc, body, "lab", "services", name)
        _unknown_keys(doc, spec, LAB_SERVICE_KEYS, "lab", "services", str(name))
        port = spec.get("port")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise doc.error(f"lab service {name!r} needs a port number (1-65535), not {_short(port)}",
                            "lab", "services", name, *(["port"] if "port" in spec else []), fix="e.g. port: 9101")
        services.append(LabService(name, port))
    scrape = []
    for job, target in _mapping(doc, raw.get("scrape"), "lab", "scrape").items():
        scrape.append((str(job), _hostport(doc, {str(job): target}, str(job), "lab", "scrape")))
    return LabConfig(dir=root / str(_text(doc, raw, "dir", "lab", default=".lab")), services=tuple(services),
                     prometheus_bin=str(_text(doc, raw, "prometheus_bin", "lab", default="prometheus")),
                     alertmanager_bin=str(_text(doc, raw, "alertmanager_bin", "lab",
                                                default="prometheus-alertmanager")),
                     ready_timeout_s=_number(doc, raw, "ready_timeout", 30.0, "lab"),
                     run_label=str(_text(doc, raw, "run_label", "lab", default="drill_run")), scrape=tuple(scrape))


def _number(doc: YamlDoc, raw: Mapping[str, object], key: str, default: float, *where: str) -> float:
    """A positive, finite number of seconds, or a duration (`30s`, `1 minute`)."""
    value = raw.get(key, default)
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"{value!r} must be a number of seconds or a duration")
        return seconds(str(value))
    except ValueError as exc:
        raise doc.error(f"{'.'.join((*where, key))}: {exc}", *where, key, fix="e.g. 30 or 30s") from None


def _history_url(value: str, root: Path) -> str:
    """A bare path means SQLite at that path (relative to the config's folder); URLs pass through."""
    if not value or "://" in value:
        return value
    return f"sqlite:///{(root / value).absolute()}"


def _strings(doc: YamlDoc, raw: Mapping[str, object], key: str, *where: str) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        name = ".".join((*where, key))
        raise doc.error(f"{name} must be a list of non-empty strings, not {_short(value)}", *where, key,
                        fix=f"e.g. {name}: [{'staging' if where else 'wiki.example.com'}]")
    return tuple(value)


def _sections(doc: YamlDoc, raw: Mapping[str, object]) -> None:
    """Keys of the smaller sections; mission budgets; the shape of the schedule and surprise sections."""
    for section, known in SECTION_KEYS.items():
        body = _mapping(doc, raw.get(section), section)
        _unknown_keys(doc, body, known, section)
        if section == "mission":
            for key, value in body.items():
                _duration(doc, value, "mission", str(key))
        if section == "serve":
            _hostport(doc, body, "listen", "serve")
            _text(doc, body, "users_file", "serve")
        if section == "schedules":
            for name, job in _mapping(doc, body.get("jobs"), "schedules", "jobs").items():
                _unknown_keys(doc, _mapping(doc, job, "schedules", "jobs", str(name)), JOB_KEYS,
                              "schedules", "jobs", str(name))


def load_settings(path: Path, env: Mapping[str, str] | None = None) -> Settings:
    """The file's settings, then the `ALERTDRILL_*` environment variables (validated, see `options`)."""
    env = os.environ if env is None else env
    doc = load_yaml(path, what="configuration file")
    raw = _mapping(doc, doc.data)
    _unknown_keys(doc, raw, KNOWN_KEYS)
    _sections(doc, raw)
    return _from_file(doc, raw, path).with_overrides(**from_environment(env))


def _from_file(doc: YamlDoc, raw: Mapping[str, object], path: Path) -> Settings:
    root = path.parent

    def rel(key: str, *where: str, section: Mapping[str, object] = raw, default: str | None = None,
            folder: bool = False) -> Path | None:
        """A path relative to the file's folder; a file named where a folder belongs (or the reverse) is an error."""
        value = _text(doc, section, key, *where, default=default)
        if not value:
            return None
        found = (root / value).absolute()
        if found.exists() and found.is_dir() != folder:
            name = ".".join((*where, key))
            kinds = ("file", "folder") if folder else ("folder", "file")
            raise doc.error(f"{name}: {value} is a {kinds[0]}, not a {kinds[1]}", *where, key,
                            fix=f"e.g. {name}: {DEFAULT_TEXT.get(name, 'name')}")
        return found

    sink = _mapping(doc, raw.get("sink"), "sink")
    metrics = _mapping(doc, raw.get("metrics"), "metrics")
    kube = _mapping(doc, raw.get("kubernetes"), "kubernetes")
    return Settings(
        config_path=path.absolute(),
        prometheus=_url(doc, "prometheus", raw.get("prometheus", Settings.prometheus)),
        alertmanager=_url(doc, "alertmanager", raw.get("alertmanager", Settings.alertmanager)),
        sink_listen=_hostport(doc, sink, "listen", "sink", default=Settings.sink_listen),
        sink_smtp=_hostport(doc, sink, "smtp", "sink"),
        sink_public=_url(doc, "sink.public_url", sink["public_url"]) if sink.get("public_url") is not None else "",
        contact_groups=rel("contact_groups", default="notifiers/contact-groups.yml"),
        runbooks=rel("runbooks", default="runbooks", folder=True),
        rules=_rules(doc, raw, root),
        prometheus_config=rel("prometheus_config"),
        alertmanager_config=rel("alertmanager_config"),
        services=_services(doc, _mapping(doc, raw.get("services"), "services")),
        faults=_faults(doc, _mapping(doc, raw.get("faults"), "faults")),
        lab=_lab(doc, _mapping(doc, raw.get("lab"), "lab"), root),
        report_dir=(root / "reports").absolute(),
        tags=str(_text(doc, raw, "tags", default="", empty=True)),
        poll_interval_s=_number(doc, raw, "poll_interval", 0.1),
        steady_timeout_s=_number(doc, raw, "steady_timeout", 30.0),
        command_timeout_s=_number(doc, raw, "command_timeout", 60.0),
        manual=_flag(doc, raw, "manual", False),
        runbook_hosts=_strings(doc, raw, "runbook_hosts"),
        history=_history_url(str(_text(doc, raw, "history", default="", empty=True)), root),
        metrics_textfile=rel("textfile", "metrics", section=metrics),
        pushgateway=(_url(doc, "metrics.pushgateway", metrics["pushgateway"])
                     if metrics.get("pushgateway") is not None else ""),
        publish=_flag(doc, raw, "publish", True),
        kubeconfig=_text(doc, kube, "kubeconfig", "kubernetes"),
        kubernetes_contexts=_strings(doc, kube, "allowed_contexts", "kubernetes"),
        guards=_guards(doc, _mapping(doc, raw.get("guards"), "guards")),
        max_fault_duration_s=_duration(doc, raw.get("max_fault_duration"), "max_fault_duration") or 900.0,
    )


def _rules(doc: YamlDoc, raw: Mapping[str, object], root: Path) -> tuple[Path, ...]:
    patterns = raw.get("rules") or []
    if not isinstance(patterns, list) or not all(isinstance(p, str) and p.strip() for p in patterns):
        raise doc.error(f"rules must be a list of rule files (globs allowed), not {_short(patterns)}", "rules",
                        fix="e.g. rules: [alerts/rules.yml]")
    rules: list[Path] = []
    for pattern in patterns:
        rules += sorted(root.glob(str(pattern))) or [root / str(pattern)]
    return tuple(rules)
