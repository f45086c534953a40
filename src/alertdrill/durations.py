"""`1 minute`, `90 seconds`, `5 minutes`, `1m30s`, `2.5 min` -> seconds: finite, positive and bounded."""

from __future__ import annotations

import math
import re

_UNITS = {
    "ms": 0.001,
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
    "y": 31536000,
}
_PART = re.compile(r"\s*(\d{1,15}(?:\.\d{1,15})?)\s*([a-z]+)\s*(?:and\s*)?", re.IGNORECASE)

MAX_DURATION_S = 7 * 86400.0  # no drill, budget or fault lasts longer than a week
MAX_PROMETHEUS_S = 100 * 31536000.0  # Prometheus/Alertmanager timers (`repeat_interval: 30d`, `for: 1y`)
# Prometheus's `model.ParseDuration`: units in this order, each at most once; `0` alone is allowed.
_PROMETHEUS = re.compile(r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?")
_PROMETHEUS_UNITS = (31536000.0, 604800.0, 86400.0, 3600.0, 60.0, 1.0, 0.001)
MAX_TEXT = 100  # characters: a duration people write is short


def describe(seconds: float) -> str:
    """`7 days`, `90 seconds`, `1.5 hours`: a bound said the way people write it."""
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size and seconds % (size / 2) == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} seconds"


def parse_duration(text: str, *, maximum: float = MAX_DURATION_S) -> float:
    """Seconds in `text`, in (0, maximum]; ValueError with a message fit for a user otherwise."""
    allowed = f"allowed: more than 0, at most {describe(maximum)}"
    rest, total, pos = text.strip(), 0.0, 0
    if not rest:
        raise ValueError(f"empty duration ({allowed})")
    if len(rest) > MAX_TEXT:
        raise ValueError(f"{rest[:20]!r}... is too long to be a duration ({allowed})")
    while pos < len(rest):
        match = _PART.match(rest, pos)
        if not match or match.group(2).lower() not in _UNITS:
            raise ValueError(
                f"{text!r} is not a duration (write e.g. `1 minute`, `90 seconds`, `5 minutes`; {allowed})"
            )
        total += float(match.group(1)) * _UNITS[match.group(2).lower()]
        pos = match.end()
    if not math.isfinite(total) or total > maximum:
        raise ValueError(f"{text!r} is longer than {describe(maximum)}, the longest allowed ({allowed})")
    if total <= 0:
        raise ValueError(f"{text!r} must be longer than zero ({allowed})")
    return total


def parse_prometheus_duration(text: str, *, maximum: float = MAX_PROMETHEUS_S) -> float:
    """Seconds in a Prometheus duration (`0s`, `1h30m`, `30d`, `1w`, `1y`, `0`), in [0, maximum]."""
    rest = str(text).strip()
    if rest == "0":
        return 0.0
    match = _PROMETHEUS.fullmatch(rest) if rest and len(rest) <= MAX_TEXT else None
    if match is None or not any(match.groups()):
        raise ValueError(f"{rest[:40]!r} is not a Prometheus duration (write e.g. `0s`, `30s`, `5m`, `1h30m`, `7d`)")
    total = sum(int(n) * unit for n, unit in zip(match.groups(), _PROMETHEUS_UNITS, strict=True) if n)
    if total > maximum:
        raise ValueError(f"{rest!r} is longer than {describe(maximum)}, the longest allowed")
    return total


def _short(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 30 else shown[:27] + "..."


def check_seconds(value: object, what: str, *, maximum: float = MAX_DURATION_S) -> float:
    """A number of seconds from a configuration value (int or float, not bool), in (0, maximum]."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number of seconds, not {_short(value)}")
    try:
        seconds = float(value)
    except OverflowError:  # an int beyond a float
        seconds = math.inf
    if not math.isfinite(seconds) or not 0 < seconds <= maximum:
        raise ValueError(
            f"{what} must be more than 0 and at most {maximum:g} seconds ({describe(maximum)}), not {_short(value)}"
        )
    return seconds
