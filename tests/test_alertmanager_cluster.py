"""An Alertmanager cluster as one: a notification two nodes deliver counts once, a node that is down is
a warning while another answers, and none answering is one line naming them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from alertdrill.drill.environment import Environment
from alertdrill.endpoints import Endpoint
from alertdrill.errors import UnreachableError
from alertdrill.observe.watch import Watch, WatchTarget
from alertdrill.processes import free_port
from alertdrill.score.events import EventName, Timeline
from alertdrill.testing import copy_project
from tests.conftest import REPO

T0 = 1_800_000_000.0
GROUP_KEY = '{}:{alertname="A"}'


class Cluster:
    clustered = True


def _arrival(status: str, node: str) -> dict[str, object]:
    alert = {
        "labels": {"alertname": "A"},
        "annotations": {},
        "startsAt": "2027-01-15T08:00:05Z",
        "status": status,
        "fingerprint": "f1",
    }
    return {"receiver": "r", "groupKey": GROUP_KEY, "status": status, "externalURL": node, "alerts": [alert]}


@pytest.mark.parametrize(("clustered", "copies"), [(True, 1), (False, 0)])
def test_a_notification_each_node_delivers_counts_once(clustered: bool, copies: int) -> None:
    timeline = Timeline()
    target = WatchTarget("A", T0, lambda receiver: "team")
    watch = Watch(target, timeline, None, Cluster() if clustered else None, None)  # type: ignore[arg-type]
    facts = {"path": "/hook/r", "authenticated": True}
    watch._webhook(facts, _arrival("firing", "http://am-0:9093"), T0 + 6)
    watch._webhook(facts, _arrival("firing", "http://am-1:9093"), T0 + 6.1)
    watch._webhook(facts, _arrival("resolved", "http://am-0:9093"), T0 + 9)
    delivered = [e for e in timeline.events() if e.name == EventName.DELIVERED]
    assert [e.detail("status") for e in delivered] == ["firing", "resolved"]
    assert watch.cluster_copies == copies


def test_a_forged_copy_does_not_hide_the_real_notification_in_a_cluster() -> None:
    timeline = Timeline()
    watch = Watch(WatchTarget("A", T0, lambda r: "team"), timeline, None, Cluster(), None)  # type: ignore[arg-type]
    watch._webhook({"path": "/hook/r", "authenticated": False}, _arrival("firing", "forger"), T0 + 6)
    watch._webhook({"path": "/hook/r", "authenticated": True}, _arrival("firing", "http://am-0"), T0 + 7)
    assert [e.detail("authenticated") for e in timeline.events()] == ["false", "true"]
    assert watch.cluster_copies == 0


def test_no_node_answering_is_one_line_naming_each(tmp_path: Path) -> None:
    settings = copy_project(REPO, tmp_path / "project").settings()
    nodes = tuple(Endpoint(f"http://127.0.0.1:{free_port()}") for _ in range(2))
    env = Environment(settings)
    with pytest.raises(UnreachableError) as caught:
        env._require_alertmanager("fix it")
    assert "Alertmanager" in str(caught.value)
    said: list[str] = []
    env = Environment(replace(settings, alertmanager=nodes[0].url, alertmanager_http=nodes), progress=said.append)
    with pytest.raises(UnreachableError) as caught:
        env._require_alertmanager("fix it")
    shown = str(caught.value)
    assert shown.startswith("no Alertmanager of the cluster answers") and "\n" not in shown
    assert all(node.url in shown for node in nodes) and not said
