"""Write `reports/<run>/scorecard.json` and `scorecard.md`, and point `reports/latest` at the run."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from alertdrill.model.scorecard import Scorecard


def new_run_id(started_at: float) -> str:
    stamp = datetime.fromtimestamp(started_at, UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
    return f"{stamp}-{secrets.token_hex(2)}"


def _templates() -> Environment:
    env = Environment(loader=PackageLoader("alertdrill", "reports/templates"), undefined=StrictUndefined,
                      autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["secs"] = lambda v: "-" if v is None else f"{v:.2f} s"
    env.filters["cell"] = lambda v: str(v).replace("|", "\\|").replace("\n", " ")
    return env


def render_markdown(data: dict[str, object]) -> str:
    return _templates().get_template("scorecard.md.j2").render(card=data)


def _point_latest(report_dir: Path, run_dir: Path) -> None:
    latest = report_dir / "latest"
    if latest.is_symlink() or latest.is_file():
        latest.unlink()
    elif latest.is_dir():
        shutil.rmtree(latest)
    try:
        os.symlink(run_dir.name, latest, target_is_directory=True)
    except OSError:
        shutil.copytree(run_dir, latest)


def write_reports(card: Scorecard, report_dir: Path) -> Path:
    """Write every report of `card`; the run's folder."""
    run_dir = report_dir / card.run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    data = card.to_dict()
    (run_dir / "scorecard.json").write_text(json.dumps(data, indent=2) + "\n")
    (run_dir / "scorecard.md").write_text(render_markdown(data))
    _point_latest(report_dir, run_dir)
    return run_dir
