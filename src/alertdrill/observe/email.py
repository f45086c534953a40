"""Alerts in an email Alertmanager sent with its default template: labels, annotations, status."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

_TAG = re.compile(r"<[^>]+>")
_ITEM = re.compile(r"^\[\d+\]\s+(Firing|Resolved)$", re.IGNORECASE)


@dataclass
class MailedAlert:
    status: str  # "firing" or "resolved"
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


def mailed_alerts(body: str) -> list[MailedAlert]:
    """Each `[n] Firing|Resolved` block with its `Labels` and `Annotations` (`key = value` lines)."""
    text = html.unescape(_TAG.sub("\n", body))
    found: list[MailedAlert] = []
    section: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        item = _ITEM.match(line)
        if item:
            found.append(MailedAlert(item.group(1).lower()))
            section = None
        elif found and line in ("Labels", "Annotations"):
            section = found[-1].labels if line == "Labels" else found[-1].annotations
        elif found and line == "Source":
            section = None
        elif section is not None and " = " in line:
            key, _, value = line.partition(" = ")
            section[key.strip()] = value.strip()
    return found
