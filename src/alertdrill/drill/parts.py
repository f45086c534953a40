"""What a `DrillSession` is given: its collaborators, each behind a small interface.

`SessionParts.from_environment` wires the real ones (HTTP clients, observers, the ledger on disk,
the runbook runner, the acknowledgement); unit tests hand the session fakes instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from alertdrill.config import FaultConfig, Settings
from alertdrill.drill.acknowledgement import Acknowledgement
from alertdrill.drill.environment import Environment, Progress, needs_sink
from alertdrill.drill.explain import HotGroups, alert_labels, path_details, route_to
from alertdrill.drill.killswitch import KillSwitch
from alertdrill.drill.runbooks import RunbookRunner
from alertdrill.drill.safety import Safety
from alertdrill.errors import DrillError, UnreachableError
from alertdrill.faults.base import Injector
from alertdrill.observe import Watch, WatchTarget
from alertdrill.observe.guards import Guards
from alertdrill.observe.mailbox import MailboxReader
from alertdrill.observe.noise import NoiseWatch
from alertdrill.observe.suppression import Suppression
from alertdrill.score.events import EventName, Timeline
from alertdrill.score.scorecard import Check, RunbookStepResult
from alertdrill.sink.tokens import register_quietly
from alertdrill.spec.model import DrillSpec, LocatesFault, ReachesContactGroup, Recovers


class Querying(Protocol):
    """What the session asks Prometheus (steady state, a quiet alert)."""

    def query(self, expr: str) -> list[Any]: ...

    def alert_active(self, alertname: str) -> bool: ...

    def alerts(self) -> list[Any]: ...


class Observing(Protocol):
    """A drill's running observers: they record events on the timeline until stopped."""

    def outage(self, after_s: float) -> str | None: ...

    def stop_soon(self) -> None: ...

    def stop(self) -> None: ...


class RunningRunbooks(Protocol):
    linked: str | None
    results: list[RunbookStepResult]

    def locate(self, step: LocatesFault, deadline: float, progress: Progress) -> Check: ...

    def recover(self, step: Recovers, deadline: float, progress: Progress, *, by_people: bool = False) -> Check: ...


class Acknowledging(Protocol):
    token: str
    link: str

    def request(self, progress: Progress) -> None: ...

    def announce(self, progress: Progress) -> None: ...

    def expire_silences(self) -> None: ...


# (alert, since, labels of the drill's fresh group) -> observers already started
WatchFactory = Callable[[str, float, Mapping[str, str]], Observing]


@dataclass(frozen=True)
class Timings:
    """How long the session waits for things of its own (budgets come from the drill)."""

    heartbeat_s: float = 5.0  # a progress line while nothing happens
    resolved_grace_s: float = 5.0  # how long a recovered drill waits for the resolved notification
    verify_s: float = 10.0  # how long an injector's own check may take to see its fault hold
    verify_interval_s: float = 0.1
    outage_s: float = 5.0  # an observer failing this long ends the wait: the drill cannot be judged
    tick_s: float = 1.0  # the longest a wait goes without draining progress
    print_lag_s: float = 2.0  # events are printed this much later, so a slower observer's fit in, in time order


def fresh_group(env: Environment, timeline: Timeline, alert: str, also: tuple[str, ...] = ()) -> dict[str, str]:
    """Make this drill's Alertmanager group new, or say when it cannot be (the hot-group trap)."""
    labels = env.fresh_group(alert, also)
    if labels is not None:
        timeline.record(EventName.GROUP_FRESH, alert=alert, **labels)
        return labels
    return {}


def prepare(env: Environment, spec: DrillSpec, timeline: Timeline, progress: Progress, alert: str) -> dict[str, str]:
    """Before injecting: a fresh group (or the live one, named, and waited for with `--fresh-groups wait`),
    the path's arithmetic, and what would inhibit or mutes the alert now. The drill's group labels."""
    labels = fresh_group(env, timeline, alert, spec.named_alerts)
    carried, rule = alert_labels(env.settings, alert, spec.fault)
    carried.update(labels)
    tree = env.routing_tree()
    group = spec.contact_group or ""
    receiver = env.contact_groups.receiver(group) if group in env.contact_groups else ""
    route = route_to(tree, carried, receiver)
    group_interval = route.group_interval_s if route else 300.0
    groups = HotGroups(env.alertmanager(), progress)
    hot = groups.check(alert, labels)
    if hot and env.settings.fresh_groups == "wait":
        hot = groups.wait(alert, labels, group_interval)
    if hot:
        note = (
            f"{alert} lands in a live Alertmanager group ({'; '.join(hot)}): delivery waits group_interval "
            f"({group_interval:g} s) instead of group_wait; a clean repeat is possible {group_interval:g} s after "
            "the group's alerts resolve (or run with --fresh-groups wait)"
        )
        timeline.record(EventName.GROUP_HOT, alert=alert, groups="; ".join(hot), note=note)
        progress(f"  {note}")
    timeline.record(EventName.ALERT_PATH, **path_details(env.settings, rule, route, alert, bool(hot)))
    try:
        forecast = Suppression(env.alertmanager(), tree).forecast(carried) if tree else []
    except (requests.RequestException, ValueError) as exc:
        forecast = []
        progress(f"  could not ask Alertmanager which alerts could inhibit {alert} ({type(exc).__name__})")
    for said in forecast:
        timeline.record(EventName.FORECAST, alert=alert, cause=said)
        progress(f"  before injecting: {alert} {said}")
    return labels


def noise_watch(
    env: Environment, timeline: Timeline, spec: DrillSpec, beside: frozenset[str] = frozenset()
) -> WatchFactory:
    """Observers of every alert but the drilled one and those `beside` (drilled by the drills running
    beside it in a parallel run), for the noise picture (notifications too when the drill uses the sink)."""

    def watch(alert: str, since: float, labels: Mapping[str, str]) -> Observing:
        target = WatchTarget(alert, since, env.group_of, labels, email_receivers=env.email_receivers())
        sink = env.sink() if needs_sink(spec) else None
        poll_s = env.settings.poll_interval_s
        return NoiseWatch(target, timeline, env.prometheus(), env.alertmanager(), sink, poll_s, ignored=beside).start()

    return watch


def mailbox_readers(spec: DrillSpec, env: Environment) -> tuple[MailboxReader, ...]:
    """A reader for each contact group the drill expects to reach that names an IMAP mailbox, each
    started (logged in, its UIDNEXT noted): a mailbox that cannot be read stops the drill before the fault."""
    reached = dict.fromkeys(s.group for s in spec.steps if isinstance(s, ReachesContactGroup))
    groups = [env.contact_groups.groups.get(name) for name in reached]
    readers = [MailboxReader(g.imap, g.name, g.receiver) for g in groups if g is not None and g.imap is not None]
    for reader in readers:
        try:
            reader.start()
        except UnreachableError as exc:
            for opened in readers:
                opened.close()
            raise DrillError(
                f"cannot read the mailbox of contact group {reader.group}: {exc}; nothing was injected",
                fix=f"check imap: and password_file of {reader.group} in the contact groups file",
            ) from None
    return tuple(readers)


@dataclass
class SessionParts:
    settings: Settings  # services, faults, timeouts: read, never acted on
    timeline: Timeline
    prometheus: Querying
    watch: WatchFactory
    safety: Safety
    runbooks: RunningRunbooks
    acknowledger: Acknowledging | None  # drills for people only
    injector: Callable[[FaultConfig], Injector]
    fresh_group: Callable[[str], dict[str, str]]  # alert -> labels of a new group ({} when none); records events
    receiver_of: Callable[[str], str]  # contact group -> its Alertmanager receiver
    runbook_problem: Callable[[str, str], str | None]
    progress: Progress
    kill_switch_hint: str = "`alertdrill abort --by NAME`"  # how people pull the kill switch
    timings: Timings = field(default_factory=Timings)
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    noise: WatchFactory | None = None  # observers of every other alert (the noise picture); None: not watched
    resolved_senders: frozenset[str] = frozenset()  # receivers that send resolved notifications

    @classmethod
    def from_environment(
        cls, spec: DrillSpec, env: Environment, progress: Progress | None = None, beside: frozenset[str] = frozenset()
    ) -> SessionParts:
        """The real collaborators, built from the run's environment (`beside`: see `noise_watch`)."""
        timeline = Timeline()
        settings = env.settings
        guards = Guards(settings.guards, env.prometheus(), timeline)

        def register(kind: str, token: str) -> bool:
            return register_quietly(settings.sink_url, kind, token)

        kill = KillSwitch(settings.sink_public_url, env.ledger, timeline, lambda: None, register=register)
        safety = Safety(env.ledger, timeline, kill, guards)

        def stopped() -> str | None:
            stop = safety.stop_reason()
            return stop.message if stop else None

        ack = Acknowledgement(spec, env, timeline, kill.link) if spec.manual else None
        sink = needs_sink(spec)

        def watch(alert: str, since: float, labels: Mapping[str, str]) -> Observing:
            target = WatchTarget(
                alert,
                since,
                env.group_of,
                labels,
                ack_token=ack.token if ack else "",
                abort_token=kill.token,
                email_receivers=env.email_receivers(),
                routed_ok=env.contact_groups.routed_receivers(),
            )
            sink_client = env.sink() if sink else None
            observers = (env.prometheus(), env.alertmanager(), sink_client, settings.poll_interval_s)
            tree = env.routing_tree()
            explain = Suppression(env.alertmanager(), tree)
            integrations = tree.integrations if tree else {}
            mailboxes = mailbox_readers(spec, env)
            return Watch(
                target, timeline, *observers, suppression=explain, integrations=integrations, mailboxes=mailboxes
            ).start()

        return cls(
            settings=settings,
            timeline=timeline,
            prometheus=env.prometheus(),
            watch=watch,
            safety=safety,
            runbooks=RunbookRunner(spec, env, timeline, stopped=stopped),
            acknowledger=ack,
            injector=env.injector,
            fresh_group=lambda alert: prepare(env, spec, timeline, progress or env.progress, alert),
            noise=noise_watch(env, timeline, spec, beside),
            resolved_senders=env.resolved_senders(),
            receiver_of=env.contact_groups.receiver,
            runbook_problem=env.runbook_problem,
            progress=progress or env.progress,
            kill_switch_hint=(f"{kill.link} or " if sink else "") + "`alertdrill abort --by NAME`",
        )
