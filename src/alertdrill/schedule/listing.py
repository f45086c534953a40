"""`alertdrill schedule --next`: what runs when, as a table with a header; each time in its schedule's
time zone (named), and beside it the same moment in the local time zone of the machine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from alertdrill.schedule.jobs import Job


def upcoming_table(fires: Sequence[tuple[datetime, Job]], local: tzinfo | None = None) -> list[str]:
    """Lines of the table: the header, then one per fire time (`local`: the machine's zone by default)."""
    here = datetime.now().astimezone(local).tzname() or "local"
    rows = [
        (
            f"{moment:%a %Y-%m-%d %H:%M %Z} ({job.timezone})",
            f"{moment.astimezone(local):%a %H:%M %Z}",
            job.name,
            ", ".join(job.scenarios) or ", ".join(job.paths),
        )
        for moment, job in fires
    ]
    header = ("when (the schedule's time zone)", f"your time ({here})", "schedule", "drills")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    return [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d}".rstrip() for a, b, c, d in [header, *rows]]
