"""The timeline: how many photos each year and month holds, where a month starts in the
newest-first listing, and "on this day" (this calendar day in earlier years).

Everything here is computed from one backend call, ``IndexBackend.date_counts`` (an SQL GROUP
BY on the embedded index, a date histogram on Elasticsearch), plus ordinary date-range searches
for "on this day": no backend has to know what a timeline is.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .query.plan import Query
from .records import SearchHit

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")


@dataclass(frozen=True)
class MonthCount:
    year: int
    month: int
    count: int

    @property
    def label(self) -> str:
        return f"{MONTH_NAMES[self.month - 1]} {self.year}"


@dataclass(frozen=True)
class YearCount:
    year: int
    count: int
    months: tuple[MonthCount, ...]  # oldest first, only months that have photos


@dataclass
class Timeline:
    """Months with photos, oldest first (what ``date_counts`` returns, typed)."""

    months: list[MonthCount] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(m.count for m in self.months)

    def years(self) -> list[YearCount]:
        """Years with photos, newest first (the order of the grid), each with its months."""
        by_year: dict[int, list[MonthCount]] = {}
        for m in self.months:
            by_year.setdefault(m.year, []).append(m)
        return [YearCount(y, sum(m.count for m in ms), tuple(ms))
                for y, ms in sorted(by_year.items(), reverse=True)]

    def position(self, year: int, month: int | None = None) -> int:
        """Row of the newest photo of that month (or year) in the date-sorted listing (newest
        first, undated last): the number of photos taken after it. A month without photos
        gives the row where it would be, i.e. the first older photo."""
        key = (year, month if month is not None else 12)
        return sum(m.count for m in self.months if (m.year, m.month) > key)

    def month_at(self, row: int) -> MonthCount | None:
        """The month the photo at ``row`` of the newest-first listing belongs to (None past the
        dated photos): the scrubber shows it while the grid scrolls."""
        seen = 0
        for m in reversed(self.months):
            seen += m.count
            if row < seen:
                return m
        return None


def timeline(backend) -> Timeline:
    return Timeline([MonthCount(y, m, n) for y, m, n in backend.date_counts() if n > 0])


# --- on this day ---------------------------------------------------------------------------------
@dataclass
class YearAgo:
    year: int
    years_ago: int
    hits: list[SearchHit]

    @property
    def title(self) -> str:
        return f"{self.years_ago} year ago" if self.years_ago == 1 else f"{self.years_ago} years ago"


def on_this_day(backend, today: date | datetime | None = None, per_year: int = 200) -> list[YearAgo]:
    """Photos taken on today's month and day in earlier years, most recent year first.

    Only the years whose month has photos are searched (from ``date_counts``), so a library
    spanning 20 years costs at most 20 small date-range searches. On 28 February of a year
    that is not a leap year, 29 February of earlier leap years counts too: its anniversary
    would otherwise never come."""
    today = today or datetime.now()
    today = date(today.year, today.month, today.day)
    years = sorted({y for y, m, n in backend.date_counts() if m == today.month and n and y < today.year},
                   reverse=True)
    out: list[YearAgo] = []
    for year in years:
        days = _anniversaries(today, year)
        hits: list[SearchHit] = []
        for day in days:
            start = datetime(day.year, day.month, day.day)
            hits += backend.search(Query(after=start, before=start + timedelta(days=1)), limit=per_year)
        if hits:
            out.append(YearAgo(year, today.year - year, hits[:per_year]))
    return out


def _anniversaries(today: date, year: int) -> list[date]:
    try:
        days = [date(year, today.month, today.day)]
    except ValueError:  # 29 February in a year without one: nothing that year
        return []
    if (today.month, today.day) == (2, 28) and not _leap(today.year) and _leap(year):
        days.append(date(year, 2, 29))
    return days


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
