"""Alertmanager's time intervals (`time_intervals:` / `mute_time_intervals:`), parsed and evaluated as
Alertmanager does (`timeinterval/timeinterval.go`).

An interval holds when every field it names holds (a field left out holds always): `times` (minutes of
the day, end exclusive, `24:00` allowed), `weekdays` (`monday:friday`, names only), `days_of_month`
(1..31 or -31..-1 from the month's end, clamped to the month; a range whose start lies past the month's
end skips that month), `months` (names or numbers), `years`, each a list of ranges that holds when any
range does; `location` (an IANA zone, default UTC) is the zone the instant is looked at in.
A named entry (`- name: X, time_intervals: [...]`) holds when any of its intervals does.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_TIME = re.compile(r"^((([01][0-9])|(2[0-3])):[0-5][0-9])$|(^24:00$)")

Range = tuple[int, int]  # inclusive (times: start minute inclusive, end minute exclusive)


@dataclass(frozen=True)
class TimeInterval:
    times: tuple[Range, ...] | None = None
    weekdays: tuple[Range, ...] | None = None  # 0 = Sunday
    days_of_month: tuple[Range, ...] | None = None
    months: tuple[Range, ...] | None = None
    years: tuple[Range, ...] | None = None
    location: str = ""  # IANA zone name; "" is UTC

    def contains(self, instant: datetime) -> bool:
        """Does the interval hold at `instant` (an aware datetime)? Alertmanager's `ContainsTime`."""
        t = instant.astimezone(_zone(self.location) if self.location else UTC)
        minute, weekday = t.hour * 60 + t.minute, (t.weekday() + 1) % 7
        return (
            _any(self.times, lambda r: r[0] <= minute < r[1])
            and _any(self.days_of_month, lambda r: _day_in(r, t))
            and _any(self.months, lambda r: r[0] <= t.month <= r[1])
            and _any(self.weekdays, lambda r: r[0] <= weekday <= r[1])
            and _any(self.years, lambda r: r[0] <= t.year <= r[1])
        )


def _any(ranges: tuple[Range, ...] | None, holds: Callable[[Range], bool]) -> bool:
    return ranges is None or any(holds(r) for r in ranges)


def _day_in(days: Range, t: datetime) -> bool:
    month_days = calendar.monthrange(t.year, t.month)[1]
    begin = month_days + days[0] + 1 if days[0] < 0 else days[0]
    end = month_days + days[1] + 1 if days[1] < 0 else days[1]
    if begin > month_days:
        return False
    begin, end = (max(-month_days, min(n, month_days)) for n in (begin, end))
    return begin <= t.day <= end


def _zone(name: str) -> tzinfo:
    if name == "Local":
        return datetime.now().astimezone().tzinfo or UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def parse_minutes(text: str) -> int:
    if not _TIME.match(text):
        raise ValueError(f"couldn't parse timestamp {text}, invalid format")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _member(text: str, names: Sequence[str], first: int, numbers: bool) -> int:
    if text in names:
        return names.index(text) + first
    if numbers:
        try:
            return int(text)
        except ValueError:
            pass
    kind = "weekday" if names is WEEKDAYS else "month" if names is MONTHS else "number"
    raise ValueError(f"{text} is not a valid {kind}")


def _range(text: object, names: Sequence[str] = (), first: int = 0, numbers: bool = True) -> Range:
    parts = str(text).lower().split(":")
    if len(parts) > 2:
        raise ValueError(f"couldn't parse range {text}, invalid format")
    begin, end = (_member(p, names, first, numbers) for p in (parts[0], parts[-1]))
    return begin, end


def _weekdays(raw: object) -> Range:
    begin, end = _range(raw, WEEKDAYS, 0, numbers=False)
    if begin > end:
        raise ValueError("start day cannot be before end day")
    return begin, end


def _days(raw: object) -> Range:
    begin, end = _range(raw)
    for day in (begin, end):
        if day == 0 or not -31 <= day <= 31:
            raise ValueError(f"{day} is not a valid day of the month: out of range")
    if begin < 0 < end:
        raise ValueError("end day must be negative if start day is negative")
    if (28 + begin if begin < 0 else begin) > (28 + end if end < 0 else end):
        raise ValueError(f"end day {end} is always before start day {begin}")
    return begin, end


def _months(raw: object) -> Range:
    begin, end = _range(raw, MONTHS, 1)
    if begin > end:
        raise ValueError(f"end month {MONTHS[end - 1]} is before start month {MONTHS[begin - 1]}")
    return begin, end


def _years(raw: object) -> Range:
    begin, end = _range(raw)
    if begin > end:
        raise ValueError(f"end year {end} is before start year {begin}")
    return begin, end


def _times(raw: object) -> Range:
    if not isinstance(raw, Mapping) or not raw.get("start_time") or not raw.get("end_time"):
        raise ValueError("both start and end times must be provided")
    start, end = parse_minutes(str(raw["start_time"])), parse_minutes(str(raw["end_time"]))
    if start >= end:
        raise ValueError("start time cannot be equal or greater than end time")
    return start, end


FIELDS = {"times": _times, "weekdays": _weekdays, "days_of_month": _days, "months": _months, "years": _years}


def parse_interval(raw: object) -> TimeInterval:
    """One interval mapping (`{weekdays: [...], times: [...], location: ...}`); ValueError names the problem."""
    if raw is None:
        return TimeInterval()
    if not isinstance(raw, Mapping):
        raise ValueError("a time interval must be a mapping")
    unknown = sorted(str(k) for k in raw if k not in (*FIELDS, "location"))
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} in a time interval")
    values: dict[str, tuple[Range, ...] | None] = {}
    for key, parse in FIELDS.items():
        items = raw.get(key)
        if items is not None and not isinstance(items, list):
            raise ValueError(f"{key} must be a list")
        values[key] = None if items is None else tuple(parse(item) for item in items)
    location = str(raw.get("location") or "")
    if location:
        _zone(location)
    return TimeInterval(location=location, **values)


@dataclass(frozen=True)
class NamedInterval:
    name: str
    intervals: tuple[TimeInterval, ...]
    line: int = 0

    def contains(self, instant: datetime) -> bool:
        return any(interval.contains(instant) for interval in self.intervals)


def muting(
    intervals: Mapping[str, NamedInterval], mute: Sequence[str], active: Sequence[str], instant: datetime
) -> list[str]:
    """Why a route with `mute_time_intervals: mute` and `active_time_intervals: active` sends nothing at
    `instant`: the mute intervals that hold, or `not active (...)` when active ones are named and none holds.
    Unknown names are left out (Alertmanager refuses such a configuration at load)."""
    muted = [name for name in mute if name in intervals and intervals[name].contains(instant)]
    known_active = [name for name in active if name in intervals]
    if known_active and not any(intervals[name].contains(instant) for name in known_active):
        muted.append(f"outside the active time interval {', '.join(known_active)}")
    return muted
