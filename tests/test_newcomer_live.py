"""The newcomer path end to end: a fourth demo service, `alertdrill new`, lint clean, and
`alertdrill run --dry-run` exit 0 against a real Prometheus and Alertmanager (the shared lab)."""

from __future__ import annotations

import shutil
from pathlib import Path

from alertdrill.testing import PROJECT_PARTS, Project
from tests.conftest import alertdrill
from tests.test_newcomer import add_orders_service


def test_a_fourth_service_gets_a_drill_that_lints_clean_and_dry_runs(lab: Project, tmp_path: Path) -> None:
    root = tmp_path / "mine"
    root.mkdir()
    for part in PROJECT_PARTS:  # the lab's own copy: its addresses are the running lab's
        source = lab.root / part
        if source.is_dir():
            shutil.copytree(source, root / part)
        else:
            shutil.copy2(source, root / part)
    project = Project(root)
    add_orders_service(project)
    config = str(project.config_path)
    made = alertdrill("new", "--config", config, "--alert", "OrdersApiDown")
    assert made.returncode == 0, made.stderr
    assert "fill in" not in made.stdout and "lint is clean for it" in made.stdout, made.stdout
    linted = alertdrill("lint", "--config", config)
    assert linted.returncode == 0, linted.stdout
    dry = alertdrill("run", "--dry-run", "--config", config, str(root / "drills" / "orders-api-down.feature"))
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "OrdersApiDown -> contact group storefront-oncall" in dry.stdout, dry.stdout
