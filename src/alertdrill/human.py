"""Drills for people (`@manual`): the acknowledgement link they receive, and tidying up after them.

Locate is a person's acknowledgement: opening the drill's link (served by the sink) or making an
Alertmanager silence for the alert. The link goes to the contact group's `notify` URLs (Apprise) and
to the console. A silence made as an acknowledgement is expired when the drill ends, so it cannot
mute the next drill of the same alert.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import requests

from alertdrill.environment import Environment
from alertdrill.model.events import EventName, Timeline
from alertdrill.model.spec import DrillSpec
from alertdrill.notifiers import send


class Acknowledgement:
    def __init__(self, spec: DrillSpec, env: Environment, timeline: Timeline) -> None:
        self.spec, self.env, self.timeline = spec, env, timeline
        self.token = secrets.token_urlsafe(12)
        self.link = f"{env.settings.sink_public_url}/ack/{self.token}"

    def request(self, progress: Callable[[str], None]) -> None:
        """Send the link to the drill's contact group and show it; record where it went."""
        alert, group = self.spec.alert or "the alert", self.spec.contact_group
        urls = self.env.contact_groups.groups[group].notify if group and group in self.env.contact_groups else ()
        body = (f"{alert} is firing for {group or 'your team'}. This is an alertdrill drill "
                f"({self.spec.name}).\nAcknowledge: {self.link}\n"
                f"(a silence for {alert} in Alertmanager also counts), then recover the service.")
        outcomes = send(urls, f"[drill] {alert}: acknowledge", body)
        sent = [o.url for o in outcomes if o.ok]
        for failed in (o for o in outcomes if not o.ok):
            progress(f"  could not send the acknowledgement link to {failed.url}: {failed.problem}")
        self.timeline.record(EventName.ACK_REQUESTED, link=self.link, sent_to=", ".join(sent) or "console only")
        progress(f"waiting for a person: acknowledge at {self.link} or silence {alert} in Alertmanager")

    def expire_silences(self) -> None:
        """Expire the silences people made to acknowledge (best effort: the drill is over either way)."""
        alertmanager = self.env.alertmanager()
        for event in self.timeline.events():
            if event.name != EventName.ACKNOWLEDGED or event.detail("via") != "silence":
                continue
            try:
                alertmanager.expire_silence(event.detail("silence_id"))
            except requests.RequestException as exc:
                self.timeline.record(EventName.DRILL_ERROR, error=f"could not expire silence: {exc}"[:300])
                continue
            self.timeline.record(EventName.SILENCE_EXPIRED, silence_id=event.detail("silence_id"))
