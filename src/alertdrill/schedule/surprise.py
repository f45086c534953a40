"""`alertdrill surprise`: a drill the responders do not see coming.

Picks a drill from the pool and a moment within the allowed windows (see windows.py), writes the
choice to the audit log only, waits, then runs the drill for people: not called a drill until
someone acknowledges it (then it is announced as one, with the kill switch), acknowledgement is
`locate`, recovery is the people's, and the fault is reverted at the recover deadline regardless.
A restarted process resumes its pending pick rather than drawing a new one.
"""

from __future__ import annotations

import random
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from alertdrill.catalog.paths import display_path
from alertdrill.config import Settings
from alertdrill.drill.targets import drill_targets
from alertdrill.schedule.audit import AuditLog
from alertdrill.schedule.clock import Clock
from alertdrill.schedule.jobs import Job, check_timezone
from alertdrill.schedule.runner import Outcome, Runner
from alertdrill.schedule.windows import PERIODS, Policy, Window, parse_blackout, pick
from alertdrill.spec.features import compile_all
from alertdrill.spec.model import DrillSpec
from alertdrill.yamlfile import YamlDoc, load_yaml

MISSED_AFTER = timedelta(minutes=10)  # a pending pick whose moment passed longer ago than this is dropped
SURPRISE_ENV = {"ALERTDRILL_SURPRISE": "1"}


@dataclass(frozen=True)
class SurpriseConfig:
    policy: Policy
    pool: tuple[DrillSpec, ...]  # sorted by feature and name: the seed's meaning depends on the order
    audit_log: Path


def _list(doc: YamlDoc, value: object, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return [str(value)]
    if not isinstance(value, list):
        raise doc.error(f"surprise.{key} must be a list", "surprise", key)
    return [str(v) for v in value]


def load_surprise(settings: Settings) -> SurpriseConfig:
    doc = load_yaml(settings.config_path, what="configuration file")
    raw = doc.data.get("surprise") if isinstance(doc.data, Mapping) else None
    if not isinstance(raw, Mapping):
        raise doc.error(
            "no surprise: section",
            fix="add surprise: {drills: [drills/], tags: [surprise], "
            "windows: ['Mon-Fri 10:00-16:00'], timezone: Europe/Berlin, max: 1, per: month}",
        )
    try:
        windows = tuple(Window.parse(w) for w in _list(doc, raw.get("windows"), "windows")) or (
            Window.parse("Mon-Fri 10:00-16:00"),
        )
        blackouts = tuple(parse_blackout(b) for b in _list(doc, raw.get("blackouts"), "blackouts"))
    except ValueError as exc:
        raise doc.error(
            f"surprise: {exc}",
            "surprise",
            fix="windows like 'Mon-Fri 10:00-16:00', blackouts like '2026-12-24' or '2026-12-21..2027-01-03'",
        ) from None
    per = str(raw.get("per", "month"))
    count = raw.get("max", 1)
    if per not in PERIODS or not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise doc.error(
            "surprise: max is a whole number >= 1 per " + "|".join(PERIODS),
            "surprise",
            "per" if per not in PERIODS else "max",
        )
    timezone = str(raw.get("timezone", "UTC"))
    check_timezone(doc, timezone, "surprise", "timezone")
    tags = set(_list(doc, raw.get("tags"), "tags"))
    paths = [settings.root / p for p in _list(doc, raw.get("drills"), "drills") or ["drills"]]
    pool = sorted(
        (d for d in compile_all(paths, settings) if not tags or d.tags & tags), key=lambda d: (d.feature, d.name)
    )
    if not pool:
        raise doc.error("the surprise pool is empty", "surprise", fix="check surprise.drills and surprise.tags")
    audit = settings.root / str(raw.get("audit_log") or ".alertdrill/surprise/audit.jsonl")
    return SurpriseConfig(Policy(windows, timezone, blackouts, count, per), tuple(pool), audit)


class Surprise:
    def __init__(
        self,
        config: SurpriseConfig,
        settings: Settings,
        runner: Runner,
        clock: Clock,
        *,
        seed: int | None = None,
        say: Callable[[str], None] = print,
    ) -> None:
        self.config, self.settings, self.runner, self.clock, self.say = config, settings, runner, clock, say
        self.audit = AuditLog(config.audit_log)
        self.seed = seed if seed is not None else secrets.randbits(32)
        self.rng = random.Random(self.seed)
        self._wake = threading.Event()
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self.runner.stop()

    def _drill(self, feature: str, name: str) -> DrillSpec | None:
        return next((d for d in self.config.pool if d.feature == feature and d.name == name), None)

    def arm(self) -> tuple[str, DrillSpec, datetime] | None:
        """The pending pick (resumed), or a new one written to the audit log; None when none is allowed."""
        now = self.clock.now()
        pending = self.audit.pending()
        if pending is not None:
            drill = self._drill(pending.feature, pending.drill)
            if drill is not None and pending.moment > now - MISSED_AFTER:
                return pending.id, drill, pending.moment
            self.audit.write(
                "missed",
                id=pending.id,
                at=now.isoformat(),
                why="its moment passed while nothing ran" if drill else "the drill is gone",
            )
        chosen = pick(self.config.policy, len(self.config.pool), now, self.rng, self.audit.taken())
        if chosen is None:
            return None
        drill, pick_id = self.config.pool[chosen.index], uuid.uuid4().hex[:10]
        self.audit.write(
            "picked",
            id=pick_id,
            drill=drill.name,
            feature=drill.feature,
            moment=chosen.moment.isoformat(),
            seed=self.seed,
            at=now.isoformat(),
            targets=sorted(drill_targets(self.settings, drill)),
        )
        return pick_id, drill, chosen.moment

    def run_once(self) -> Outcome | None:
        armed = self.arm()
        if armed is None:
            self.say("no surprise drill is allowed within the horizon (windows, blackouts, limit)")
            return None
        pick_id, drill, moment = armed
        shown = display_path(self.audit.path, self.settings.root)
        self.say(f"a surprise drill is armed; what and when is in the audit log (QA only): {shown}")
        while not self._stop.is_set() and self.clock.now() < moment:
            self._wake.clear()
            self.clock.sleep_until(moment, self._wake)
        if self._stop.is_set():
            self.say("stopped before the surprise drill began; the next start resumes it")
            return None
        self.audit.write("started", id=pick_id, at=self.clock.now().isoformat())
        job = Job(
            f"surprise-{pick_id}",
            "* * * * *",
            "UTC",
            (drill.feature,),
            (drill.name,),
            drill_targets(self.settings, drill),
            f"{drill.feature}:{drill.line}",
            drill.longest_budget() or 600.0,
        )
        try:
            outcome = self.runner.run(job)
        except Exception as exc:
            outcome = Outcome("crashed", None, 0.0, detail=f"{type(exc).__name__}: {exc}")
        self.audit.write(
            "finished",
            id=pick_id,
            at=self.clock.now().isoformat(),
            status=outcome.status,
            exit_code=outcome.exit_code,
            log=outcome.log,
            detail=outcome.detail,
        )
        self.say(f"the surprise drill is over ({outcome.status}); details in {shown} and the scorecard")
        return outcome

    def run(self, once: bool = False) -> None:
        while not self._stop.is_set():
            if self.run_once() is None or once:
                return
