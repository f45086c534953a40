"""Write `reports/<run>/`: scorecard.json (the saved artifact), scorecard.md, scorecard.html, junit.xml,
all rendered from the `Scorecard` object; point `reports/latest` at the run."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from alertdrill.publish.reports import timeline, trend
from alertdrill.publish.reports.junit import render_junit
from alertdrill.publish.reports.timeline import timeline_view
from alertdrill.publish.reports.trend import TrendView, trend_view
from alertdrill.score.scorecard import DrillResult, Phase, Scorecard, Status


def new_run_id(started_at: float) -> str:
    stamp = datetime.fromtimestamp(started_at, UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
    return f"{stamp}-{secrets.token_hex(2)}"


def _templates(html: bool = False) -> Environment:
    env = Environment(
        loader=PackageLoader("alertdrill", "publish/reports/templates"),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html", "j2"], default=True) if html else False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=not html,
    )
    env.filters["secs"] = lambda v: "-" if v is None else f"{v:.2f} s"
    env.filters["cell"] = lambda v: str(v).replace("|", "\\|").replace("\n", " ")
    env.globals.update(Status=Status, phases=list(Phase))
    return env


def render_markdown(card: Scorecard) -> str:
    return _templates().get_template("scorecard.md.j2").render(card=card, summary=card.summary())


def compliance(card: Scorecard) -> str:
    """Share of drills whose every timed phase (1 min alert, 5 locate, 10 recover) met its budget."""
    timed = [d for d in card.drills if any(p.ran for p in d.phases.values())]  # not-run drills say nothing
    if not timed:
        return "-"
    met = sum(all(p.passed for p in d.phases.values()) for d in timed)
    return f"{100 * met / len(timed):.0f}%"


def render_html(card: Scorecard, trends: Mapping[str, list[float | None]] | None = None) -> str:
    """Self-contained HTML (inline CSS and SVG, no external resource); every user text is escaped."""
    trends = trends or {}
    env = _templates(html=True)
    env.filters["px"] = lambda v: f"{float(v):.1f}"
    return env.get_template("scorecard.html.j2").render(
        card=card,
        summary=card.summary(),
        views=[timeline_view(d) for d in card.drills],
        trend_views=[_trend(d, trends) for d in card.drills],
        compliance=compliance(card),
        geo=timeline,
        tgeo=trend,
    )


def _trend(drill: DrillResult, trends: Mapping[str, list[float | None]]) -> TrendView | None:
    """Time to alert over the drill's last runs (history's key is `feature::name`), from two runs on."""
    alert = drill.phases.get(Phase.ALERT)
    values = trends.get(f"{drill.feature}::{drill.name}")
    return trend_view(values, float(alert.budget_s)) if values and alert is not None else None


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


def write_reports(card: Scorecard, report_dir: Path, trends: Mapping[str, list[float | None]] | None = None) -> Path:
    """Write every report of `card` (the JSON first: the saved artifact); the run's folder."""
    run_dir = report_dir / card.run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "scorecard.json").write_text(card.to_json())
    (run_dir / "scorecard.md").write_text(render_markdown(card))
    (run_dir / "scorecard.html").write_text(render_html(card, trends))
    (run_dir / "junit.xml").write_text(render_junit(card))
    _point_latest(report_dir, run_dir)
    return run_dir
