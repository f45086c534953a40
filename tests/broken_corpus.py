"""A corpus of broken inputs, generated deterministically from a valid copy of the example project.

`base_project(dest)` writes the valid project (the example plus every optional section and one
fault of each type, each used by a drill); `cases()` lists the mutations of it, each a `Case`
that breaks one file in one way. Every case must be refused by `alertdrill run` with exit 2 and one
line naming the broken file (and its line where it has one) before anything is injected.
"""

from __future__ import annotations

import copy
import math
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from alertdrill.testing import copy_project
from tests.conftest import REPO, TEST_FAULTS

CONFIG = "alertdrill.yml"
GROUPS = "notifiers/contact-groups.yml"
RUNBOOK = "runbooks/payments-api-down.md"
FEATURE = "drills/broken.feature"
MARKER = "injected.marker"

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: staging, context: {cluster: c, user: u}}]
current-context: staging
"""

# One valid fault of every type; each is injected by a drill of drills/mutants.feature.
MUTANTS: dict[str, dict[str, object]] = {
    "command": {"inject": "touch injected.marker", "revert": "rm -f injected.marker", "timeout": 5},
    "process": {"service": "payments-api", "signal": "KILL"},
    "process-kill": {"match": "^alertdrill-corpus-no-such-process$", "signal": "TERM", "restart": "true"},
    "http-error": {"service": "checkout-api", "error_rate": 0.5, "status": 503},
    "http-proxy": {"proxy": "http://127.0.0.1:1", "rate": 0.5, "status": 503, "latency_ms": 100, "drop": False},
    "stress": {
        "cpu": 1,
        "memory_mb": 10,
        "disk_path": ".",
        "disk_mb": 1,
        "min_free_mb": 512,
        "seconds": 5,
        "stress_ng": False,
    },
    "metric": {
        "pushgateway": "http://127.0.0.1:1",
        "metric": "alertdrill_corpus",
        "value": 1,
        "job": "corpus",
        "labels": {"team": "payments"},
    },
    "synthetic-alert": {
        "alertname": "CorpusAlert",
        "labels": {"team": "payments"},
        "annotations": {"summary": "corpus"},
    },
    "kubernetes": {
        "action": "delete-pods",
        "namespace": "shop",
        "selector": "app=checkout",
        "context": "staging",
        "kubeconfig": "kubeconfig.yml",
    },
}

# What each fault option is: the kinds of wrong value it is given.
FAULT_OPTION_KINDS: dict[str, dict[str, str]] = {
    "command": {"inject": "text", "revert": "text", "timeout": "seconds"},
    "process": {"service": "text", "signal": "text"},
    "process-kill": {"match": "text", "signal": "text", "restart": "text"},
    "http-error": {"service": "text", "error_rate": "rate", "status": "status"},
    "http-proxy": {"proxy": "url", "rate": "rate", "status": "status", "latency_ms": "count", "drop": "bool"},
    "stress": {
        "cpu": "count",
        "memory_mb": "count",
        "disk_path": "text",
        "disk_mb": "count",
        "min_free_mb": "count",
        "seconds": "seconds",
        "stress_ng": "bool",
    },
    "metric": {"pushgateway": "url", "metric": "text", "value": "finite", "job": "text", "labels": "map"},
    "synthetic-alert": {"alertname": "text", "labels": "map", "annotations": "map"},
    "kubernetes": {"action": "text", "namespace": "text", "selector": "text", "context": "text", "kubeconfig": "text"},
}

INF, NAN = math.inf, math.nan
HUGE = 10**30
WRONG: dict[str, list[object]] = {
    # every value below is wrong for its kind, whatever else holds
    "url": [[1, 2], {"a": 1}, 5, True, "", "not a url", "ftp://127.0.0.1/x", "http://"],
    "hostport": [
        [1, 2],
        {"a": 1},
        True,
        "",
        "no-port-here",
        "127.0.0.1:99999",
        "127.0.0.1:-1",
        "127.0.0.1:x",
        "::1:9095",
        "[not-ipv6]:9095",
    ],
    "path": [[1, 2], {"a": 1}, True, ""],
    "text": [[1, 2], {"a": 1}, True, ""],
    "optional_text": [[1, 2], {"a": 1}, True],
    "promql": [[1, 2], {"a": 1}, 5, True, "", "   "],
    "strlist": [{"a": 1}, 5, [1], [{"a": 1}], [""], [["nested"]]],
    "duration": [[1, 2], {"a": 1}, True, "", 0, -1, "-5 minutes", "0s", INF, -INF, NAN, HUGE, "99999 days", "forever"],
    "seconds": [[1, 2], {"a": 1}, True, "", 0, -1, -0.5, INF, -INF, NAN, HUGE, "abc", "0s", "1e400"],
    "bool": ["sometimes", "no", "yes", 1, 0, [True], {"a": 1}],
    "port": [True, 0, -1, 65536, HUGE, "9101", 1.5, [1], {"a": 1}, NAN],
    "section": ["text", [1, 2], 5, True],
    "rate": ["abc", True, -0.1, 1.5, INF, NAN, HUGE, [1]],
    "status": ["abc", True, 42, 600, -1, 1e400, NAN, [1]],
    "count": ["abc", True, -1, HUGE, INF, NAN, [1]],
    "finite": ["abc", True, INF, -INF, NAN, [1]],
    "map": ["text", [1, 2], 5],
}

# Every key of the base alertdrill.yml and what it is.
CONFIG_KINDS: dict[tuple[str, ...], str] = {
    ("prometheus",): "url",
    ("alertmanager",): "url",
    ("sink",): "section",
    ("sink", "listen"): "hostport",
    ("sink", "smtp"): "hostport",
    ("sink", "public_url"): "url",
    ("contact_groups",): "path",
    ("runbooks",): "path",
    ("rules",): "strlist",
    ("prometheus_config",): "path",
    ("alertmanager_config",): "path",
    ("services",): "section",
    ("services", "payments-api"): "section",
    ("services", "payments-api", "healthy"): "promql",
    ("faults",): "section",
    ("faults", "marker"): "section",
    ("faults", "marker", "max_duration"): "duration",
    ("lab",): "section",
    ("lab", "dir"): "path",
    ("lab", "services"): "section",
    ("lab", "services", "payments-api"): "section",
    ("lab", "services", "payments-api", "port"): "port",
    ("lab", "ready_timeout"): "seconds",
    ("lab", "run_label"): "text",
    ("lab", "prometheus_bin"): "text",
    ("lab", "alertmanager_bin"): "text",
    ("lab", "scrape"): "section",
    ("lab", "scrape", "pushgateway"): "hostport",
    ("history",): "optional_text",
    ("metrics",): "section",
    ("metrics", "textfile"): "path",
    ("metrics", "pushgateway"): "url",
    ("kubernetes",): "section",
    ("kubernetes", "kubeconfig"): "path",
    ("kubernetes", "allowed_contexts"): "strlist",
    ("guards",): "section",
    ("guards", "calm"): "promql",
    ("max_fault_duration",): "duration",
    ("runbook_hosts",): "strlist",
    ("poll_interval",): "seconds",
    ("steady_timeout",): "seconds",
    ("command_timeout",): "seconds",
    ("manual",): "bool",
    ("publish",): "bool",
    ("mission",): "section",
    ("mission", "alert"): "duration",
    ("mission", "locate"): "duration",
    ("mission", "recover"): "duration",
    ("serve",): "section",
    ("serve", "listen"): "hostport",
    ("serve", "users_file"): "path",
    ("tags",): "optional_text",
    ("schedules",): "section",
    ("surprise",): "section",
}

# The sections that take only known keys (unknown ones are typos).
CLOSED_SECTIONS: list[tuple[str, ...]] = [
    (),
    ("sink",),
    ("lab",),
    ("lab", "services", "payments-api"),
    ("services", "payments-api"),
    ("metrics",),
    ("kubernetes",),
    ("mission",),
    ("serve",),
    ("schedules",),
    ("schedules", "jobs", "weekly-payments"),
    ("surprise",),
]

MARKER_FEATURE = """Feature: the marker
  Scenario: the marker fault
    Given the service "payments-api" is healthy
    When the fault "marker" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
"""

GOOD_FEATURE = """@corpus
Feature: A broken drill

  Scenario: Killing the payments API pages payments on-call
    Given the service "payments-api" is healthy
    When the fault "marker" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the alert reaches the contact group "payments-oncall" within 1 minute
    And the notification links the runbook "runbooks/payments-api-down.md"
    And the runbook locates the fault within 5 minutes
    And the service recovers within 10 minutes
"""


def mutant_name(kind: str) -> str:
    return f"mutant-{kind}"


def base_config() -> dict[str, object]:
    """The extra, valid, sections the base project gets on top of the example's."""
    return {
        "history": ".alertdrill/history.sqlite",
        "metrics": {"textfile": "reports/alertdrill.prom", "pushgateway": "http://127.0.0.1:1"},
        "kubernetes": {"kubeconfig": "kubeconfig.yml", "allowed_contexts": ["staging"]},
        "guards": {"calm": "vector(1) == 0"},
        "max_fault_duration": "15 minutes",
        "runbook_hosts": ["wiki.example.com"],
        "poll_interval": 0.1,
        "steady_timeout": 30,
        "command_timeout": 60,
        "manual": False,
        "publish": False,
        "mission": {"alert": "1 minute", "locate": "5 minutes", "recover": "10 minutes"},
        "serve": {"listen": "127.0.0.1:9097"},
        "tags": "",
    }


def base_project(dest: Path) -> Path:
    """A valid project at `dest`: the example, the test faults, one fault of each type, every section."""
    project = copy_project(
        REPO, dest, {**TEST_FAULTS, **{mutant_name(k): {"type": k, **v} for k, v in MUTANTS.items()}}
    )
    raw = _yaml_load(project.config_path.read_text())
    raw["faults"]["marker"]["max_duration"] = "5 minutes"
    raw["sink"]["public_url"] = "http://127.0.0.1:9095"
    raw["lab"].update(
        {
            "ready_timeout": 30,
            "run_label": "drill_run",
            "prometheus_bin": "prometheus",
            "alertmanager_bin": "prometheus-alertmanager",
            "scrape": {"pushgateway": "127.0.0.1:9091"},
        }
    )
    raw.update(base_config())
    project.config_path.write_text(_yaml_dump(raw, sort_keys=False, allow_unicode=True))
    (dest / "kubeconfig.yml").write_text(KUBECONFIG)
    (dest / "drills" / "marker.feature").write_text(MARKER_FEATURE)
    scenarios = "".join(
        f'''
  Scenario: the {kind} fault
    Given the service "payments-api" is healthy
    When the fault "{mutant_name(kind)}" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
'''
        for kind in MUTANTS
    )
    (dest / "drills" / "mutants.feature").write_text("Feature: one fault of each type\n" + scenarios)
    (dest / FEATURE).write_text(GOOD_FEATURE)
    return dest


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when there: the corpus is big
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _yaml_load(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)  # a safe loader (libyaml)


def _yaml_dump(data: object, **options: Any) -> str:
    return str(yaml.dump(data, Dumper=_DUMPER, **options))


# -- cases ------------------------------------------------------------------------------------

Mutation = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    file: str  # the file the error must name, relative to the project
    mutate: Mutation = field(compare=False)
    line: bool = True  # the error names a line of that file
    known_hole: str = ""  # set when the hole is in code this corpus's author may not change: where


def _load(root: Path) -> dict[str, object]:
    data = _yaml_load((root / CONFIG).read_text())
    assert isinstance(data, dict)
    return data


def replace_file(path: Path, content: str | bytes) -> None:
    """Write a new file in place of `path` (the case's copy may share the base's inodes: hard links)."""
    path.unlink(missing_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


def _dump(root: Path, data: object) -> None:
    replace_file(root / CONFIG, _yaml_dump(data, sort_keys=False, allow_unicode=True))


def _set(data: dict[str, object], keys: tuple[str, ...], value: object) -> None:
    node: object = data
    for key in keys[:-1]:
        assert isinstance(node, dict)
        node = node[key]
    assert isinstance(node, dict)
    node[keys[-1]] = copy.deepcopy(value)


def _get(data: dict[str, object], keys: tuple[str, ...]) -> object:
    node: object = data
    for key in keys:
        assert isinstance(node, dict)
        node = node[key]
    return node


def set_config(keys: tuple[str, ...], value: object) -> Mutation:
    def mutate(root: Path) -> None:
        data = _load(root)
        _set(data, keys, value)
        _dump(root, data)

    return mutate


def edit_text(name: str, change: Callable[[str], str]) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / name
        replace_file(path, change(path.read_text()))

    return mutate


def write_bytes(name: str, content: bytes | Callable[[bytes], bytes]) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / name
        replace_file(path, content(path.read_bytes()) if callable(content) else content)

    return mutate


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


def config_cases() -> Iterator[Case]:
    for keys, kind in CONFIG_KINDS.items():
        where = ".".join(keys)
        for value in WRONG[kind]:
            yield Case(
                f"config-wrong-{where}={_show(value)}",
                "config: wrong type or out of range",
                CONFIG,
                set_config(keys, value),
            )
    yield Case(
        "config-kubernetes-contexts-empty",
        "config: wrong type or out of range",
        CONFIG,
        set_config(("kubernetes", "allowed_contexts"), []),
    )
    yield Case(
        "config-kubernetes-contexts-other",
        "config: wrong type or out of range",
        CONFIG,
        set_config(("kubernetes", "allowed_contexts"), ["production"]),
    )
    for section in CLOSED_SECTIONS:
        for key in ("bogus", "typo_" + (section[-1] if section else "prometheus")):
            where = ".".join((*section, key))
            yield Case(f"config-unknown-{where}", "config: unknown key", CONFIG, set_config((*section, key), 1))


def duplicate_line_cases(name: str, category: str, prefix: str, source: str, every: int = 1) -> Iterator[Case]:
    """Each (`every`th) `key: value` line of `source` written twice (the second copy is the duplicate)."""
    for number, line in enumerate(source.splitlines(), start=1):
        if number % every:
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "-")) or ": " not in stripped:
            continue
        key = stripped.split(":", 1)[0]

        def change(text: str, number: int = number) -> str:
            lines = text.splitlines(keepends=True)
            return "".join([*lines[:number], lines[number - 1], *lines[number:]])

        yield Case(f"{prefix}-duplicate-line{number}-{key}", category, name, edit_text(name, change))


BOMB = (
    "\n".join(
        ["a: &a [x, x, x, x, x, x, x, x, x]"]
        + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    )
    + "\n"
)


def yaml_file_cases(name: str, prefix: str, category: str) -> Iterator[Case]:
    """What breaks any YAML file: encoding, tabs, aliases, the document's shape."""
    yield Case(f"{prefix}-bad-utf8", category, name, write_bytes(name, lambda b: b + b'\nbroken: "\xff\xfe"\n'))
    yield Case(f"{prefix}-truncated-utf8", category, name, write_bytes(name, lambda b: b + b'\nx: "\xc3"\n'))
    yield Case(f"{prefix}-utf16", category, name, write_bytes(name, lambda b: b.decode().encode("utf-16")))
    yield Case(f"{prefix}-latin1", category, name, write_bytes(name, lambda b: b + "\n# café\n".encode("latin-1")))
    yield Case(f"{prefix}-nul", category, name, write_bytes(name, lambda b: b + b'\nx: "a\x00b"\n'))
    yield Case(f"{prefix}-tab-indent", category, name, edit_text(name, lambda t: t + "tabbed:\n\tkey: value\n"))
    yield Case(f"{prefix}-billion-laughs", category, name, edit_text(name, lambda t: t + BOMB))
    yield Case(f"{prefix}-recursive-alias", category, name, edit_text(name, lambda t: t + "loop: &l [*l]\n"))
    yield Case(f"{prefix}-unknown-alias", category, name, edit_text(name, lambda t: t + "x: *nowhere\n"))
    yield Case(f"{prefix}-list-document", category, name, edit_text(name, lambda t: "- a\n- b\n"))
    yield Case(f"{prefix}-scalar-document", category, name, edit_text(name, lambda t: "just text\n"))
    yield Case(f"{prefix}-two-documents", category, name, edit_text(name, lambda t: t + "---\nmore: 1\n"))
    yield Case(f"{prefix}-unclosed-flow", category, name, edit_text(name, lambda t: t + "x: [unclosed\n"))
    yield Case(
        f"{prefix}-deep-nesting", category, name, edit_text(name, lambda t: t + "x: " + "[" * 200 + "]" * 200 + "\n")
    )
    yield Case(
        f"{prefix}-python-tag",
        category,
        name,
        edit_text(name, lambda t: t + "x: !!python/object/apply:os.system ['touch injected.marker']\n"),
    )
    yield Case(f"{prefix}-impossible-date", category, name, edit_text(name, lambda t: t + "x: 2026-02-30\n"))


def groups_cases(source: str) -> Iterator[Case]:
    category = "contact groups file"
    cg = ("payments-oncall",)

    def groups(change: Callable[[dict[str, object]], None]) -> Mutation:
        def mutate(root: Path) -> None:
            path = root / GROUPS
            data = _yaml_load(path.read_text())
            change(data)
            replace_file(path, _yaml_dump(data, sort_keys=False))

        return mutate

    def put(keys: tuple[str, ...], value: object) -> Callable[[dict[str, object]], None]:
        return lambda data: _set(data, keys, value)

    for value in WRONG["text"] + [5]:
        yield Case(f"groups-receiver={_show(value)}", category, GROUPS, groups(put((*cg, "receiver"), value)))
    for value in ["mailto://a@example.com", {"a": 1}, 5, True, [1], [{"a": 1}], [""], ["not a url"], [["x"]]]:
        yield Case(f"groups-notify={_show(value)}", category, GROUPS, groups(put((*cg, "notify"), value)))
    for value in ["text", [1, 2], 5, True, None]:
        yield Case(f"groups-body={_show(value)}", category, GROUPS, groups(put(cg, value)))
    for key in ("recever", "notfy", "bogus"):
        yield Case(f"groups-unknown-{key}", category, GROUPS, groups(put((*cg, key), "x")))
    imap = ["", 5, "pop3://u:p@mail/", "imap://u:hunter2@mail.example.com/", "imaps://mail/INBOX", "imaps://u@mail/"]
    for value in imap:  # no user, a clear-text password beyond loopback, no password at all
        yield Case(f"groups-imap={_show(value)}", category, GROUPS, groups(put((*cg, "imap"), value)))
    yield Case("groups-password-file-alone", category, GROUPS, groups(put((*cg, "password_file"), "imap.pw")))
    yield Case("groups-missing-receiver", category, GROUPS, groups(lambda d: d[cg[0]].pop("receiver")))  # type: ignore[attr-defined]
    yield Case("groups-non-text-name", category, GROUPS, edit_text(GROUPS, lambda t: t + "[a, b]:\n  receiver: x\n"))
    yield from duplicate_line_cases(GROUPS, category, "groups", source)
    yield from yaml_file_cases(GROUPS, "groups", category)


def runbook_cases() -> Iterator[Case]:
    category = "runbook front matter"

    def front(matter: str) -> Mutation:
        def change(text: str) -> str:
            body = text.split("---\n", 2)[2]
            return f"---\n{matter}---\n{body}"

        return edit_text(RUNBOOK, change)

    fronts = {
        "unclosed": None,
        "invalid-yaml": "alerts: [PaymentsApiDown\n",
        "list": "- PaymentsApiDown\n",
        "scalar": "PaymentsApiDown\n",
        "alerts-int": "alerts: 5\n",
        "alerts-map": "alerts: {a: 1}\n",
        "alerts-list-of-maps": "alerts: [{a: 1}]\n",
        "alerts-nested-list": "alerts: [[PaymentsApiDown]]\n",
        "alerts-empty-name": "alerts: ['']\n",
        "alerts-bool": "alerts: true\n",
        "contact-group-list": "alerts: [PaymentsApiDown]\ncontact_group: [a, b]\n",
        "contact-group-map": "alerts: [PaymentsApiDown]\ncontact_group: {a: 1}\n",
        "contact-group-empty": "alerts: [PaymentsApiDown]\ncontact_group: ''\n",
        "unknown-key": "alerts: [PaymentsApiDown]\nalert: PaymentsApiDown\n",
        "unknown-key-2": "alerts: [PaymentsApiDown]\ncontact-group: payments-oncall\n",
        "duplicate-key": "alerts: [PaymentsApiDown]\nalerts: [Other]\n",
        "duplicate-contact-group": "contact_group: a\nalerts: [PaymentsApiDown]\ncontact_group: b\n",
        "tab-indent": "alerts:\n\t- PaymentsApiDown\n",
        "billion-laughs": BOMB + "alerts: *i\n",
        "recursive-alias": "alerts: &l [*l]\n",
        "python-tag": "alerts: !!python/object/apply:os.system ['touch injected.marker']\n",
        "impossible-date": "alerts: [PaymentsApiDown]\nreviewed: 2026-02-30\n",
        "deep-nesting": "alerts: " + "[" * 200 + "]" * 200 + "\n",
        "control-char": 'alerts: ["Payments\x07"]\n',
    }
    for name, matter in fronts.items():
        if matter is None:
            mutate = edit_text(RUNBOOK, lambda t: "---\nalerts: [PaymentsApiDown]\n# never closed\n")
        else:
            mutate = front(matter)
        yield Case(f"runbook-{name}", category, RUNBOOK, mutate)
    yield Case("runbook-bad-utf8", category, RUNBOOK, write_bytes(RUNBOOK, lambda b: b + b"\n\xff\xfe\n"))
    yield Case(
        "runbook-bad-utf8-in-front-matter",
        category,
        RUNBOOK,
        write_bytes(RUNBOOK, lambda b: b.replace(b"alerts:", b"\xffalerts:", 1)),
    )
    yield Case("runbook-utf16", category, RUNBOOK, write_bytes(RUNBOOK, lambda b: b.decode().encode("utf-16")))
    yield Case(
        "runbook-huge", category, RUNBOOK, write_bytes(RUNBOOK, lambda b: b + b"x" * (17 * 1024 * 1024)), line=False
    )


STEP = {
    "given": 'Given the service "payments-api" is healthy',
    "when": 'When the fault "marker" is injected',
    "then": 'Then the alert "PaymentsApiDown" fires within 1 minute',
}


def _feature(*steps: str, head: str = "Feature: f\n  Scenario: s\n") -> str:
    return head + "".join(f"    {s}\n" for s in steps)


def feature_cases() -> Iterator[Case]:
    category = "feature file"
    given, when, then = STEP["given"], STEP["when"], STEP["then"]
    texts: dict[str, str] = {}
    for wrong in ("Gven", "Givn", "given:", "GIVEN", "Wen", "Whn", "Thn", "Then:", "Adn", "Bt", "Nd"):
        right = {"G": given, "W": when, "T": then, "A": then, "B": then, "N": then}[wrong[0].upper()]
        words = right.split(" ", 1)[1]
        steps = [given, when, then] if wrong[0].upper() != "A" else [given, when, then, then]
        index = {"G": 0, "W": 1}.get(wrong[0].upper(), len(steps) - 1)
        steps[index] = f"{wrong} {words}"
        texts[f"misspelled-step-keyword-{wrong}"] = _feature(*steps)
    for head in (
        "Featur: f\n  Scenario: s\n",
        "Feature: f\n  Scenaro: s\n",
        "Feature: f\n  Senario: s\n",
        "Feature f\n  Scenario: s\n",
        "Feature: f\n  Scenario s\n",
        "Feature: f\n  Scenario Outlin: s\n",
    ):
        texts[f"misspelled-block-{len(texts)}"] = _feature(given, when, then, head=head)
    for step in (
        'Then the alert "PaymentsApiDown" fire within 1 minute',
        'Then the alert "PaymentsApiDown" fires in 1 minute',
        "Then the alerts fire",
        "Then something happens",
        "When the fault marker is injected",
        "Given the service payments-api is healthy",
        'Then the alert "PaymentsApiDown" fires',
        'And the alert reaches the contact group "payments-oncall" by pigeon within 1 minute',
        "Then the runbook locates the fault",
        'When the fault "marker" is injected now',
    ):
        steps = [given, when, then, step] if not step.startswith(("When", "Given")) else [given, step, then]
        texts[f"unknown-step-{len(texts)}"] = _feature(*steps)
    texts["unknown-fault"] = _feature(given, 'When the fault "no-such-fault" is injected', then)
    texts["unknown-service"] = _feature('Given the service "no-such-service" is healthy', when, then)
    texts["unknown-group"] = _feature(
        given, when, then, 'And the alert reaches the contact group "ghosts" within 1 minute'
    )
    texts["empty-fault-name"] = _feature(given, 'When the fault "" is injected', then)
    texts["then-before-when"] = _feature(given, then, when)
    texts["given-after-when"] = _feature(when, given, then)
    texts["reach-before-alert"] = _feature(
        given, when, 'Then the alert reaches the contact group "payments-oncall" within 1 minute', then
    )
    texts["recover-before-alert"] = _feature(given, when, "Then the service recovers within 10 minutes")
    texts["no-injection"] = _feature(given, then)
    texts["two-injections"] = _feature(given, when, 'And the fault "noop" is injected', then)
    texts["when-as-given"] = _feature(given, when.replace("When", "Given"), then)
    texts["then-as-when"] = _feature(given, when, then.replace("Then", "When"))
    texts["empty"] = ""
    texts["whitespace-only"] = "   \n\n\t\n"
    texts["comment-only"] = "# a comment\n# another\n"
    texts["tag-only"] = "@payments\n"
    texts["tags-and-feature-no-scenario"] = "@payments\nFeature: f\n"
    texts["feature-only"] = "Feature: f\n  Some description\n"
    texts["scenario-without-steps"] = "Feature: f\n  Scenario: s\n"
    texts["scenario-without-name"] = _feature(given, when, then, head="Feature: f\n  Scenario:\n")
    texts["duplicate-scenario-names"] = _feature(given, when, then) + _feature(
        given, when, then, head="  Scenario: s\n"
    )
    texts["two-features"] = _feature(given, when, then) + _feature(given, when, then)
    texts["examples-without-outline"] = _feature(given, when, then) + "    Examples:\n      | a |\n      | 1 |\n"
    texts["examples-without-rows"] = (
        _feature(given, 'When the fault "<f>" is injected', then, head="Feature: f\n  Scenario Outline: s\n")
        + "    Examples:\n"
    )
    texts["outline-placeholder-unfilled"] = (
        _feature(given, 'When the fault "<f>" is injected', then, head="Feature: f\n  Scenario Outline: s\n")
        + "    Examples:\n      | g |\n      | marker |\n"
    )
    texts["outline-bad-row"] = (
        _feature(given, 'When the fault "<f>" is injected', then, head="Feature: f\n  Scenario Outline: s\n")
        + "    Examples:\n      | f |\n      | marker | extra |\n"
    )
    texts["outline-unknown-fault-row"] = (
        _feature(given, 'When the fault "<f>" is injected', then, head="Feature: f\n  Scenario Outline: s <f>\n")
        + "    Examples:\n      | f |\n      | marker |\n      | ghost |\n"
    )
    for budget in (
        "0 seconds",
        "-1 minute",
        "a while",
        "99999 days",
        "1e400 seconds",
        "nan seconds",
        "inf minutes",
        "1 fortnight",
        "1",
        "0s",
        "1 minute 0 seconds and then some",
        "9" * 200 + " s",
        "1,5 minutes",
        "½ minute",
    ):
        texts[f"bad-duration-{budget[:20]}"] = _feature(
            given, when, f'Then the alert "PaymentsApiDown" fires within {budget}'
        )
    texts["unclosed-docstring"] = _feature(given, when, then) + '      """\n      never closed\n'
    texts["unclosed-docstring-backticks"] = _feature(given, when, then) + "      ```\n      never closed\n"
    texts["docstring-on-inject"] = _feature(given, when + '\n      """\n      extra\n      """', then)
    texts["table-on-inject"] = _feature(given, when + "\n      | a | b |", then)
    texts["inconsistent-table"] = _feature(given, when, then) + "      | a | b |\n      | c |\n"
    texts["stray-text-in-scenario"] = _feature(given, "this line is not a step", when, then)
    texts["second-feature-line"] = _feature(given, when, then) + "  Feature: again\n"
    texts["rule-without-scenario-steps"] = "Feature: f\n  Rule: r\n    Scenario: s\n"
    texts["tag-with-space"] = "@pay ments\n" + _feature(given, when, then)
    texts["bad-language"] = "# language: xx-nope\n" + _feature(given, when, then)
    texts["runbook-outside-folder"] = _feature(
        given, when, then, 'And the notification links the runbook "../../etc/passwd"'
    )
    texts["huge-step-text"] = _feature(given, when, 'Then the alert "' + "A" * 200_000 + '" fires within 1 minute')
    for name, text in texts.items():
        yield Case(f"feature-{name}", category, FEATURE, edit_text(FEATURE, lambda _t, text=text: text))  # type: ignore[misc]
    yield Case(
        "feature-huge",
        category,
        FEATURE,
        edit_text(FEATURE, lambda _t: GOOD_FEATURE + ("# padding\n" * 120_000)),
        line=False,
    )
    yield Case("feature-bad-utf8", category, FEATURE, write_bytes(FEATURE, GOOD_FEATURE.encode() + b"# \xff\n"))
    yield Case("feature-utf16", category, FEATURE, write_bytes(FEATURE, GOOD_FEATURE.encode("utf-16")))
    yield Case(
        "feature-nul", category, FEATURE, write_bytes(FEATURE, GOOD_FEATURE.replace("fires", "fi\x00res").encode())
    )


def fault_cases() -> Iterator[Case]:
    for kind, kinds in FAULT_OPTION_KINDS.items():
        fault = mutant_name(kind)
        for key in ("bogus", "injct", "timout"):
            if key not in kinds:
                yield Case(
                    f"fault-{kind}-unknown-{key}",
                    f"fault options: {kind}",
                    CONFIG,
                    set_config(("faults", fault, key), "x"),
                )
        for key, option_kind in kinds.items():
            for value in WRONG[option_kind]:
                yield Case(
                    f"fault-{kind}-{key}={_show(value)}",
                    f"fault options: {kind}",
                    CONFIG,
                    set_config(("faults", fault, key), value),
                )
        yield Case(
            f"fault-{kind}-type-missing",
            f"fault options: {kind}",
            CONFIG,
            lambda root, fault=fault: _drop(root, ("faults", fault, "type")),  # type: ignore[misc]
        )
    for name, body in {
        "unknown-type": {"type": "teleport"},
        "unknown-option": {"type": "command", "inject": "true", "revert": "true", "bogus": 1},
        "bad-timeout": {"type": "command", "inject": "true", "revert": "true", "timeout": -1},
    }.items():
        yield Case(
            f"fault-unused-{name}",
            "fault options: a fault no drill uses",
            CONFIG,
            set_config(("faults", "unused"), body),
        )
    for value in WRONG["text"] + [5, "teleport"]:
        yield Case(
            f"fault-type={_show(value)}", "fault options: type", CONFIG, set_config(("faults", "marker", "type"), value)
        )


def _drop(root: Path, keys: tuple[str, ...]) -> None:
    data = _load(root)
    parent = _get(data, keys[:-1])
    assert isinstance(parent, dict)
    parent.pop(keys[-1])
    _dump(root, data)


def cases() -> list[Case]:
    """Every case, in a stable order (a base project is written to read its lines, then removed)."""
    with tempfile.TemporaryDirectory(prefix="alertdrill-corpus-") as folder:
        base = base_project(Path(folder) / "base")
        config, groups = (base / CONFIG).read_text(), (base / GROUPS).read_text()
    found = [
        *config_cases(),
        *duplicate_line_cases(CONFIG, "config: duplicate key", "config", config, every=3),
        *yaml_file_cases(CONFIG, "config", "config: YAML"),
        *groups_cases(groups),
        *runbook_cases(),
        *feature_cases(),
        *fault_cases(),
    ]
    ids = [c.id for c in found]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    return found
