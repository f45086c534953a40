"""`alertdrill lab reload`, and `run`'s own reload of the lab when rule or route files changed: the
lab's Prometheus and Alertmanager load the project's files again, so an edited rule is live for the
next drill instead of being silently absent."""

from __future__ import annotations

import json
from pathlib import Path

import requests
import yaml

from alertdrill.catalog.rules import load_rules
from alertdrill.config import Settings
from alertdrill.endpoints import Endpoint
from alertdrill.errors import LabError
from alertdrill.lab.configs import alertmanager_config, write_prometheus_config
from alertdrill.lab.fresh_groups import current_labels, lab_owns_prometheus
from alertdrill.lab.readiness import get_data
from alertdrill.polling import poll_until

LOADED_S = 10.0


def watched_files(settings: Settings) -> list[Path]:
    files = [*settings.rules, settings.alertmanager_config, settings.prometheus_config]
    return [p for p in files if p is not None and p.exists()]


def _stamp(settings: Settings) -> Path:
    assert settings.lab is not None
    return settings.lab.dir / "config" / "loaded-files.json"


def _mtimes(settings: Settings) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in watched_files(settings)}


def files_changed(settings: Settings) -> bool:
    """The project's rule or route files changed since the lab last loaded them."""
    assert settings.lab is not None
    try:
        return bool(json.loads(_stamp(settings).read_text()) != _mtimes(settings))
    except (OSError, ValueError):
        started = settings.lab.dir / "lab.json"
        since = started.stat().st_mtime if started.exists() else 0.0
        return any(mtime > since for mtime in _mtimes(settings).values())


def remember_loaded(settings: Settings) -> None:
    _stamp(settings).parent.mkdir(parents=True, exist_ok=True)
    _stamp(settings).write_text(json.dumps(_mtimes(settings)))


def _post_reload(name: str, endpoint: Endpoint) -> None:
    try:
        answer = endpoint.session().post(endpoint.at("/-/reload"), timeout=10)
    except requests.RequestException as exc:
        raise LabError(f"{name} did not answer the reload: {type(exc).__name__}") from None
    if answer.status_code != 200:
        raise LabError(
            f"{name} refused the reload ({answer.status_code}): {answer.text.strip()[:300]}",
            fix="fix the file it names; `alertdrill lint` shows the details",
        )


def reload_lab(settings: Settings) -> list[str]:
    """Write the lab's configs from the project's files again and reload both servers; the alerts
    the rule files define, once Prometheus has loaded every one of them."""
    if settings.lab is None or not lab_owns_prometheus(settings):
        raise LabError("the lab is not running", fix="start it with `alertdrill lab up`")
    folder = settings.lab.dir / "config"
    write_prometheus_config(settings, folder, current_labels(settings))
    (folder / "alertmanager.yml").write_text(yaml.safe_dump(alertmanager_config(settings), sort_keys=False))
    prometheus = settings.prometheus_endpoint
    _post_reload("Prometheus", prometheus)
    _post_reload("Alertmanager", settings.alertmanager_endpoints[0])
    wanted = {rule.name for path in settings.rules if path.exists() for rule in load_rules(path)}
    session = prometheus.session()

    def loaded() -> bool:
        groups = get_data(prometheus.at("/api/v1/rules"), session).get("groups", [])
        names = {r.get("name") for g in groups for r in g.get("rules", [])}
        return wanted <= names

    if not poll_until(loaded, LOADED_S, 0.05, on_error=(requests.RequestException, ValueError)):
        raise LabError(f"Prometheus did not load every rule within {LOADED_S:g} s after the reload")
    remember_loaded(settings)
    return sorted(wanted)
