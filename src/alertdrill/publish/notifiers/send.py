"""Send one message to Apprise URLs. A URL is shown only redacted: its secrets never reach a log."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from alertdrill.redact import MASK
from alertdrill.redact import redact as redact_text


@dataclass(frozen=True)
class Delivery:
    url: str  # redacted
    ok: bool
    problem: str = ""


GENERIC = ("json", "jsons", "xml", "xmls", "form", "forms")  # webhooks: a token often hides in the path


def redact(url: str) -> str:
    """A notification URL as it may be shown: `alertdrill.redact.redact`, after Apprise's private form
    (which knows where each service keeps its token); unknown schemes: scheme only.

    Generic webhooks keep only scheme, host and port: their path is often the secret.
    """
    import apprise  # slow to import: only when a URL is handled

    parts = urlsplit(url)
    if parts.scheme in GENERIC:
        return redact_text(url, hide_path=True)
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin:
        return redact_text(str(plugin.url(privacy=True)).split("?", 1)[0])
    return f"{parts.scheme or 'unknown'}://{MASK}"


class QuietApprise:
    """Apprise logs the full URL on some failures; hold its logger down while sending."""

    def __enter__(self) -> None:
        self.logger = logging.getLogger("apprise")
        self.level = self.logger.level
        self.logger.setLevel(logging.CRITICAL + 1)

    def __exit__(self, *_: object) -> None:
        self.logger.setLevel(self.level)


def send(urls: Iterable[str], title: str, body: str) -> list[Delivery]:
    """Send to each URL on its own, so one broken URL does not hide the others' outcome."""
    import apprise  # slow to import: only when a URL is handled

    outcomes = []
    for url in urls:
        shown = redact(url)
        client = apprise.Apprise()
        if not client.add(url):
            outcomes.append(Delivery(shown, False, "not a URL Apprise understands"))
            continue
        with QuietApprise():
            ok = bool(client.notify(title=title, body=body))
        outcomes.append(Delivery(shown, ok, "" if ok else "the service did not accept the message"))
    return outcomes
