"""Kubernetes injectors, request by request, against a stand-in API server (tests/kube_standin.py says
why), plus live tests that run only where a kubeconfig names an allowed context."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from alertdrill.config import FaultConfig, load_settings
from alertdrill.errors import ConfigError, InjectorError
from alertdrill.faults import InjectorContext, InjectorRegistry
from alertdrill.testing import copy_project
from tests.conftest import REPO
from tests.kube_standin import StandIn, standin_api, status, write_kubeconfig

pytest.importorskip("kubernetes", reason="the kubernetes extra is not installed (pip install alertdrill[kubernetes])")

NS = "shop"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[StandIn, InjectorContext]]:
    project = copy_project(REPO, tmp_path / "p")
    with standin_api() as standin:
        write_kubeconfig(project.root / "kubeconfig.yml", standin.url)
        config = yaml.safe_load(project.config_path.read_text())
        config["kubernetes"] = {"allowed_contexts": ["drills"], "kubeconfig": "kubeconfig.yml"}
        project.config_path.write_text(yaml.safe_dump(config))
        yield standin, InjectorContext(load_settings(project.config_path))


def build(injector_context: InjectorContext, **options: object) -> object:
    options.setdefault("context", "drills")
    return InjectorRegistry.default().build(
        FaultConfig("k", "kubernetes", options, "alertdrill.yml:30"), injector_context
    )


def deployment(annotations: dict[str, str] | None = None) -> dict[str, object]:
    """A Deployment as the API server returns it (the client's models need the whole spec)."""
    return {
        "kind": "Deployment",
        "apiVersion": "apps/v1",
        "metadata": {"name": "checkout", "namespace": NS, "annotations": annotations or {}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "checkout"}},
            "template": {
                "metadata": {"labels": {"app": "checkout"}},
                "spec": {"containers": [{"name": "app", "image": "checkout:1"}]},
            },
        },
    }


def pod_list(*names: str) -> dict[str, object]:
    return {
        "kind": "PodList",
        "apiVersion": "v1",
        "metadata": {},
        "items": [{"metadata": {"name": n, "namespace": NS}} for n in names],
    }


def test_a_context_not_on_the_allowlist_is_refused_before_any_request(api: tuple[StandIn, InjectorContext]) -> None:
    standin, context = api
    with pytest.raises(ConfigError, match=r"context 'prod' is not in kubernetes\.allowed_contexts"):
        build(context, action="cordon", node="node-1", context="prod")
    with pytest.raises(ConfigError, match="context 'prod' is not in"):  # the current context is prod
        InjectorRegistry.default().build(
            FaultConfig("k", "kubernetes", {"action": "cordon", "node": "n"}, "x"), context
        )
    assert standin.seen == []


def test_delete_pods_lists_by_selector_and_deletes_each(api: tuple[StandIn, InjectorContext]) -> None:
    standin, context = api
    pods = f"/api/v1/namespaces/{NS}/pods"
    standin.answer("GET", pods, (200, pod_list("checkout-1", "checkout-2")))
    standin.answer("DELETE", f"{pods}/checkout-1", (200, {"kind": "Pod", "metadata": {"name": "checkout-1"}}))
    standin.answer("DELETE", f"{pods}/checkout-2", status(404, "NotFound"))  # already gone: fine
    injector = build(context, action="delete-pods", namespace=NS, selector="app=checkout")
    injector.inject()  # type: ignore[attr-defined]
    assert standin.requests() == [("GET", pods), ("DELETE", f"{pods}/checkout-1"), ("DELETE", f"{pods}/checkout-2")]
    assert standin.seen[0].query["labelSelector"] == ["app=checkout"]
    injector.revert()  # type: ignore[attr-defined]  # the controller recreates pods: nothing to send
    assert len(standin.seen) == 3


def test_delete_pods_with_no_match_is_an_injector_error(api: tuple[StandIn, InjectorContext]) -> None:
    standin, context = api
    standin.answer("GET", f"/api/v1/namespaces/{NS}/pods", (200, pod_list()))
    with pytest.raises(InjectorError, match="no pod matches app=ghost in shop"):
        build(context, action="delete-pods", namespace=NS, selector="app=ghost").inject()  # type: ignore[attr-defined]


def test_scale_to_zero_records_replicas_in_an_annotation_and_reverts_from_it(
    api: tuple[StandIn, InjectorContext],
) -> None:
    standin, context = api
    path = f"/apis/apps/v1/namespaces/{NS}/deployments/checkout"
    scale = {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": {"name": "checkout"}}
    standin.answer(
        "GET", f"{path}/scale", (200, {**scale, "spec": {"replicas": 3}}), (200, {**scale, "spec": {"replicas": 0}})
    )
    standin.answer("PATCH", path, (200, deployment()))
    standin.answer("PATCH", f"{path}/scale", (200, {**scale, "spec": {"replicas": 0}}))
    standin.answer("GET", path, (200, deployment({"alertdrill.io/replicas": "3"})))
    injector = build(context, action="scale-to-zero", namespace=NS, deployment="checkout")
    injector.inject()  # type: ignore[attr-defined]
    assert injector.verify() is None  # type: ignore[attr-defined]
    injector.revert()  # type: ignore[attr-defined]
    assert standin.requests() == [
        ("GET", f"{path}/scale"),
        ("PATCH", path),
        ("PATCH", f"{path}/scale"),
        ("GET", f"{path}/scale"),
        ("GET", path),
        ("PATCH", path),
        ("PATCH", f"{path}/scale"),
    ]
    bodies = [s.body for s in standin.seen if s.method == "PATCH"]
    assert bodies == [
        {"metadata": {"annotations": {"alertdrill.io/replicas": "3"}}},
        {"spec": {"replicas": 0}},
        {"metadata": {"annotations": {"alertdrill.io/replicas": None}}},
        {"spec": {"replicas": 3}},
    ]
    assert all("merge-patch" in s.content_type for s in standin.seen if s.method == "PATCH")


def test_an_api_error_is_said_in_words(api: tuple[StandIn, InjectorContext]) -> None:
    standin, context = api
    standin.answer("GET", f"/apis/apps/v1/namespaces/{NS}/deployments/checkout/scale", status(403, "Forbidden"))
    with pytest.raises(InjectorError, match="kubernetes read deployment checkout failed: 403 Forbidden"):
        build(context, action="scale-to-zero", namespace=NS, deployment="checkout").inject()  # type: ignore[attr-defined]


def test_cordon_and_uncordon(api: tuple[StandIn, InjectorContext]) -> None:
    standin, context = api
    node = "/api/v1/nodes/node-1"
    standin.answer("PATCH", node, (200, {"kind": "Node", "metadata": {"name": "node-1"}}))
    cordoned = {"kind": "Node", "metadata": {"name": "node-1"}, "spec": {"unschedulable": True}}
    standin.answer("GET", node, (200, cordoned))
    injector = build(context, action="cordon", node="node-1")
    injector.inject()  # type: ignore[attr-defined]
    assert injector.verify() is None  # type: ignore[attr-defined]
    injector.revert()  # type: ignore[attr-defined]
    assert [(s.method, s.body) for s in standin.seen] == [
        ("PATCH", {"spec": {"unschedulable": True}}),
        ("GET", None),
        ("PATCH", {"spec": {"unschedulable": False}}),
    ]


def test_exec_kill_runs_the_command_in_the_container_over_the_exec_websocket(
    api: tuple[StandIn, InjectorContext],
) -> None:
    standin, context = api
    injector = build(context, action="exec-kill", namespace=NS, pod="checkout-1", container="app")
    injector.inject()  # type: ignore[attr-defined]
    (seen,) = standin.seen
    assert (seen.method, seen.path) == ("GET", f"/api/v1/namespaces/{NS}/pods/checkout-1/exec")
    assert seen.query["command"] == ["kill", "1"] and seen.query["container"] == ["app"]


def test_chaos_mesh_resource_is_created_replaced_on_conflict_and_deleted(api: tuple[StandIn, InjectorContext]) -> None:
    standin, context = api
    plural = f"/apis/chaos-mesh.org/v1alpha1/namespaces/{NS}/podchaos"
    created = {"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "PodChaos", "metadata": {"name": "kill-checkout"}}
    standin.answer("POST", plural, status(409, "AlreadyExists"), (201, created))
    standin.answer("DELETE", f"{plural}/kill-checkout", (200, created), status(404, "NotFound"))
    spec = {"action": "pod-kill", "mode": "one", "selector": {"labelSelectors": {"app": "checkout"}}}
    injector = build(context, action="chaos-mesh", namespace=NS, kind="PodChaos", name="kill-checkout", spec=spec)
    injector.inject()  # type: ignore[attr-defined]
    injector.revert()  # type: ignore[attr-defined]  # 404: already gone is fine
    assert standin.requests() == [
        ("POST", plural),
        ("DELETE", f"{plural}/kill-checkout"),
        ("POST", plural),
        ("DELETE", f"{plural}/kill-checkout"),
    ]
    body = standin.seen[2].body
    assert (body["kind"], body["metadata"]["name"], body["spec"]) == ("PodChaos", "kill-checkout", spec)


def test_options_are_checked_before_anything_is_sent(api: tuple[StandIn, InjectorContext]) -> None:
    standin, context = api
    with pytest.raises(ConfigError, match="needs namespace, selector"):
        build(context, action="delete-pods")
    with pytest.raises(ConfigError, match="kind must be one of PodChaos, StressChaos, NetworkChaos"):
        build(context, action="chaos-mesh", namespace=NS, kind="IOChaos", name="x", spec={})
    assert standin.seen == []


LIVE_CONTEXT = os.environ.get("ALERTDRILL_LIVE_KUBE_CONTEXT", "")


@pytest.mark.skipif(
    not LIVE_CONTEXT or not Path(os.environ.get("KUBECONFIG", "~/.kube/config")).expanduser().exists(),
    reason="live Kubernetes tests need a kubeconfig and ALERTDRILL_LIVE_KUBE_CONTEXT naming a "
    "disposable cluster's context (and ALERTDRILL_LIVE_KUBE_NODE)",
)
def test_live_cordon_and_uncordon_a_node(tmp_path: Path) -> None:
    project = copy_project(REPO, tmp_path / "p")
    config = yaml.safe_load(project.config_path.read_text())
    config["kubernetes"] = {"allowed_contexts": [LIVE_CONTEXT]}
    project.config_path.write_text(yaml.safe_dump(config))
    context = InjectorContext(load_settings(project.config_path))
    injector = build(context, action="cordon", node=os.environ["ALERTDRILL_LIVE_KUBE_NODE"], context=LIVE_CONTEXT)
    injector.inject()  # type: ignore[attr-defined]
    try:
        assert injector.verify() is None  # type: ignore[attr-defined]
    finally:
        injector.revert()  # type: ignore[attr-defined]
