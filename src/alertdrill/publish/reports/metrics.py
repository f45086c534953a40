"""Drill results as Prometheus metrics: a textfile for node_exporter and/or a push to a Pushgateway.

alertdrill_drill_passed{drill,feature,alert,contact_group}           1 passed, 0 otherwise
alertdrill_drill_status{drill,...,status}                            1 for the drill's status
alertdrill_phase_seconds{drill,...,phase}                            elapsed from injection (absent: missed)
alertdrill_phase_budget_seconds{drill,...,phase}                     the phase's budget
alertdrill_phase_passed{drill,...,phase}                             1 met, 0 missed
alertdrill_last_run_timestamp_seconds                                when the run finished
"""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile

from alertdrill.score.scorecard import Scorecard, Status, as_written

JOB = "alertdrill"
LABELS = ("drill", "feature", "alert", "contact_group")


def registry_for(card: Scorecard) -> CollectorRegistry:
    registry = CollectorRegistry()
    passed = Gauge("alertdrill_drill_passed", "1 when the drill passed", LABELS, registry=registry)
    status = Gauge("alertdrill_drill_status", "1 for the drill's status", (*LABELS, "status"), registry=registry)
    seconds = Gauge("alertdrill_phase_seconds", "phase time from injection", (*LABELS, "phase"), registry=registry)
    budget = Gauge("alertdrill_phase_budget_seconds", "phase budget", (*LABELS, "phase"), registry=registry)
    met = Gauge("alertdrill_phase_passed", "1 when the phase met its budget", (*LABELS, "phase"), registry=registry)
    finished = Gauge("alertdrill_last_run_timestamp_seconds", "when the last run finished", registry=registry)
    for drill in card.drills:
        labels = (drill.name, drill.feature, drill.alert or "", drill.contact_group or "")
        passed.labels(*labels).set(1 if drill.status == Status.PASSED else 0)
        for name in Status:
            status.labels(*labels, str(name)).set(1 if drill.status == name else 0)
        for phase, result in drill.phases.items():
            budget.labels(*labels, str(phase)).set(result.budget_s)
            met.labels(*labels, str(phase)).set(1 if result.passed else 0)
            if result.elapsed_s is not None:
                seconds.labels(*labels, str(phase)).set(result.elapsed_s)
    finished.set(as_written(card.finished_at))
    return registry


def write_textfile(card: Scorecard, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry_for(card))  # atomic: written aside, then renamed


def push(card: Scorecard, gateway: str, timeout_s: float = 10.0) -> None:
    push_to_gateway(gateway, job=JOB, registry=registry_for(card), timeout=timeout_s)
