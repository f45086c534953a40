"""`alertdrill.yml` -> `Settings`, the one environment object every part receives.

Precedence (locust-style): command-line option > `ALERTDRILL_*` environment variable > file > default.
Paths in the file are relative to the file's own folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from types import MappingProxyType

from alertdrill.config_values import (
    DEFAULT_TEXT,
    duration,
    endpoints,
    flag,
    guards,
    history_url,
    hostport,
    mapping,
    number,
    rule_files,
    short,
    strings,
    text,
    unknown_keys,
    url,
)
from alertdrill.endpoints import Endpoint
from alertdrill.errors import ConfigError, Problems
from alertdrill.options import from_environment
from alertdrill.yamlfile import YamlDoc, load_yaml

DEFAULT_CONFIG = "alertdrill.yml"
CONFIG_ENV = "ALERTDRILL_CONFIG"

# Every top-level key of alertdrill.yml; anything else is a typo, reported with its line.
KNOWN_KEYS = frozenset(
    {
        "prometheus",
        "alertmanager",
        "sink",
        "contact_groups",
        "runbooks",
        "rules",
        "prometheus_config",
        "alertmanager_config",
        "services",
        "faults",
        "lab",
        "history",
        "metrics",
        "kubernetes",
        "guards",
        "max_fault_duration",
        "runbook_hosts",
        "poll_interval",
        "steady_timeout",
        "command_timeout",
        "manual",
        "publish",
        "schedules",
        "surprise",
        "mission",
        "serve",
        "tags",
    }
)
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
NOTHING: Mapping[str, object] = MappingProxyType({})  # what stands in for a section that could not be read
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
    prometheus: str = "http://127.0.0.1:9090"  # the URL in force (`--prometheus` replaces it)
    alertmanager: str = "http://127.0.0.1:9093"  # the (first) Alertmanager's URL in force
    prometheus_http: Endpoint | None = None  # as configured, with its http_config; see `prometheus_endpoint`
    alertmanager_http: tuple[Endpoint, ...] = ()  # as configured: one, or the nodes of a cluster
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
    fresh_groups: str = "label"  # label: a new group where the lab can; wait: also wait for a live group to end
    serve_listen: str = "127.0.0.1:9097"  # where `alertdrill serve` (the console) listens
    serve_users_file: Path | None = None  # names -> {token or token_file, role}; required off loopback

    @property
    def prometheus_endpoint(self) -> Endpoint:
        """Prometheus as every HTTP call reaches it: the configured client settings, the URL in force."""
        configured = self.prometheus_http
        if configured is None:
            return Endpoint(self.prometheus)
        return configured if configured.url == self.prometheus else configured.with_url(self.prometheus)

    @property
    def alertmanager_endpoints(self) -> tuple[Endpoint, ...]:
        """The Alertmanagers (one, or a cluster's nodes). `--alertmanager URL` names one node, which keeps
        the first configured node's client settings."""
        nodes = self.alertmanager_http
        if not nodes:
            return (Endpoint(self.alertmanager),)
        return nodes if nodes[0].url == self.alertmanager else (nodes[0].with_url(self.alertmanager),)

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
            raise ConfigError(
                "no lab: section in the configuration",
                path=self.config_path,
                fix="add lab: {dir: .lab, services: {...}} as in the example alertdrill.yml",
            )
        return self.lab

    def with_overrides(self, **values: object) -> Settings:
        """Apply validated option values by option name (see `options.OPTIONS`); None means "not given"."""
        given = {k: v for k, v in values.items() if v is not None}
        renamed = {"poll_interval": "poll_interval_s"}
        fields = {renamed.get(k, k): v for k, v in given.items() if renamed.get(k, k) in self.__dataclass_fields__}
        if "report_dir" in fields:
            fields["report_dir"] = Path(str(fields["report_dir"])).absolute()
        if "history" in fields:
            fields["history"] = history_url(str(fields["history"]), self.root)
        return replace(self, **fields)  # type: ignore[arg-type]


def find_config(explicit: str | os.PathLike[str] | None = None, start: Path | None = None) -> Path:
    """The config file: explicit path, else $ALERTDRILL_CONFIG, else alertdrill.yml here or above."""
    chosen = explicit or os.environ.get(CONFIG_ENV)
    if chosen:
        path = Path(chosen).absolute()
        if not path.is_file():
            raise ConfigError(
                "configuration file not found", path=path, fix="pass --config FILE or set ALERTDRILL_CONFIG"
            )
        return path
    here = (start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / DEFAULT_CONFIG).is_file():
            return folder / DEFAULT_CONFIG
    raise ConfigError(
        f"no {DEFAULT_CONFIG} in {here} or any folder above it", fix="run from the project folder or pass --config FILE"
    )


def _faults(doc: YamlDoc, raw: Mapping[str, object], problems: Problems) -> dict[str, FaultConfig]:
    read = {name: problems.read(partial(_fault, doc, str(name), body), None) for name, body in raw.items()}
    return {name: fault for name, fault in read.items() if fault is not None}


def _fault(doc: YamlDoc, name: str, body: object) -> FaultConfig:
    spec = mapping(doc, body, "faults", name)
    kind = spec.get("type")
    if not isinstance(kind, str) or not kind:
        raise doc.error(
            f"fault {name!r} has no type",
            "faults",
            name,
            fix="add `type: command` (or process-kill, http-error, ...)",
        )
    options = {k: v for k, v in spec.items() if k not in ("type", "max_duration")}
    limit = duration(doc, spec.get("max_duration"), "faults", name, "max_duration")
    return FaultConfig(name, kind, options, f"{doc.path}:{doc.line('faults', name)}", limit)


def _services(doc: YamlDoc, raw: Mapping[str, object], problems: Problems) -> dict[str, ServiceConfig]:
    read = {name: problems.read(partial(_service, doc, str(name), body), None) for name, body in raw.items()}
    return {name: service for name, service in read.items() if service is not None}


def _service(doc: YamlDoc, name: str, body: object) -> ServiceConfig:
    spec = mapping(doc, body, "services", name)
    unknown_keys(doc, spec, SERVICE_KEYS, "services", name)
    healthy = spec.get("healthy")
    if not isinstance(healthy, str) or not healthy.strip():
        raise doc.error(
            f"service {name!r} has no `healthy` PromQL expression",
            "services",
            name,
            fix=f"e.g. healthy: 'up{{job=\"{name}\"}} == 1'",
        )
    return ServiceConfig(name, healthy, f"{doc.path}:{doc.line('services', name)}")


def _lab(doc: YamlDoc, raw: Mapping[str, object], root: Path, problems: Problems) -> LabConfig:
    read = problems.read
    read(lambda: unknown_keys(doc, raw, LAB_KEYS, "lab"), None)
    bodies = read(lambda: mapping(doc, raw.get("services"), "lab", "services"), NOTHING)
    services = [read(partial(_lab_service, doc, str(name), body), None) for name, body in bodies.items()]
    targets = read(lambda: mapping(doc, raw.get("scrape"), "lab", "scrape"), NOTHING)
    scrape = [
        (str(job), read(partial(hostport, doc, {str(job): target}, str(job), "lab", "scrape"), ""))
        for job, target in targets.items()
    ]
    return LabConfig(
        dir=root / read(lambda: text(doc, raw, "dir", "lab") or ".lab", ".lab"),
        services=tuple(s for s in services if s is not None),
        prometheus_bin=read(lambda: text(doc, raw, "prometheus_bin", "lab") or "prometheus", "prometheus"),
        alertmanager_bin=read(
            lambda: text(doc, raw, "alertmanager_bin", "lab") or "prometheus-alertmanager", "prometheus-alertmanager"
        ),
        ready_timeout_s=read(lambda: number(doc, raw, "ready_timeout", 30.0, "lab"), 30.0),
        run_label=read(lambda: text(doc, raw, "run_label", "lab") or "drill_run", "drill_run"),
        scrape=tuple(scrape),
    )


def _lab_service(doc: YamlDoc, name: str, body: object) -> LabService:
    spec = mapping(doc, body, "lab", "services", name)
    unknown_keys(doc, spec, LAB_SERVICE_KEYS, "lab", "services", name)
    port = spec.get("port")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise doc.error(
            f"lab service {name!r} needs a port number (1-65535), not {short(port)}",
            "lab",
            "services",
            name,
            *(["port"] if "port" in spec else []),
            fix="e.g. port: 9101",
        )
    return LabService(name, port)


def _section(doc: YamlDoc, raw: Mapping[str, object], section: str, problems: Problems) -> None:
    """One of the smaller sections: its keys; mission budgets; the shape of the schedule jobs."""
    body = mapping(doc, raw.get(section), section)
    problems.read(lambda: unknown_keys(doc, body, SECTION_KEYS[section], section), None)
    if section == "mission":
        for key, value in body.items():
            problems.read(partial(duration, doc, value, "mission", str(key)), None)
    if section == "serve":
        problems.read(lambda: hostport(doc, body, "listen", "serve"), "")
        problems.read(lambda: text(doc, body, "users_file", "serve") or "", "")
    if section == "schedules":
        jobs = problems.read(lambda: mapping(doc, body.get("jobs"), "schedules", "jobs"), NOTHING)
        for name, job in jobs.items():
            problems.read(partial(_job_keys, doc, str(name), job), None)


def _job_keys(doc: YamlDoc, name: str, job: object) -> None:
    where = ("schedules", "jobs", name)
    unknown_keys(doc, mapping(doc, job, *where), JOB_KEYS, *where)


def load_settings(path: Path, env: Mapping[str, str] | None = None) -> Settings:
    """The file's settings, then the `ALERTDRILL_*` environment variables (validated, see `options`).
    Every problem of the file and the environment is reported at once."""
    env = os.environ if env is None else env
    doc = load_yaml(path, what="configuration file")
    raw = mapping(doc, doc.data)
    problems = Problems()
    problems.read(lambda: unknown_keys(doc, raw, KNOWN_KEYS), None)
    for section in SECTION_KEYS:
        problems.read(partial(_section, doc, raw, section, problems), None)
    settings = _from_file(doc, raw, path, problems)
    overrides = problems.read(lambda: from_environment(env), dict[str, object]())
    problems.raise_all()
    return settings.with_overrides(**overrides)


def _from_file(doc: YamlDoc, raw: Mapping[str, object], path: Path, problems: Problems) -> Settings:
    root, read = path.parent, problems.read

    def rel(
        key: str, *where: str, section: Mapping[str, object] = raw, default: str | None = None, folder: bool = False
    ) -> Path | None:
        """A path relative to the file's folder; a file named where a folder belongs (or the reverse) is an error."""
        value = text(doc, section, key, *where, default=default)
        if not value:
            return None
        found = (root / value).absolute()
        if found.exists() and found.is_dir() != folder:
            name = ".".join((*where, key))
            kinds = ("file", "folder") if folder else ("folder", "file")
            raise doc.error(
                f"{name}: {value} is a {kinds[0]}, not a {kinds[1]}",
                *where,
                key,
                fix=f"e.g. {name}: {DEFAULT_TEXT.get(name, 'name')}",
            )
        return found

    def section(name: str) -> Mapping[str, object]:
        return read(lambda: mapping(doc, raw.get(name), name), NOTHING)

    sink, metrics, kube, serve = section("sink"), section("metrics"), section("kubernetes"), section("serve")
    prometheus = read(lambda: _one_prometheus(doc, raw), Endpoint(Settings.prometheus))
    fallback: tuple[Endpoint, ...] = (Endpoint(Settings.alertmanager),)
    alertmanagers = read(
        lambda: endpoints(doc, "alertmanager", raw.get("alertmanager", Settings.alertmanager)), fallback
    )
    return Settings(
        config_path=path.absolute(),
        prometheus=prometheus.url,
        alertmanager=alertmanagers[0].url,
        prometheus_http=prometheus,
        alertmanager_http=alertmanagers,
        sink_listen=read(lambda: hostport(doc, sink, "listen", "sink", default=Settings.sink_listen), ""),
        sink_smtp=read(lambda: hostport(doc, sink, "smtp", "sink"), ""),
        sink_public=read(lambda: _optional_url(doc, sink, "sink", "public_url"), ""),
        contact_groups=read(lambda: rel("contact_groups", default="notifiers/contact-groups.yml"), None),
        runbooks=read(lambda: rel("runbooks", default="runbooks", folder=True), None),
        rules=read(lambda: rule_files(doc, raw, root), ()),
        prometheus_config=read(lambda: rel("prometheus_config"), None),
        alertmanager_config=read(lambda: rel("alertmanager_config"), None),
        services=_services(doc, section("services"), problems),
        faults=_faults(doc, section("faults"), problems),
        lab=_lab(doc, section("lab"), root, problems),
        report_dir=(root / "reports").absolute(),
        tags=read(lambda: text(doc, raw, "tags", empty=True) or "", ""),
        poll_interval_s=read(lambda: number(doc, raw, "poll_interval", 0.1), 0.1),
        steady_timeout_s=read(lambda: number(doc, raw, "steady_timeout", 30.0), 30.0),
        command_timeout_s=read(lambda: number(doc, raw, "command_timeout", 60.0), 60.0),
        manual=read(lambda: flag(doc, raw, "manual", False), False),
        runbook_hosts=read(lambda: strings(doc, raw, "runbook_hosts"), ()),
        history=read(lambda: history_url(text(doc, raw, "history", empty=True) or "", root), ""),
        metrics_textfile=read(lambda: rel("textfile", "metrics", section=metrics), None),
        pushgateway=read(lambda: _optional_url(doc, metrics, "metrics", "pushgateway"), ""),
        publish=read(lambda: flag(doc, raw, "publish", True), True),
        kubeconfig=read(lambda: text(doc, kube, "kubeconfig", "kubernetes"), None),
        kubernetes_contexts=read(lambda: strings(doc, kube, "allowed_contexts", "kubernetes"), ()),
        guards=read(lambda: guards(doc, section("guards")), {}),
        max_fault_duration_s=read(lambda: duration(doc, raw.get("max_fault_duration"), "max_fault_duration"), None)
        or 900.0,
        serve_listen=read(lambda: hostport(doc, serve, "listen", "serve", default=Settings.serve_listen), ""),
        serve_users_file=read(lambda: rel("users_file", "serve", section=serve), None),
    )


def _one_prometheus(doc: YamlDoc, raw: Mapping[str, object]) -> Endpoint:
    found = endpoints(doc, "prometheus", raw.get("prometheus", Settings.prometheus))
    if len(found) > 1:
        raise doc.error("prometheus: name one Prometheus, not a list", "prometheus", fix="e.g. prometheus: URL")
    return found[0]


def _optional_url(doc: YamlDoc, body: Mapping[str, object], section: str, key: str) -> str:
    return url(doc, f"{section}.{key}", body[key]) if body.get(key) is not None else ""
