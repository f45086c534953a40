"""After a run, each contact group receives the summary of its own drills through its `notify` URLs.

Every URL is added to one Apprise object tagged with its group's name, and each message is sent
with that tag only, so a group never receives another group's results.
"""

from __future__ import annotations

from dataclasses import dataclass

from alertdrill.catalog.contact_groups import ContactGroups
from alertdrill.publish.notifiers.send import QuietApprise, redact
from alertdrill.score.scorecard import DrillResult, Scorecard, Status


@dataclass(frozen=True)
class Published:
    group: str
    drills: int
    urls: list[str]  # redacted
    ok: bool


def summary(group: str, drills: list[DrillResult], run_id: str) -> tuple[str, str]:
    passed = sum(d.status == Status.PASSED for d in drills)
    title = f"alertdrill {run_id}: {group} {passed}/{len(drills)} drills passed"
    lines = []
    for drill in drills:
        phases = ", ".join(
            f"{p} {'-' if r.elapsed_s is None else format(r.elapsed_s, '.1f')}/{r.budget_s:g} s"
            for p, r in drill.phases.items()
        )
        lines.append(f"{drill.status.upper()}: {drill.name} ({phases})")
        lines += [f"  - {c.message or c.name}" for c in drill.failed_checks()]
        if drill.error:
            lines.append(f"  - could not run: {drill.error}")
    return title, "\n".join(lines)


def publish(card: Scorecard, groups: ContactGroups) -> list[Published]:
    import apprise  # slow to import: only when a URL is handled

    client = apprise.Apprise()
    outcomes = []
    for group in groups.groups.values():
        drills = [d for d in card.drills if d.contact_group == group.name]
        if not drills or not group.notify:
            continue
        for url in group.notify:
            client.add(url, tag=group.name)
        title, body = summary(group.name, drills, card.run_id)
        with QuietApprise():
            ok = bool(client.notify(title=title, body=body, tag=group.name))
        outcomes.append(Published(group.name, len(drills), [redact(u) for u in group.notify], ok))
    return outcomes
