"""`1 minute`, `90 seconds`, `5 minutes`, `1m30s`, `2.5 min` -> seconds."""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "m": 60, "min": 60,
          "mins": 60, "minute": 60, "minutes": 60, "h": 3600, "hour": 3600, "hours": 3600,
          "d": 86400, "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800, "y": 31536000}
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*(?:and\s*)?", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """Seconds in `text`; ValueError with a message fit for a user when it is not a duration."""
    rest, total, pos = text.strip(), 0.0, 0
    if not rest:
        raise ValueError("empty duration")
    while pos < len(rest):
        match = _PART.match(rest, pos)
        if not match or match.group(2).lower() not in _UNITS:
            raise ValueError(f"{text!r} is not a duration (write e.g. `1 minute`, `90 seconds`, `5 minutes`)")
        total += float(match.group(1)) * _UNITS[match.group(2).lower()]
        pos = match.end()
    if total <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    return total
