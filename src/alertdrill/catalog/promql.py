"""PromQL syntax, judged by Prometheus's own parser (promtool) before anything is injected.

The expressions a run depends on (services' `healthy`, guards, runbook `promql` steps) are written
as recording rules into one temporary file and checked with one `promtool check rules`: a guard
with a typo would otherwise be silently ignored and the safety net gone.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from alertdrill.errors import PromQLError

PROBLEM = re.compile(r'rule (?P<index>\d+), "[^"]*": (?P<message>.*)$')
TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Expression:
    what: str  # e.g. "guard checkout-slo", "service payments-api healthy"
    promql: str
    source: str  # file:line, for the message


def syntax_problems(expressions: Sequence[Expression], promtool: str = "promtool") -> list[str]:
    """One line per expression that does not parse; [] when all parse or promtool is not installed."""
    if not expressions or shutil.which(promtool) is None:
        return []
    rules = [{"record": f"alertdrill_check_{i}", "expr": e.promql} for i, e in enumerate(expressions)]
    with tempfile.TemporaryDirectory(prefix="alertdrill-promql-") as folder:
        path = Path(folder) / "expressions.yml"
        path.write_text(yaml.safe_dump({"groups": [{"name": "alertdrill", "rules": rules}]}))
        done = subprocess.run(
            [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    if done.returncode == 0:
        return []
    problems = []
    for line in (done.stdout + done.stderr).splitlines():
        found = PROBLEM.search(line)
        if found and 0 < int(found["index"]) <= len(expressions):
            expression = expressions[int(found["index"]) - 1]
            message = found["message"].removeprefix("could not parse expression: ")
            problems.append(f"{expression.source}: {expression.what}: `{expression.promql}`: {message}")
    return problems or [f"promtool check rules failed: {(done.stdout + done.stderr).strip()[:300]}"]


def require_valid(expressions: Sequence[Expression]) -> None:
    problems = syntax_problems(expressions)
    if problems:
        raise PromQLError(
            f"{len(problems)} PromQL expression(s) do not parse: {'; '.join(problems)}",
            fix="fix them (Prometheus's own parser, promtool, is the judge); nothing was injected",
        )
