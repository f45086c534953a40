"""`type: kubernetes`: faults in a cluster through the official `kubernetes` client (optional extra,
imported only when such a fault is built). Actions:

- `delete-pods` (namespace, selector): delete the matching pods; their controller recreates them.
- `scale-to-zero` (namespace, deployment): scale to 0; revert scales back to the replicas recorded in
  the annotation `alertdrill.io/replicas` (so `alertdrill cleanup` can revert after a kill -9).
- `cordon` (node): mark it unschedulable; revert uncordons.
- `exec-kill` (namespace, pod or selector, container, command default `kill 1`): end a container's
  process; the kubelet restarts it.
- `chaos-mesh` (kind PodChaos | StressChaos | NetworkChaos, namespace, name, spec): create the
  `chaos-mesh.org/v1alpha1` resource (replacing one a killed run left); revert deletes it.

The context must be listed in `kubernetes.allowed_contexts` of alertdrill.yml: alertdrill refuses to
touch any other cluster.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from alertdrill.config import FaultConfig
from alertdrill.errors import ConfigError, InjectorError
from alertdrill.faults.base import InjectorContext, option, unknown_options

ACTIONS = ("delete-pods", "scale-to-zero", "cordon", "exec-kill", "chaos-mesh")
CHAOS_KINDS = {"PodChaos": "podchaos", "StressChaos": "stresschaos", "NetworkChaos": "networkchaos"}
CHAOS_GROUP, CHAOS_VERSION = "chaos-mesh.org", "v1alpha1"
REPLICAS_ANNOTATION = "alertdrill.io/replicas"
OPTIONS = {
    "action",
    "context",
    "kubeconfig",
    "namespace",
    "selector",
    "deployment",
    "node",
    "pod",
    "container",
    "command",
    "kind",
    "name",
    "spec",
}


TEXT_OPTIONS = ("namespace", "selector", "deployment", "node", "pod", "container", "kind", "name")


def check_values(fault: FaultConfig, where: str) -> None:
    """Names are non-empty strings (an empty selector would match every pod), `command` a non-empty string
    or list of them, `spec` a mapping: checked before any cluster is touched."""
    for key in TEXT_OPTIONS:
        if key in fault.options:
            value = fault.options[key]
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(
                    f"fault {fault.name!r}: `{key}` must be a non-empty string, not {value!r:.40}",
                    fix=f"fix it {where}",
                )
    command = fault.options.get("command")
    if command is not None:
        parts = [command] if isinstance(command, str) else command if isinstance(command, list) else None
        if not parts or not all(isinstance(p, str) and p.strip() for p in parts):
            raise ConfigError(
                f"fault {fault.name!r}: `command` must be a non-empty string or list of strings", fix=f"fix it {where}"
            )
    if "spec" in fault.options and not isinstance(fault.options["spec"], dict):
        raise ConfigError(
            f"fault {fault.name!r}: `spec` must be a mapping (the chaos resource's spec)", fix=f"fix it {where}"
        )


def _client_module() -> Any:
    try:
        import kubernetes
    except ImportError:
        raise ConfigError(
            "kubernetes faults need the kubernetes client", fix="pip install 'alertdrill[kubernetes]'"
        ) from None
    return kubernetes


def allowed_context(kubeconfig: Path | None, wanted: str | None, allowed: tuple[str, ...], where: str) -> str:
    """The context to use; a ConfigError unless it is on the allowlist."""
    kubernetes = _client_module()
    try:
        contexts, current = kubernetes.config.list_kube_config_contexts(
            config_file=str(kubeconfig) if kubeconfig else None
        )
    except (kubernetes.config.ConfigException, OSError) as exc:
        raise ConfigError(f"cannot read the kubeconfig ({exc})", fix=f"fix `kubeconfig:` {where}") from None
    name = wanted or (current or {}).get("name")
    if name not in {c["name"] for c in contexts}:
        raise ConfigError(f"kubeconfig has no context {name!r}", fix=f"fix `context:` {where}")
    if name not in allowed:
        raise ConfigError(
            f"context {name!r} is not in kubernetes.allowed_contexts: alertdrill will not touch it",
            fix=f"add it to kubernetes.allowed_contexts in alertdrill.yml if drills may run there "
            f"(the fault: {where.removeprefix('at ')})",
        )
    return str(name)


@dataclass
class KubernetesFault:
    type_name: ClassVar[str] = "kubernetes"
    action: str
    context: str
    kubeconfig: Path | None
    params: Mapping[str, Any]
    touched: list[str] = field(default_factory=list)  # what inject acted on, for verify and describe
    _api: Any = None

    @classmethod
    def from_config(cls, fault: FaultConfig, context: InjectorContext) -> KubernetesFault:
        unknown_options(fault, OPTIONS)
        action = str(option(fault, "action", str))
        where = f"at {fault.source}"
        if action not in ACTIONS:
            raise ConfigError(
                f"fault {fault.name!r}: unknown kubernetes action {action!r}",
                fix=f"use one of {', '.join(ACTIONS)} {where}",
            )
        needs = {
            "delete-pods": ("namespace", "selector"),
            "scale-to-zero": ("namespace", "deployment"),
            "cordon": ("node",),
            "exec-kill": ("namespace", "container"),
            "chaos-mesh": ("namespace", "kind", "name", "spec"),
        }[action]
        missing = [key for key in needs if key not in fault.options]
        if action == "exec-kill" and not ({"pod", "selector"} & set(fault.options)):
            missing.append("pod or selector")
        if missing:
            raise ConfigError(f"fault {fault.name!r} ({action}) needs {', '.join(missing)}", fix=where)
        check_values(fault, where)
        if action == "chaos-mesh" and fault.options["kind"] not in CHAOS_KINDS:
            raise ConfigError(f"fault {fault.name!r}: kind must be one of {', '.join(CHAOS_KINDS)}", fix=where)
        for key in ("context", "kubeconfig"):
            if key in fault.options and not str(fault.options[key] or "").strip():
                raise ConfigError(f"fault {fault.name!r}: `{key}` is empty; leave it out to use the default", fix=where)
        kubeconfig = option(fault, "kubeconfig", str, None) or context.settings.kubeconfig
        path = (context.cwd / str(kubeconfig)) if kubeconfig else None
        name = allowed_context(
            path,
            option(fault, "context", str, None),  # type: ignore[arg-type]
            context.settings.kubernetes_contexts,
            where,
        )
        params = {k: v for k, v in fault.options.items() if k not in ("action", "context", "kubeconfig")}
        return cls(action, name, path, params)

    # -- the cluster ---------------------------------------------------------------------
    def _apis(self) -> Any:
        if self._api is None:
            kubernetes = _client_module()
            self._api = kubernetes.config.new_client_from_config(
                config_file=str(self.kubeconfig) if self.kubeconfig else None, context=self.context
            )
        return self._api

    def _core(self) -> Any:
        return _client_module().client.CoreV1Api(self._apis())

    def _apps(self) -> Any:
        return _client_module().client.AppsV1Api(self._apis())

    def _custom(self) -> Any:
        return _client_module().client.CustomObjectsApi(self._apis())

    def _call(self, what: str, call: Any, *args: Any, missing_ok: bool = False, **kwargs: Any) -> Any:
        """One API call; its error said in words (404 tolerated when `missing_ok`)."""
        api_exception = _client_module().client.exceptions.ApiException
        try:
            return call(*args, **kwargs)
        except api_exception as exc:
            if missing_ok and exc.status == 404:
                return None
            raise InjectorError(f"kubernetes {what} failed: {exc.status} {exc.reason}") from None
        except OSError as exc:  # urllib3 connection errors
            raise InjectorError(f"kubernetes {what}: the API server does not answer ({exc})") from None

    def _pods(self, selector: str) -> list[str]:
        pods = self._call(
            "list pods", self._core().list_namespaced_pod, self.params["namespace"], label_selector=selector
        )
        return [p.metadata.name for p in pods.items]

    # -- inject / verify / revert ----------------------------------------------------------
    def inject(self) -> None:
        getattr(self, f"_inject_{self.action.replace('-', '_')}")()

    def revert(self) -> None:
        getattr(self, f"_revert_{self.action.replace('-', '_')}", lambda: None)()

    def verify(self) -> str | None:
        check = getattr(self, f"_verify_{self.action.replace('-', '_')}", None)
        return check() if check else None

    def _inject_delete_pods(self) -> None:
        self.touched = self._pods(str(self.params["selector"]))
        if not self.touched:
            raise InjectorError(f"no pod matches {self.params['selector']} in {self.params['namespace']}")
        for name in self.touched:
            self._call(
                f"delete pod {name}",
                self._core().delete_namespaced_pod,
                name,
                self.params["namespace"],
                missing_ok=True,
            )

    def _scale(self, replicas: int, annotation: str | None) -> None:
        namespace, name = self.params["namespace"], self.params["deployment"]
        self._call(
            f"annotate deployment {name}",
            self._apps().patch_namespaced_deployment,
            name,
            namespace,
            {"metadata": {"annotations": {REPLICAS_ANNOTATION: annotation}}},
        )
        self._call(
            f"scale deployment {name}",
            self._apps().patch_namespaced_deployment_scale,
            name,
            namespace,
            {"spec": {"replicas": replicas}},
        )

    def _inject_scale_to_zero(self) -> None:
        namespace, name = self.params["namespace"], self.params["deployment"]
        scale = self._call(f"read deployment {name}", self._apps().read_namespaced_deployment_scale, name, namespace)
        self.touched = [f"{name}: {scale.spec.replicas} -> 0"]
        self._scale(0, str(scale.spec.replicas))

    def _revert_scale_to_zero(self) -> None:
        namespace, name = self.params["namespace"], self.params["deployment"]
        deployment = self._call(
            f"read deployment {name}", self._apps().read_namespaced_deployment, name, namespace, missing_ok=True
        )
        recorded = (deployment.metadata.annotations or {}).get(REPLICAS_ANNOTATION) if deployment else None
        if recorded is not None:
            self._scale(int(recorded), None)

    def _verify_scale_to_zero(self) -> str | None:
        namespace, name = self.params["namespace"], self.params["deployment"]
        scale = self._call(f"read deployment {name}", self._apps().read_namespaced_deployment_scale, name, namespace)
        return None if scale.spec.replicas == 0 else f"{name} has {scale.spec.replicas} replicas, not 0"

    def _cordon(self, unschedulable: bool) -> None:
        node = self.params["node"]
        self._call(f"cordon node {node}", self._core().patch_node, node, {"spec": {"unschedulable": unschedulable}})

    def _inject_cordon(self) -> None:
        self.touched = [str(self.params["node"])]
        self._cordon(True)

    def _revert_cordon(self) -> None:
        self._cordon(False)

    def _verify_cordon(self) -> str | None:
        node = self._call("read node", self._core().read_node, self.params["node"])
        return None if node.spec.unschedulable else f"node {self.params['node']} is still schedulable"

    def _inject_exec_kill(self) -> None:
        stream = _client_module().stream.stream
        pods = [str(self.params["pod"])] if self.params.get("pod") else self._pods(str(self.params["selector"]))
        if not pods:
            raise InjectorError(f"no pod matches {self.params.get('selector')} in {self.params['namespace']}")
        command = self.params.get("command") or ["kill", "1"]
        command = shlex.split(command) if isinstance(command, str) else command  # not one argument per letter
        self.touched = [pods[0]]
        client = self._call(
            f"exec in {pods[0]}",
            stream,
            self._core().connect_get_namespaced_pod_exec,
            pods[0],
            self.params["namespace"],
            container=self.params["container"],
            command=list(map(str, command)),
            stderr=True,
            stdin=False,
            stdout=True,
            tty=False,
            _preload_content=False,
        )
        client.run_forever(timeout=30)
        if client.returncode not in (0, None):
            raise InjectorError(f"`{' '.join(map(str, command))}` in {pods[0]} exited {client.returncode}")

    def _chaos(self) -> tuple[str, str, str]:
        return str(self.params["namespace"]), CHAOS_KINDS[str(self.params["kind"])], str(self.params["name"])

    def _inject_chaos_mesh(self) -> None:
        namespace, plural, name = self._chaos()
        body = {
            "apiVersion": f"{CHAOS_GROUP}/{CHAOS_VERSION}",
            "kind": self.params["kind"],
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": {"app.kubernetes.io/managed-by": "alertdrill"},
            },
            "spec": self.params["spec"],
        }
        api, conflict = self._custom(), _client_module().client.exceptions.ApiException
        self.touched = [f"{self.params['kind']} {namespace}/{name}"]
        try:
            api.create_namespaced_custom_object(CHAOS_GROUP, CHAOS_VERSION, namespace, plural, body)
        except conflict as exc:
            if exc.status != 409:
                raise InjectorError(f"kubernetes create {self.touched[0]} failed: {exc.status} {exc.reason}") from None
            # A killed run left it: replace it, so this drill's spec is the one in force.
            self._revert_chaos_mesh()
            self._call(
                f"create {self.touched[0]}",
                api.create_namespaced_custom_object,
                CHAOS_GROUP,
                CHAOS_VERSION,
                namespace,
                plural,
                body,
            )

    def _revert_chaos_mesh(self) -> None:
        namespace, plural, name = self._chaos()
        self._call(
            f"delete {self.params['kind']} {name}",
            self._custom().delete_namespaced_custom_object,
            CHAOS_GROUP,
            CHAOS_VERSION,
            namespace,
            plural,
            name,
            missing_ok=True,
        )

    def describe(self) -> str:
        target = ", ".join(f"{k}={v}" for k, v in self.params.items() if k != "spec")
        return f"kubernetes {self.action} in context {self.context} ({target})"
