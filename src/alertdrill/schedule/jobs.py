"""Scheduled jobs: cron schedules from `alertdrill.yml` (`schedules:`) and `@cron:` feature tags.

`H` in a cron field is a value hashed from the job's name (croniter's hashed expressions), so a
hundred weekly drills written `H H(9-16) * * MON` spread over the morning instead of all starting at
the same second, and each keeps its own stable minute. `R` picks a random value once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from alertdrill.catalog.paths import display_path
from alertdrill.config import Settings
from alertdrill.drill.targets import drill_targets
from alertdrill.errors import ConfigError
from alertdrill.spec.features import compile_all
from alertdrill.spec.model import DrillSpec
from alertdrill.yamlfile import YamlDoc, load_yaml

CRON_TAG = "cron:"  # `@cron:H_10_*_*_MON`: underscores stand for the spaces a tag cannot hold


@dataclass(frozen=True)
class Job:
    name: str
    cron: str  # as written; may hold H
    timezone: str
    paths: tuple[str, ...]  # feature files or folders, relative to the project
    scenarios: tuple[str, ...]  # the drills it runs (all of `paths` when empty)
    targets: frozenset[str]  # what its drills touch: two jobs that share one never run at once
    source: str  # file:line where it was declared
    longest_s: float = 600.0  # the sum of its drills' longest budgets: a bound for how long a run may take

    def next_after(self, moment: datetime) -> datetime:
        """The first fire time strictly after `moment`, aware, in the job's time zone."""
        local = moment.astimezone(ZoneInfo(self.timezone))
        found: datetime = croniter(self.cron, local, hash_id=self.name.encode()).get_next(datetime)
        return found

    def concrete_cron(self) -> str:
        """The expression with H resolved (what Kubernetes, which knows no H, is given)."""
        fields, _ = croniter.expand(self.cron, hash_id=self.name.encode())
        return " ".join(",".join(str(v) for v in values) for values in fields[:5])


def check_timezone(doc: YamlDoc, value: object, *keys: str | int) -> str:
    name = str(value or "UTC")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise doc.error(f"unknown time zone {name!r}", *keys, fix="use an IANA name such as Europe/Berlin") from None
    return name


def _located(message: str, source: str, fix: str = "") -> ConfigError:
    path, _, line = source.rpartition(":")
    return ConfigError(message, path=path, line=int(line) if line.isdigit() else None, fix=fix)


def check_cron(cron: str, name: str, source: str) -> str:
    if len(cron.split()) != 5 or not croniter.is_valid(cron, hash_id=name.encode()):
        raise _located(
            f"schedule {name!r}: {cron!r} is not a five-field cron expression",
            source,
            fix="e.g. 'H 10 * * MON' (minute hour day-of-month month weekday; H: hashed)",
        )
    return cron


def _job(
    settings: Settings,
    name: str,
    cron: str,
    tz: str,
    paths: Sequence[str],
    drills: Sequence[DrillSpec],
    source: str,
    target: str | None = None,
) -> Job:
    check_cron(cron, name, source)
    if not drills:
        raise _located(f"schedule {name!r} selects no drill", source, fix="check its drills and tags")
    targets = (
        frozenset([f"target:{target}"]) if target else frozenset().union(*(drill_targets(settings, d) for d in drills))
    )
    return Job(
        name,
        cron,
        tz,
        tuple(paths),
        tuple(d.name for d in drills),
        targets,
        source,
        sum(d.longest_budget() for d in drills) or 600.0,
    )


def _config_jobs(settings: Settings, doc: YamlDoc, section: Mapping[str, object], tz: str) -> list[Job]:
    jobs = []
    raw_jobs = section.get("jobs") or {}
    if not isinstance(raw_jobs, Mapping):
        raise doc.error("schedules.jobs must be a mapping of name -> {cron, drills}", "schedules", "jobs")
    for name, body in raw_jobs.items():
        keys = ("schedules", "jobs", str(name))
        if not isinstance(body, Mapping) or not isinstance(body.get("cron"), str):
            raise doc.error(f"schedule {name!r} needs a cron expression", *keys, fix="cron: 'H 10 * * MON'")
        source = f"{display_path(doc.path, settings.root)}:{doc.line(*keys)}"
        paths = body.get("drills") or ["drills"]
        tags = body.get("tags") or []
        if isinstance(paths, str):
            paths = [paths]
        if isinstance(tags, str):
            tags = [tags]
        drills = [
            d
            for d in compile_all([settings.root / str(p) for p in paths], settings)
            if not tags or d.tags & set(map(str, tags))
        ]
        jobs.append(
            _job(
                settings,
                str(name),
                body["cron"],
                check_timezone(doc, body.get("timezone") or tz, *keys),
                [str(p) for p in paths],
                drills,
                source,
                str(body["target"]) if body.get("target") else None,
            )
        )
    return jobs


def _tag_jobs(settings: Settings, drills: Iterable[DrillSpec], tz: str) -> list[Job]:
    """One job per feature file and `@cron:` expression, over the scenarios tagged with it."""
    grouped: dict[tuple[str, str], list[DrillSpec]] = {}
    for drill in drills:
        for tag in sorted(t for t in drill.tags if t.startswith(CRON_TAG)):
            grouped.setdefault((drill.feature, tag[len(CRON_TAG) :].replace("_", " ")), []).append(drill)
    return [
        _job(
            settings,
            f"{Path(feature).stem}@{cron.replace(' ', '_')}",
            cron,
            tz,
            [feature],
            found,
            f"{feature}:{found[0].line}",
        )
        for (feature, cron), found in grouped.items()
    ]


@dataclass(frozen=True)
class ScheduleConfig:
    jobs: tuple[Job, ...]
    max_parallel: int = 1


def load_schedule(settings: Settings) -> ScheduleConfig:
    doc = load_yaml(settings.config_path, what="configuration file")
    raw = doc.data if isinstance(doc.data, Mapping) else {}
    section = raw.get("schedules") or {}
    if not isinstance(section, Mapping):
        raise doc.error("schedules must be a mapping", "schedules")
    tz = check_timezone(doc, section.get("timezone"), "schedules", "timezone")
    parallel = section.get("max_parallel", 1)
    if not isinstance(parallel, int) or isinstance(parallel, bool) or parallel < 1:
        raise doc.error("schedules.max_parallel must be a whole number >= 1", "schedules", "max_parallel")
    drills_dir = settings.root / "drills"
    tagged = _tag_jobs(settings, compile_all([drills_dir], settings) if drills_dir.is_dir() else [], tz)
    jobs = _config_jobs(settings, doc, section, tz) + tagged
    names = [j.name for j in jobs]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise doc.error(f"two schedules are named {duplicate!r}", "schedules", "jobs", fix="rename one")
    return ScheduleConfig(tuple(jobs), parallel)
