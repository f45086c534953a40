"""The one environment object of a run: settings plus everything built from them once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from alertdrill.catalog.contact_groups import ContactGroups
from alertdrill.catalog.links import link_problem
from alertdrill.catalog.routes import RoutingTree, load_routing_tree
from alertdrill.catalog.runbooks import runbook_problem
from alertdrill.config import FaultConfig, Settings
from alertdrill.errors import InjectorError, UnreachableError
from alertdrill.faults import InjectorContext, InjectorRegistry
from alertdrill.faults.base import Injector
from alertdrill.faults.ledger import Ledger, LedgerEntry
from alertdrill.observe.clients import Alertmanager, Prometheus, ReadsSink, SinkClient, require_reachable
from alertdrill.observe.shared_reads import Fresh
from alertdrill.observe.sink_feed import SinkFeed
from alertdrill.spec.model import (
    AlertInhibited,
    AtMostNotifications,
    DrillSpec,
    LinksRunbook,
    OnlyContactGroup,
    ReachesContactGroup,
    ResolvesAfterRevert,
)

Progress = Callable[[str], None]
T = TypeVar("T")
METRICS_FRESH_S = 0.5  # Alertmanager's /metrics is read at most this often per run (its send counters)

DELIVERY_STEPS = (
    ReachesContactGroup,
    LinksRunbook,
    OnlyContactGroup,
    AlertInhibited,
    AtMostNotifications,
    ResolvesAfterRevert,
)


def needs_sink(drill: DrillSpec) -> bool:
    """Drills that check delivery need the notification sink; drills for people need its ack links."""
    return drill.manual or any(isinstance(s, DELIVERY_STEPS) for s in drill.steps)


def lazily(make: Callable[[], T]) -> Callable[[], T]:
    """`make()` on first call, the same object after (each shared read's own client: it is used only
    under its `Fresh`'s lock, one thread at a time, and made only when first needed)."""
    made: list[T] = []

    def get() -> T:
        if not made:
            made.append(make())
        return made[0]

    return get


@dataclass
class Environment:
    settings: Settings
    registry: InjectorRegistry = field(default_factory=InjectorRegistry.default)
    progress: Progress = lambda message: None

    def __post_init__(self) -> None:
        self.contact_groups = ContactGroups.load(self.settings.contact_groups)
        self.ledger = Ledger(self.settings.state_dir / "ledger")
        self._emails: dict[str, str] | None = None
        self._tree: tuple[RoutingTree | None] | None = None
        self._feed: SinkFeed | None = None
        self._feed_lock = threading.Lock()
        fresh_s = self.settings.poll_interval_s / 2
        prometheus = lazily(lambda: Prometheus(self.settings.prometheus_endpoint))
        alertmanager = lazily(lambda: Alertmanager(self.settings.alertmanager_endpoints))
        metrics = lazily(lambda: Alertmanager(self.settings.alertmanager_endpoints))
        self._prometheus_alerts = Fresh(lambda: prometheus().read_alerts(), fresh_s)
        self._alertmanager_alerts = Fresh(lambda: alertmanager().read_every_alert(), fresh_s)
        self._alertmanager_metrics = Fresh(lambda: metrics().read_metrics(), METRICS_FRESH_S)

    # Each client has its own HTTP session: observers use them from their own threads. Their alert lists
    # come from one shared read per run (shared_reads.Fresh), however many drills watch.
    def prometheus(self) -> Prometheus:
        return Prometheus(self.settings.prometheus_endpoint, alerts_from=self._prometheus_alerts.get)

    def alertmanager(self) -> Alertmanager:
        return Alertmanager(
            self.settings.alertmanager_endpoints,
            alerts_from=self._alertmanager_alerts.get,
            metrics_from=self._alertmanager_metrics.get,
        )

    def sink(self) -> ReadsSink:
        """The run's one reader of the sink's arrivals, shared by every drill (started on first use)."""
        with self._feed_lock:
            if self._feed is None:
                self._feed = SinkFeed(SinkClient(self.settings.sink_url)).start()
            return self._feed

    def close(self) -> None:
        """Stop what the environment started (the sink feed)."""
        with self._feed_lock:
            feed, self._feed = self._feed, None
        if feed is not None:
            feed.stop()

    def injector(self, fault: FaultConfig) -> Injector:
        return self.registry.build(fault, InjectorContext(self.settings))

    def runbook_problem(self, reference: str, url: str) -> str | None:
        """What is wrong with the runbook a drill names and the link that was delivered, or None."""
        assert self.settings.runbooks is not None
        return runbook_problem(self.settings.runbooks, self.settings.root, reference) or link_problem(
            url, self.settings.runbook_hosts
        )

    def email_receivers(self) -> dict[str, str]:
        """Email address -> receiver, from the Alertmanager configuration's email_configs."""
        if self._emails is None:
            path = self.settings.alertmanager_config
            self._emails = load_routing_tree(path).emails if path is not None and path.exists() else {}
        return self._emails

    def routing_tree(self) -> RoutingTree | None:
        """The configuration Alertmanager runs (its file, else its /api/v2/status), read once; None if unreadable."""
        if self._tree is None:
            from alertdrill.drill.explain import routing_tree

            self._tree = (routing_tree(self.settings, self.alertmanager()),)
        return self._tree[0]

    def resolved_senders(self) -> frozenset[str]:
        """Receivers whose webhooks send resolved notifications (Alertmanager's default for webhooks)."""
        path = self.settings.alertmanager_config
        return load_routing_tree(path).sends_resolved if path is not None and path.exists() else frozenset()

    def group_of(self, receiver: str) -> str | None:
        return self.contact_groups.group_of(receiver)

    def require_reachable(self, sink: bool) -> None:
        """Before any drill: Prometheus, Alertmanager (one node of a cluster at least; the others are named
        as a warning) and the sink must answer. Exit 2 otherwise."""
        where = self.settings.config_path.name
        require_reachable(
            "Prometheus",
            self.settings.prometheus_endpoint,
            "/-/ready",
            f"start it with `alertdrill lab up`, or fix prometheus: in {where} or --prometheus",
        )
        self._require_alertmanager(
            f"start it with `alertdrill lab up`, or fix alertmanager: in {where} or --alertmanager"
        )
        if sink:
            require_reachable(
                "the notification sink",
                self.settings.sink_url,
                "/-/healthy",
                f"start it with `alertdrill lab up` or `alertdrill sink`, or fix sink.listen in {where}",
            )

    def _require_alertmanager(self, fix: str) -> None:
        nodes = self.settings.alertmanager_endpoints
        down: list[UnreachableError] = []
        for node in nodes:
            try:
                require_reachable("Alertmanager", node, "/-/ready", fix)
            except UnreachableError as exc:
                down.append(exc)
        if len(down) == len(nodes):
            raise (
                down[0]
                if len(nodes) == 1
                else UnreachableError(
                    f"no Alertmanager of the cluster answers: {'; '.join(e.message for e in down)}", fix=down[0].fix
                )
            )
        for problem in down:
            self.progress(f"warning: {problem.message}; the drills use the other Alertmanagers of the cluster")

    def fresh_group(self, alert: str, also: tuple[str, ...] = ()) -> dict[str, str] | None:
        """Labels that put `alert` (and the drill's other alerts, `also`) in new Alertmanager groups (lab
        only, see lab.fresh_groups), else None."""
        from alertdrill.lab.fresh_groups import start_fresh_group

        return start_fresh_group(self.settings, alert, also=also)

    def fresh_run(self, alerts: list[str]) -> bool:
        """One fresh-group reload for the whole run, before its first drill (lab only); True when done."""
        from alertdrill.lab.fresh_groups import start_fresh_run

        return start_fresh_run(self.settings, alerts)

    def reload_changed(self) -> int | None:
        """Reload the lab's Prometheus and Alertmanager when their rule or route files changed since they
        loaded them; the number of alerting rules loaded, or None when nothing was reloaded."""
        from alertdrill.lab.fresh_groups import lab_owns_prometheus
        from alertdrill.lab.reload import files_changed, reload_lab

        settings = self.settings
        if settings.lab is None or not lab_owns_prometheus(settings) or not files_changed(settings):
            return None
        return len(reload_lab(settings))

    def revert_orphans(self) -> list[tuple[LedgerEntry, str]]:
        """Kill the shells killed runs left (a slow inject must not re-apply its fault later), then revert
        what they injected; (entry, outcome) for each."""
        self.ledger.groups.kill_orphans()
        outcomes = []
        for entry in self.ledger.orphans():
            configured = self.settings.faults.get(entry.fault)  # the real options (the ledger's are redacted)
            fault = configured if configured is not None and configured.type == entry.type else entry.fault_config()
            try:
                self.injector(fault).revert()
            except (InjectorError, OSError) as exc:
                outcomes.append((entry, f"revert failed: {exc}"))
                continue
            self.ledger.clear(entry)
            outcomes.append((entry, "reverted"))
        return outcomes
