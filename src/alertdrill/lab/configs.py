"""The effective Prometheus and Alertmanager configuration the lab runs with, written to the lab folder.

Prometheus: intervals (and rule files) come from the project's files; targets come from
`alertdrill.yml` (lab services, Alertmanager address), so ports live in one place.
Alertmanager: the project's configuration as it is, except that loopback webhook URLs are pointed
at the configured sink address (in the lab the sink is the only loopback receiver) and made to send
the sink's per-run secret (`http_config.authorization.credentials_file`: the config holds the file's
path, never the secret, so printing the config shows nothing secret). Loopback smarthosts go to the
sink's SMTP side and authenticate with the same secret (`auth_username: alertdrill`, `auth_password_file`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from alertdrill.config import Settings
from alertdrill.errors import ConfigError
from alertdrill.sink.auth import FILE_NAME
from alertdrill.sink.smtp import SMTP_USER
from alertdrill.yamlfile import load_yaml

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def netloc(url: str) -> str:
    return urlsplit(url).netloc


def prometheus_intervals(settings: Settings) -> dict[str, str]:
    intervals = {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "800ms"}
    if settings.prometheus_config and settings.prometheus_config.exists():
        doc = load_yaml(settings.prometheus_config, what="Prometheus configuration")
        glob = (doc.data or {}).get("global", {}) if isinstance(doc.data, dict) else {}
        intervals.update({k: str(v) for k, v in (glob or {}).items() if k in intervals})
    return intervals


def prometheus_config(settings: Settings, external_labels: dict[str, str] | None = None) -> dict[str, object]:
    assert settings.lab is not None
    glob: dict[str, object] = dict(prometheus_intervals(settings))
    if external_labels:
        glob["external_labels"] = dict(external_labels)
    return {
        "global": glob,
        "rule_files": [str(p) for p in settings.rules],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [netloc(settings.alertmanager)]}]}]},
        "scrape_configs": [
            {"job_name": s.name, "static_configs": [{"targets": [f"127.0.0.1:{s.port}"]}]}
            for s in settings.lab.services
        ]
        + [
            {"job_name": job, "honor_labels": True, "static_configs": [{"targets": [target]}]}
            for job, target in settings.lab.scrape
        ],
    }


def lab_secret_file(settings: Settings) -> Path | None:
    """The secret of the lab's sink (written by `lab up`), when there is a lab and it wrote one."""
    if settings.lab is None:
        return None
    path = (settings.lab.dir / FILE_NAME).absolute()
    return path if path.is_file() else None


def sink_http_config(secret_file: Path) -> dict[str, object]:
    """How Alertmanager authenticates to the sink: a bearer token read from `secret_file`."""
    return {"authorization": {"type": "Bearer", "credentials_file": str(secret_file)}}


def sink_smtp_auth(secret_file: Path) -> dict[str, str]:
    """How Alertmanager authenticates to the sink's SMTP side: SMTP AUTH with the secret in `secret_file`."""
    return {"auth_username": SMTP_USER, "auth_password_file": str(secret_file)}


def _point_at_sink(receivers: list[Any], sink: str, smtp: str, secret_file: Path | None = None) -> None:
    """Loopback webhooks go to the sink (with its secret); loopback smarthosts to its SMTP side (plain, no TLS)."""
    for receiver in receivers:
        for hook in receiver.get("webhook_configs") or []:
            url = urlsplit(str(hook.get("url", "")))
            if url.hostname in LOOPBACK:
                hook["url"] = urlunsplit(url._replace(netloc=sink))
                if secret_file is not None:  # the sink is plain HTTP on loopback: no TLS or proxy to keep
                    hook["http_config"] = sink_http_config(secret_file)
        for mail in receiver.get("email_configs") or []:
            host = str(mail.get("smarthost", "")).rpartition(":")[0].strip("[]")
            if smtp and host in LOOPBACK:
                mail["smarthost"] = smtp
                mail["require_tls"] = False
                if secret_file is not None:
                    mail.update(sink_smtp_auth(secret_file))
                    for key in ("auth_password", "auth_secret", "auth_identity"):
                        mail.pop(key, None)


def alertmanager_config(settings: Settings, secret_file: Path | None = None) -> dict[str, object]:
    """The lab's Alertmanager configuration; its webhooks send `secret_file` (default: the lab's, if any)."""
    if settings.alertmanager_config is None:
        raise ConfigError(
            "the lab needs alertmanager_config: in the configuration",
            path=settings.config_path,
            fix="e.g. alertmanager_config: alerts/alertmanager.yml",
        )
    doc = load_yaml(settings.alertmanager_config, what="Alertmanager configuration")
    if not isinstance(doc.data, dict) or "route" not in doc.data:
        raise doc.error("Alertmanager configuration has no route", fix="see alerts/alertmanager.yml in the example")
    config = dict(doc.data)
    receivers = config.get("receivers") or []
    if not isinstance(receivers, list):
        raise doc.error("receivers must be a list", "receivers")
    if settings.sink_smtp.startswith("["):
        raise ConfigError(
            f"sink.smtp {settings.sink_smtp}: Alertmanager (0.25) cannot send email to an IPv6 address "
            "(it dials it without brackets)",
            path=settings.config_path,
            fix="put sink.smtp on 127.0.0.1 (sink.listen may stay on [::1])",
        )
    _point_at_sink(receivers, settings.sink_listen, settings.sink_smtp, secret_file or lab_secret_file(settings))
    return config


def write_prometheus_config(settings: Settings, folder: Path, external_labels: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "prometheus.yml"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(prometheus_config(settings, external_labels), sort_keys=False))
    tmp.replace(path)
    return path


def write_configs(settings: Settings, folder: Path, secret_file: Path | None = None) -> tuple[Path, Path]:
    am = folder / "alertmanager.yml"
    prom = write_prometheus_config(settings, folder)
    am.write_text(yaml.safe_dump(alertmanager_config(settings, secret_file), sort_keys=False))
    return prom, am
