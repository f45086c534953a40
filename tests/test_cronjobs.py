"""`alertdrill schedule --emit kubernetes`: CronJob manifests that the kubernetes client's own
models accept. No Kubernetes API server can run on these machines; the live test applies the
manifests with a server-side dry run when ALERTDRILL_LIVE_KUBE_CONTEXT names an allowed context."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, alertdrill
from tests.test_schedule import project_with

kubernetes = pytest.importorskip("kubernetes")


class Response:
    def __init__(self, doc: dict[str, object]) -> None:
        self.data = json.dumps(doc)


def to_model(client: object, doc: dict[str, object]) -> object:
    """The client's own deserializer (its signature changed across client versions)."""
    try:
        return client.deserialize(json.dumps(doc), "V1CronJob", "application/json")  # type: ignore[attr-defined]
    except TypeError:
        return client.deserialize(Response(doc), "V1CronJob")  # type: ignore[attr-defined]


def emit(tmp_path: Path) -> list[dict[str, object]]:
    project = project_with(
        tmp_path,
        {
            "timezone": "Europe/Berlin",
            "jobs": {
                "weekly-payments": {"cron": "H H(9-11) * * MON", "drills": ["drills/payments.feature"]},
                "monthly-storefront": {"cron": "H 10 1-7 * TUE", "drills": ["drills/storefront.feature"]},
            },
        },
    )
    out = tmp_path / "cronjobs"
    result = alertdrill(
        "schedule",
        "--emit",
        "kubernetes",
        "--image",
        "registry.example.com/drills:1",
        "--out",
        str(out),
        "--config",
        str(project.config_path),
    )
    assert result.returncode == 0, result.stderr
    return [yaml.safe_load(p.read_text()) for p in sorted(out.glob("*.yaml"))]


def test_emitted_cronjobs_are_valid_kubernetes_models(tmp_path: Path) -> None:
    docs = emit(tmp_path)
    assert [d["metadata"]["name"] for d in docs] == [  # type: ignore[index]
        "alertdrill-monthly-storefront",
        "alertdrill-weekly-payments",
    ]
    client = kubernetes.client.ApiClient()
    for doc in docs:
        model: Any = to_model(client, doc)  # the models check types and required fields
        assert isinstance(model, kubernetes.client.V1CronJob)
        assert client.sanitize_for_serialization(model) == doc  # nothing the models do not know was written
        spec = model.spec
        minute, hour, *_ = spec.schedule.split()
        assert minute.isdigit() and hour.isdigit() and "H" not in spec.schedule  # Kubernetes knows no H
        assert spec.time_zone == "Europe/Berlin" and spec.concurrency_policy == "Forbid"
        job = spec.job_template.spec
        assert job.backoff_limit == 0  # a retry would inject the fault again
        [container] = job.template.spec.containers
        assert container.image == "registry.example.com/drills:1" and container.args[:1] == ["run"]
        assert job.template.spec.restart_policy == "Never"
        history = next(e for e in container.env if e.name == "ALERTDRILL_HISTORY")
        assert history.value_from.secret_key_ref.key == "history-url"
    broken = json.loads(json.dumps(docs[0]))
    del broken["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    with pytest.raises(ValueError, match="containers"):
        to_model(client, broken)  # the check can fail: a pod with no container is refused
    payments = docs[1]
    assert payments["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"] == [  # type: ignore[index]
        "run",
        "drills/payments.feature",
        "--config",
        "alertdrill.yml",
        "--scenario",
        "Killing the payments API pages payments on-call",
    ]


def test_the_containerfile_installs_what_the_cronjobs_run() -> None:
    text = (REPO / "Containerfile").read_text()
    assert 'ENTRYPOINT ["alertdrill"]' in text and "[kubernetes,postgres]" in text
    for part in ("drills", "alerts", "runbooks", "notifiers", "alertdrill.yml"):
        assert f"COPY {part}" in text


@pytest.mark.skipif(
    not os.environ.get("ALERTDRILL_LIVE_KUBE_CONTEXT"),
    reason="no Kubernetes cluster here: set ALERTDRILL_LIVE_KUBE_CONTEXT (and a kubeconfig) to "
    "apply the manifests with a server-side dry run",
)
def test_live_cluster_accepts_the_cronjobs(tmp_path: Path) -> None:
    context = os.environ["ALERTDRILL_LIVE_KUBE_CONTEXT"]
    api = kubernetes.client.BatchV1Api(kubernetes.config.new_client_from_config(context=context))
    for doc in emit(tmp_path):
        namespace = os.environ.get("ALERTDRILL_LIVE_KUBE_NAMESPACE", "default")
        doc["metadata"]["namespace"] = namespace  # type: ignore[index]
        created = api.create_namespaced_cron_job(namespace, doc, dry_run="All")
        assert created.spec.schedule == doc["spec"]["schedule"]  # type: ignore[index]
