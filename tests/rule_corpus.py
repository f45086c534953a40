"""A public-style rule corpus, generated from a compact template: the forms real rule sets use.

Each file has several groups; the forms cycle so that every one appears many times: `for: 0s`, `for: 0m`,
no `for`, `for: 1h30m`, `keep_firing_for`, group `interval` and `limit`, recording rules, templated labels
and annotations, and `runbook_url`s templated with `{{ $labels.x }}` and `{{ .Labels.x }}` (some with a
label the rule sets, some with one only the series carry). Every file is accepted by promtool 2.42.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

FILES = 112
GROUPS_PER_FILE = 3
ALERTS_PER_GROUP = 3
TEAMS = ("payments", "storefront", "platform", "data")
FORS = ("0s", "0m", None, "5m", "1h30m", "15m", "30s", "1m")
RUNBOOKS = (
    "https://runbooks.example/runbooks/{{ $labels.service }}.md",  # the rule's own label: expands
    "https://runbooks.example/runbooks/{{ .Labels.team }}.md",  # the other template form
    "https://runbooks.example/{{ $labels.instance }}/%s.md",  # only the series knows it
    "https://runbooks.example/runbooks/platform.md",
)  # plain


@dataclass(frozen=True)
class Corpus:
    files: list[Path]
    alerts: int
    records: int
    templated_runbooks: int  # runbook_url templated with a label the rule does not set


def _alert(file: int, group: int, index: int) -> dict[str, object]:
    n = (file * GROUPS_PER_FILE + group) * ALERTS_PER_GROUP + index
    name = f"Corpus{file:03d}G{group}A{index}"
    team = TEAMS[n % len(TEAMS)]
    rule: dict[str, object] = {"alert": name, "expr": f'rate(http_errors_total{{job="svc{n % 17}"}}[5m]) > {n % 5}'}
    if FORS[n % len(FORS)] is not None:
        rule["for"] = FORS[n % len(FORS)]
    if n % 4 == 1:
        rule["keep_firing_for"] = "10m"
    template = RUNBOOKS[n % len(RUNBOOKS)]
    rule["labels"] = {
        "severity": ("page", "warning", "critical")[n % 3],
        "team": team,
        "service": team,
        "instance_name": "{{ $labels.instance }}",
    }
    rule["annotations"] = {
        "summary": "{{ $labels.job }} errors at {{ $value | humanize }}",
        "runbook_url": template % name if "%s" in template else template,
    }
    return rule


def _group(file: int, group: int) -> dict[str, object]:
    body: dict[str, object] = {"name": f"corpus-{file:03d}-{group}"}
    if group == 1:
        body["interval"] = "30s"
    if group == 2 and file % 2:
        body["limit"] = 50
    rules: list[object] = [
        {"record": f"job:http_errors:rate5m_{file}_{group}", "expr": "sum by (job) (rate(http_errors_total[5m]))"}
    ]
    rules += [_alert(file, group, i) for i in range(ALERTS_PER_GROUP)]
    body["rules"] = rules
    return body


def write_corpus(folder: Path, files: int = FILES) -> Corpus:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for file in range(files):
        groups = [_group(file, g) for g in range(GROUPS_PER_FILE)]
        path = folder / f"rules-{file:03d}.yml"
        path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False, width=200))
        paths.append(path)
    alerts = files * GROUPS_PER_FILE * ALERTS_PER_GROUP
    templated = sum(n % len(RUNBOOKS) == 2 for n in range(alerts))
    return Corpus(paths, alerts, files * GROUPS_PER_FILE, templated)


ROUTES = """route:
  receiver: default
  group_by: [alertname]
  group_wait: 30s
  routes:
    - receiver: payments
      matchers: ['team="payments"']
      group_wait: 10s
    - receiver: storefront
      matchers: ['team=~"storefront|platform"']
      continue: true
    - receiver: audit
      matchers: ['severity="critical"']
      group_wait: 2m
receivers: [{name: default}, {name: payments}, {name: storefront}, {name: audit}]
"""
GROUPS = "".join(f"{name}:\n  receiver: {name}\n" for name in ("default", "payments", "storefront", "audit"))


def write_project(root: Path, files: int = FILES) -> tuple[Path, Corpus]:
    """An alertdrill project whose rules are the corpus: (its alertdrill.yml, the corpus)."""
    corpus = write_corpus(root / "corpus", files)
    (root / "alertmanager.yml").write_text(ROUTES)
    (root / "contact-groups.yml").write_text(GROUPS)
    books = root / "runbooks"
    books.mkdir(exist_ok=True)
    for team in TEAMS:
        (books / f"{team}.md").write_text(f"# {team}\n## Diagnose\n```promql\nup == 0\n```\n")
    config = root / "alertdrill.yml"
    config.write_text(
        "rules: [corpus/*.yml]\nalertmanager_config: alertmanager.yml\n"
        "contact_groups: contact-groups.yml\nrunbooks: runbooks/\n"
    )
    return config, corpus
