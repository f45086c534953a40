"""What a drill touches: two drills that share a target never run at the same time (the scheduler's
jobs and `alertdrill run --parallel` apply the same rule)."""

from __future__ import annotations

from alertdrill.config import FaultConfig, Settings
from alertdrill.spec.model import DrillSpec

TARGET_KEYS = (
    "service",
    "deployment",
    "selector",
    "node",
    "pod",
    "pidfile",
    "pid",
    "match",
    "proxy",
    "url",
    "disk_path",
    "pushgateway",
)


def fault_target(fault: FaultConfig) -> str:
    """The thing a fault acts on, as a name two drills can share (`service:payments-api`)."""
    for key in TARGET_KEYS:
        if key in fault.options:
            scope = "/".join(str(fault.options[k]) for k in ("context", "namespace") if k in fault.options)
            group = f"/job/{fault.options['job']}" if key == "pushgateway" and "job" in fault.options else ""
            return f"{key}:{scope + '/' if scope else ''}{fault.options[key]}{group}"
    return f"fault:{fault.name}"


def drill_targets(settings: Settings, drill: DrillSpec) -> frozenset[str]:
    """The services it checks, the fault's target and the alert it watches (two drills of one alert
    would see each other's notifications)."""
    found = {f"service:{s}" for s in drill.services}
    if drill.fault and drill.fault in settings.faults:
        found.add(fault_target(settings.faults[drill.fault]))
    if drill.alert:
        found.add(f"alert:{drill.alert}")
    return frozenset(found)
