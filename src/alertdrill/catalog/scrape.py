"""The labels series get from Prometheus's scrape configuration, read offline (`prometheus_config`) or
from the running Prometheus (`/api/v1/status/config`).

A target's labels: `job`, `instance` (its address unless relabelled), its `static_configs` labels,
then its `relabel_configs` where they can be followed. Targets of service discovery (`*_sd_configs`)
carry labels not known offline. Series add the exporter's own labels (never known offline, except
for the series Prometheus writes itself, such as `up`) unless `honor_labels` lets them override.
`external_labels` go on every alert that lacks them; Prometheus 3 expands `${VAR}` in them from its
own environment, so such a value is not known offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from alertdrill.catalog.label_flow import Labels, merge
from alertdrill.catalog.promql_tree import Selector
from alertdrill.catalog.relabel import Relabel, apply
from alertdrill.yamlfile import load_yaml

SYNTHETIC = frozenset(
    {
        "up",
        "scrape_duration_seconds",
        "scrape_samples_scraped",
        "scrape_samples_post_metric_relabeling",
        "scrape_series_added",
    }
)
Lines = Mapping[tuple[str | int, ...], int]


@dataclass(frozen=True)
class Target:
    job: str
    labels: Labels  # after relabelling, without `__` labels; open for discovered targets
    honor_labels: bool = False
    metric_relabel: tuple[Relabel, ...] = ()
    where: str = ""


@dataclass(frozen=True)
class PrometheusConfig:
    source: str  # the file's name, or "the running Prometheus"
    targets: tuple[Target, ...] = ()
    complete: bool = False  # every scrape job was read (else a series may come from a job not known here)
    external: Labels = field(default_factory=lambda: Labels(open=False))
    alert_relabel: tuple[Relabel, ...] = ()

    def series_labels(self, selector: Selector) -> Labels:
        """What the series a selector picks carry from their targets (the exporter's labels: not known)."""
        metric = selector.metric
        if ":" in metric:
            return Labels()  # a recorded series not read here
        synthetic = metric in SYNTHETIC
        found = [
            labels
            for target in self.targets
            if not _contradicted(target, selector, synthetic) and (labels := self._series(target, synthetic))
        ]
        return merge(found) if found and self.complete else Labels()

    def _series(self, target: Target, synthetic: bool) -> Labels | None:
        labels = target.labels
        if synthetic:
            return labels
        if target.honor_labels:
            labels = labels.with_unknown([*labels.known], f"honor_labels of job {target.job} ({target.where})")
        labels = Labels(labels.known, labels.unknown, True, labels.dropped, labels.sources)
        return apply(labels, target.metric_relabel)

    def alert_labels(self, labels: Labels) -> Labels | None:
        """An alert's labels as Prometheus sends them: external labels it lacks added, then relabelled."""
        for name in (*self.external.known, *self.external.unknown):
            if name in labels.known or name in labels.unknown:
                continue
            source = self.external.sources.get(name, "external_labels")
            labels = labels.setting(name, self.external.value(name) or None, source)
        return apply(labels, self.alert_relabel)


def _contradicted(target: Target, selector: Selector, synthetic: bool) -> bool:
    if target.honor_labels and not synthetic:
        return False
    known = target.labels.known
    return any(m.name in known and not m.matches(known) for m in selector.matchers if m.name != "__name__")


def _relabels(raw: object, where: str) -> tuple[Relabel, ...]:
    items = raw if isinstance(raw, list) else []
    return tuple(Relabel.read(item, where) for item in items if isinstance(item, Mapping))


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _job_targets(job: Mapping[str, object], where: str) -> list[Target]:
    name = str(job.get("job_name", ""))
    base = {
        "job": name,
        "__scheme__": str(job.get("scheme", "http")),
        "__metrics_path__": str(job.get("metrics_path", "/metrics")),
    }
    found: list[Labels] = []
    for group in job.get("static_configs") or []:  # type: ignore[attr-defined]
        extra = {str(k): str(v) for k, v in _mapping(_mapping(group).get("labels")).items()}
        for address in _mapping(group).get("targets") or []:  # type: ignore[attr-defined]
            known = {**base, **extra, "__address__": str(address)}
            found.append(Labels(known, open=False, sources=dict.fromkeys(known, f"{where} (job {name})")))
    if any(key.endswith("_sd_configs") for key in job):
        found.append(Labels(base, frozenset({"__address__"}), sources=dict.fromkeys(base, where)))
    steps, honor = _relabels(job.get("relabel_configs"), where), bool(job.get("honor_labels", False))
    metric_steps = _relabels(job.get("metric_relabel_configs"), where)
    targets = []
    for labels in found:
        relabelled = apply(labels, steps)
        if relabelled is not None:
            targets.append(Target(name, _finished(relabelled, where), honor, metric_steps, where))
    return targets


def _finished(labels: Labels, where: str) -> Labels:
    """`instance` defaults to the address; labels starting with `__` are dropped after relabelling."""
    if labels.state("instance") != "known" and "instance" not in labels.unknown:
        labels = labels.setting("instance", labels.value("__address__") or None, where)
    hidden = [n for n in (*labels.known, *labels.unknown) if n.startswith("__")]
    return labels.without(hidden)


def _external(glob: Mapping[str, object], where: str) -> Labels:
    values = {str(k): str(v) for k, v in _mapping(glob.get("external_labels")).items()}
    known = {k: v for k, v in values.items() if "$" not in v}
    env = [k for k, v in values.items() if "$" in v]
    labels = Labels(open=False).with_known(known, f"external_labels ({where})")
    return labels.with_unknown(env, f"external_labels ({where}; expanded from Prometheus's environment)")


def read_config(data: object, source: str, lines: Lines | None = None) -> PrometheusConfig:
    config = _mapping(data)
    lines = lines or {}

    def where(*keys: str | int) -> str:
        return f"{source}:{lines[keys]}" if keys in lines else source

    jobs = config.get("scrape_configs") or []
    targets = [
        target
        for index, job in enumerate(jobs if isinstance(jobs, list) else [])
        for target in _job_targets(_mapping(job), where("scrape_configs", index))
    ]
    alerting = _mapping(config.get("alerting"))
    return PrometheusConfig(
        source,
        tuple(targets),
        bool(jobs) and not config.get("scrape_config_files"),
        _external(_mapping(config.get("global")), where("global", "external_labels")),
        _relabels(alerting.get("alert_relabel_configs"), where("alerting", "alert_relabel_configs")),
    )


def load_prometheus_config(path: Path | None) -> PrometheusConfig:
    """The file's scrape configuration; an empty (incomplete) one when there is no file."""
    if path is None or not path.exists():
        return PrometheusConfig("no prometheus_config")
    doc = load_yaml(path, what="Prometheus configuration")
    return read_config(doc.data, path.name, doc.lines)


def running_config(text: str) -> PrometheusConfig:
    """The configuration `/api/v1/status/config` answers (external labels already expanded)."""
    return read_config(yaml.safe_load(text), "the running Prometheus")
