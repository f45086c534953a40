"""The newcomer path end to end: a fourth demo service, `alertdrill new`, lint clean, and
`alertdrill run --dry-run` exit 0 against a real Prometheus and Alertmanager (the shared lab)."""

from __future__ import annotations

import shutil
from pathlib import Path

from alertdrill.testing import PROJECT_PARTS, Project, copy_project, running_lab
from tests.conftest import REPO, alertdrill
from tests.test_newcomer import add_orders_service


def test_a_fourth_service_gets_a_drill_that_lints_clean_and_dry_runs(lab: Project, tmp_path: Path) -> None:
    root = tmp_path / "mine"
    root.mkdir()
    for part in PROJECT_PARTS:  # the lab's own copy: its addresses are the running lab's
        # drills/ from the repository: other tests write their own features into the shared lab's
        source = REPO / part if part == "drills" else lab.root / part
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
    feature = str(root / "drills" / "orders-api-down.feature")
    # the shared lab runs the example's rules, not this copy's: the live preflight names the new rule as
    # not loaded (in the user's own lab `run` reloads it first); drilling what is deployed goes ahead
    stale = alertdrill("run", "--dry-run", "--config", config, feature)
    assert stale.returncode == 2 and "OrdersApiDown (rules.yml:" in stale.stdout, stale.stdout + stale.stderr
    assert "is not loaded in Prometheus" in stale.stdout and "alertdrill lab reload" in stale.stdout
    dry = alertdrill("run", "--dry-run", "--config", config, "--allow-drift", "yes", feature)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "OrdersApiDown -> contact group storefront-oncall" in dry.stdout, dry.stdout


def test_the_scaffolded_drill_runs_and_passes_in_its_own_lab(tmp_path: Path) -> None:
    """What the README promises: the drill `alertdrill new` writes for a fourth demo service passes."""
    project = copy_project(REPO, tmp_path / "p")
    add_orders_service(project)
    config = str(project.config_path)
    made = alertdrill("new", "--config", config, "--alert", "OrdersApiDown")
    assert made.returncode == 0 and "fill in" not in made.stdout, made.stdout + made.stderr
    with running_lab(project):
        done = alertdrill("run", "--config", config, str(project.root / "drills" / "orders-api-down.feature"))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "PASSED" in done.stdout and "OrdersApiDown pages storefront-oncall" in done.stdout
