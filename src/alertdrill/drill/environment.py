"""The one environment object of a run: settings plus everything built from them once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from alertdrill.catalog.contact_groups import ContactGroups
from alertdrill.catalog.links import link_problem
from alertdrill.catalog.routes import RoutingTree, load_routing_tree
from alertdrill.catalog.runbooks import runbook_problem
from alertdrill.config import FaultConfig, Settings
from alertdrill.errors import InjectorError
from alertdrill.faults import InjectorContext, InjectorRegistry
from alertdrill.faults.base import Injector
from alertdrill.faults.ledger import Ledger, LedgerEntry
from alertdrill.observe.clients import Alertmanager, Prometheus, SinkClient, require_reachable
from alertdrill.spec.model import DrillSpec, LinksRunbook, ReachesContactGroup

Progress = Callable[[str], None]


def needs_sink(drill: DrillSpec) -> bool:
    """Drills that check delivery need the notification sink; drills for people need its ack links."""
    return drill.manual or any(isinstance(s, ReachesContactGroup | LinksRunbook) for s in drill.steps)


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

    # Each client has its own HTTP session: observers use them from their own threads.
    def prometheus(self) -> Prometheus:
        return Prometheus(self.settings.prometheus)

    def alertmanager(self) -> Alertmanager:
        return Alertmanager(self.settings.alertmanager)

    def sink(self) -> SinkClient:
        return SinkClient(self.settings.sink_url)

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

    def group_of(self, receiver: str) -> str | None:
        return self.contact_groups.group_of(receiver)

    def require_reachable(self, sink: bool) -> None:
        """Before any drill: Prometheus, Alertmanager (and the sink) must answer. Exit 2 otherwise."""
        where = self.settings.config_path.name
        require_reachable(
            "Prometheus",
            self.settings.prometheus,
            "/-/ready",
            f"start it with `alertdrill lab up`, or fix prometheus: in {where} or --prometheus",
        )
        require_reachable(
            "Alertmanager",
            self.settings.alertmanager,
            "/-/ready",
            f"start it with `alertdrill lab up`, or fix alertmanager: in {where} or --alertmanager",
        )
        if sink:
            require_reachable(
                "the notification sink",
                self.settings.sink_url,
                "/-/healthy",
                f"start it with `alertdrill lab up` or `alertdrill sink`, or fix sink.listen in {where}",
            )

    def fresh_group(self, alert: str) -> dict[str, str] | None:
        """Labels that put `alert` in a new Alertmanager group (lab only, see lab.fresh_groups), else None."""
        from alertdrill.lab.fresh_groups import start_fresh_group

        return start_fresh_group(self.settings, alert)

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
