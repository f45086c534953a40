"""The surprise policy and the seeded random pick (pure: no clock, no I/O).

A moment is drawn uniformly over the allowed time (windows such as `Mon-Fri 10:00-16:00` in the
policy's time zone, blackout dates removed) that is left in the first period (day, week, month,
quarter, year) whose limit is not yet reached. The same seed, `now` and past picks give the same pick.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PERIODS = ("day", "week", "month", "quarter", "year")
HORIZON_DAYS = 800  # the pick looks this far ahead at most, then says no moment is allowed
WINDOW = re.compile(r"^\s*(?P<days>[A-Za-z,\-]+)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$")
MIN_SPAN_S = 60.0


@dataclass(frozen=True)
class Window:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> Window:
        """`Mon-Fri 10:00-16:00`, `Tue,Thu 09:30-11:00`, `daily 10:00-16:00`."""
        found = WINDOW.match(text)
        if not found:
            raise ValueError(f"{text!r} is not a window like 'Mon-Fri 10:00-16:00'")
        days: set[int] = set()
        for part in found["days"].lower().split(","):
            if part in ("daily", "every", "all"):
                days |= set(range(7))
                continue
            first, _, last = part.partition("-")
            if first[:3] not in DAYS or (last and last[:3] not in DAYS):
                raise ValueError(f"{part!r} in {text!r} is not a weekday (Mon..Sun)")
            a, b = DAYS.index(first[:3]), DAYS.index((last or first)[:3])
            days |= {d % 7 for d in range(a, (b if b >= a else b + 7) + 1)}
        start, end = (time.fromisoformat(found[k].zfill(5)) for k in ("start", "end"))
        if end <= start:
            raise ValueError(f"{text!r} ends before it starts")
        return cls(frozenset(days), start, end)


def parse_blackout(text: str) -> tuple[date, date]:
    """`2026-12-24` or `2026-12-21..2027-01-03` (both ends included)."""
    first, _, last = str(text).partition("..")
    start, end = date.fromisoformat(first.strip()), date.fromisoformat((last or first).strip())
    if end < start:
        raise ValueError(f"{text!r} ends before it starts")
    return start, end


@dataclass(frozen=True)
class Policy:
    windows: tuple[Window, ...]
    timezone: str = "UTC"
    blackouts: tuple[tuple[date, date], ...] = ()
    max_count: int = 1
    per: str = "month"

    def blacked_out(self, day: date) -> bool:
        return any(a <= day <= b for a, b in self.blackouts)


@dataclass(frozen=True)
class Pick:
    index: int  # into the pool as given (sorted by the caller for reproducibility)
    moment: datetime  # aware UTC


def period_start(moment: datetime, per: str) -> datetime:
    day = moment.date()
    if per == "day":
        first = day
    elif per == "week":
        first = day - timedelta(days=day.weekday())
    elif per == "month":
        first = day.replace(day=1)
    elif per == "quarter":
        first = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    else:
        first = day.replace(month=1, day=1)
    return datetime.combine(first, time(0), moment.tzinfo)


def next_period(start: datetime, per: str) -> datetime:
    day = start.date()
    if per == "day":
        following = day + timedelta(days=1)
    elif per == "week":
        following = day + timedelta(days=7)
    else:
        months = {"month": 1, "quarter": 3, "year": 12}[per]
        index = day.year * 12 + day.month - 1 + months
        following = date(index // 12, index % 12 + 1, 1)
    return datetime.combine(following, time(0), start.tzinfo)


def allowed_spans(policy: Policy, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
    """Allowed [start, end) spans between `lo` and `hi` (local aware times), in order."""
    tz = ZoneInfo(policy.timezone)
    spans = []
    day = lo.date()
    while day <= hi.date():
        if not policy.blacked_out(day):
            for window in policy.windows:
                if day.weekday() in window.days:
                    start = max(datetime.combine(day, window.start, tz), lo)
                    end = min(datetime.combine(day, window.end, tz), hi)
                    if _seconds(start, end) > 0:
                        spans.append((start, end))
        day += timedelta(days=1)
    return sorted(spans)


def _seconds(start: datetime, end: datetime) -> float:
    """Real elapsed seconds (aware arithmetic in one zone would ignore a DST change)."""
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()


def pick(
    policy: Policy, pool_size: int, now: datetime, rng: random.Random, taken: Sequence[datetime] = ()
) -> Pick | None:
    """A drill (index into the pool) and a moment; None when no allowed moment is left in the horizon."""
    if pool_size <= 0:
        return None
    tz = ZoneInfo(policy.timezone)
    local_now = now.astimezone(tz)
    start = period_start(local_now, policy.per)
    horizon = local_now + timedelta(days=HORIZON_DAYS)
    while start < horizon:
        end = next_period(start, policy.per)
        used = sum(start <= t.astimezone(tz) < end for t in taken)
        spans = allowed_spans(policy, max(start, local_now), end) if used < policy.max_count else []
        total = sum(_seconds(a, b) for a, b in spans)
        if total >= MIN_SPAN_S:
            offset = rng.uniform(0, total)
            for a, b in spans:
                length = _seconds(a, b)
                if offset < length:
                    moment = a.astimezone(UTC) + timedelta(seconds=int(offset))
                    return Pick(rng.randrange(pool_size), moment)
                offset -= length
        start = end
    return None
