"""`alertdrill schedule --emit kubernetes`: one CronJob per schedule, built with the kubernetes
client's own models (so a field the API does not know cannot be written).

Each CronJob runs the image built from the repository's `Containerfile` (`alertdrill run` with the
job's drills), forbids overlapping runs of itself, never retries a drill (a retry would inject the
fault again), gives the drill time to revert on termination, and sends results to the shared history
database (`ALERTDRILL_HISTORY` from a Secret) and to the Pushgateway, so the fleet shows in one report.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from alertdrill.errors import ConfigError
from alertdrill.schedule.jobs import Job
from alertdrill.schedule.runner import MARGIN_S

NAME_MAX = 52  # CronJob names longer than this cannot name their Jobs
LABELS = {"app.kubernetes.io/name": "alertdrill", "app.kubernetes.io/component": "drill"}


def _models() -> Any:
    try:
        import kubernetes
    except ImportError:
        raise ConfigError(
            "emitting Kubernetes manifests needs the kubernetes client", fix="pip install 'alertdrill[kubernetes]'"
        ) from None
    return kubernetes.client


def resource_name(job: Job) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", job.name.lower()).strip("-")
    return f"alertdrill-{slug}"[:NAME_MAX].rstrip("-")


def cronjob(
    job: Job, *, image: str, namespace: str, secret: str, pushgateway: str, service_account: str = "alertdrill"
) -> Any:
    k = _models()
    args = ["run", *job.paths, "--config", "alertdrill.yml"]
    for name in job.scenarios:
        args += ["--scenario", name]
    env = [
        k.V1EnvVar(
            name="ALERTDRILL_HISTORY",
            value_from=k.V1EnvVarSource(secret_key_ref=k.V1SecretKeySelector(name=secret, key="history-url")),
        ),
        k.V1EnvVar(name="ALERTDRILL_REPORT_DIR", value="/tmp/alertdrill-reports"),
    ]
    if pushgateway:
        env.append(k.V1EnvVar(name="ALERTDRILL_PUSHGATEWAY", value=pushgateway))
    labels = {**LABELS, "alertdrill.io/schedule": resource_name(job)[len("alertdrill-") :]}
    container = k.V1Container(
        name="drill",
        image=image,
        args=args,
        env=env,
        resources=k.V1ResourceRequirements(
            requests={"cpu": "100m", "memory": "128Mi"}, limits={"cpu": "1", "memory": "256Mi"}
        ),
        security_context=k.V1SecurityContext(
            run_as_non_root=True, allow_privilege_escalation=False, read_only_root_filesystem=False
        ),
    )
    pod = k.V1PodSpec(
        containers=[container],
        restart_policy="Never",
        service_account_name=service_account,
        termination_grace_period_seconds=120,
    )  # SIGTERM: the drill reverts before it exits
    spec = k.V1JobSpec(
        backoff_limit=0,
        active_deadline_seconds=int(job.longest_s + MARGIN_S),
        ttl_seconds_after_finished=7 * 24 * 3600,
        template=k.V1PodTemplateSpec(metadata=k.V1ObjectMeta(labels=labels), spec=pod),
    )
    return k.V1CronJob(
        api_version="batch/v1",
        kind="CronJob",
        metadata=k.V1ObjectMeta(
            name=resource_name(job),
            namespace=namespace,
            labels=labels,
            annotations={"alertdrill.io/cron": job.cron, "alertdrill.io/source": job.source},
        ),
        spec=k.V1CronJobSpec(
            schedule=job.concrete_cron(),
            time_zone=job.timezone,
            concurrency_policy="Forbid",
            starting_deadline_seconds=600,
            successful_jobs_history_limit=3,
            failed_jobs_history_limit=5,
            job_template=k.V1JobTemplateSpec(metadata=k.V1ObjectMeta(labels=labels), spec=spec),
        ),
    )


def manifests(jobs: Sequence[Job], **options: Any) -> list[dict[str, Any]]:
    """Plain dicts, ready for YAML (the models' own serialization: camelCase, no nulls)."""
    from kubernetes.client import ApiClient

    client = ApiClient()
    return [client.sanitize_for_serialization(cronjob(job, **options)) for job in jobs]
