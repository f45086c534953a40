"""Drills for people (`@manual`): the acknowledgement link they receive, and tidying up after them.

Locate is a person's acknowledgement: opening the drill's link (served by the sink) or making an
Alertmanager silence for the alert. The link goes to the contact group's `notify` URLs (Apprise) and
to the console. A silence made as an acknowledgement is expired when the drill ends, so it cannot
mute the next drill of the same alert.

A surprise drill is not called a drill until someone acknowledges it; then the contact group is told
it is a drill (with the kill switch), so nobody escalates it as a real outage beyond the drill.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import requests

from alertdrill.drill.environment import Environment
from alertdrill.publish.notifiers import send
from alertdrill.score.events import EventName, Timeline
from alertdrill.sink.tokens import register_quietly
from alertdrill.spec.model import DrillSpec


class Acknowledgement:
    def __init__(self, spec: DrillSpec, env: Environment, timeline: Timeline, kill_link: str) -> None:
        self.spec, self.env, self.timeline = spec, env, timeline
        self.token = secrets.token_urlsafe(12)
        self.link = f"{env.settings.sink_public_url}/ack/{self.token}"
        self.kill_link = kill_link

    def _send(self, title: str, body: str, progress: Callable[[str], None]) -> list[str]:
        group = self.spec.contact_group
        urls = self.env.contact_groups.groups[group].notify if group and group in self.env.contact_groups else ()
        outcomes = send(urls, title, body)
        for failed in (o for o in outcomes if not o.ok):
            progress(f"  could not notify {failed.url}: {failed.problem}")
        return [o.url for o in outcomes if o.ok]

    def request(self, progress: Callable[[str], None]) -> None:
        """Send the link to the drill's contact group and show it; record where it went."""
        register_quietly(self.env.settings.sink_url, "ack", self.token)  # before anyone can see the link
        alert, group = self.spec.alert or "the alert", self.spec.contact_group
        if self.spec.surprise:  # people must treat it as real until they acknowledge
            title = f"{alert}: acknowledge"
            body = (
                f"{alert} is firing for {group or 'your team'}.\nAcknowledge: {self.link}\n"
                f"(a silence for {alert} in Alertmanager also counts), then recover the service."
            )
        else:
            title = f"[drill] {alert}: acknowledge"
            body = (
                f"{alert} is firing for {group or 'your team'}. This is an alertdrill drill "
                f"({self.spec.name}).\nAcknowledge: {self.link}\n"
                f"(a silence for {alert} in Alertmanager also counts), then recover the service.\n"
                f"Stop the drill at once (reverts the fault): {self.kill_link}"
            )
        sent = self._send(title, body, progress)
        self.timeline.record(EventName.ACK_REQUESTED, link=self.link, sent_to=", ".join(sent) or "console only")
        progress(f"waiting for a person: acknowledge at {self.link} or silence {alert} in Alertmanager")

    def announce(self, progress: Callable[[str], None]) -> None:
        """After the acknowledgement of a surprise drill: say it is a drill, and how to stop it."""
        alert = self.spec.alert or "the alert"
        body = (
            f"{alert}, which you acknowledged, is a SURPRISE DRILL run by alertdrill, not a real outage. "
            f"Do not escalate beyond the drill. Recover the service as you would; the fault is reverted "
            f"automatically at the recovery deadline.\nStop the drill now: {self.kill_link} "
            f"(or `alertdrill abort --by NAME` on the drill machine)"
        )
        sent = self._send(f"[drill] {alert} is a surprise drill", body, progress)
        self.timeline.record(EventName.DRILL_ANNOUNCED, sent_to=", ".join(sent) or "console only")
        progress(f"announced as a drill to {', '.join(sent) or 'the console only'}")

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
