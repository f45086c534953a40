"""After a run, from its scorecard: history, the reports, metrics, and each contact group's summary.

Each output is on its own: one that fails (a database or Pushgateway down) is said in a line and
does not cost the others or the run's verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.error import URLError

from sqlalchemy.exc import SQLAlchemyError

from alertdrill.catalog.contact_groups import ContactGroups
from alertdrill.config import Settings
from alertdrill.errors import ConfigError
from alertdrill.publish.history import History
from alertdrill.publish.notifiers.publish import publish
from alertdrill.publish.reports import write_reports
from alertdrill.publish.reports.metrics import push, write_textfile
from alertdrill.redact import redact
from alertdrill.score.scorecard import Scorecard

METRICS_FILE = "alertdrill.prom"


def deliver(card: Scorecard, settings: Settings, groups: ContactGroups, progress: Callable[[str], None]) -> Path:
    """Write everything the run produces; the run's report folder."""
    trends: dict[str, list[float | None]] = {}
    try:
        history = History(settings.history_url)
        history.record(card)
        trends = history.trends()
    except (SQLAlchemyError, ConfigError) as exc:
        progress(f"history not written ({type(exc).__name__}): {str(exc).splitlines()[0][:200]}")
    run_dir = write_reports(card, settings.report_dir, trends)
    write_textfile(card, run_dir / METRICS_FILE)
    if settings.metrics_textfile is not None:
        write_textfile(card, settings.metrics_textfile)
    if settings.pushgateway:
        try:
            push(card, settings.pushgateway)
        except (URLError, OSError) as exc:
            progress(f"metrics not pushed to {redact(settings.pushgateway)}: {redact(str(exc))}")
    if settings.publish:
        for sent in publish(card, groups):
            progress(
                f"summary of {sent.drills} drill(s) to {sent.group} ({', '.join(sent.urls)}): "
                f"{'sent' if sent.ok else 'NOT sent'}"
            )
    return run_dir
