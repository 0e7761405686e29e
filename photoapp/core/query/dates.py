"""Dates in the query language: ``after:2020-06``, ``before:2021`` and natural phrases.

A date phrase means a period [start, end) of wall-clock time:

    2019              the year                     march 2020 / mar 2020   that month
    yesterday, today  that day                     summer 2019             Jun 1 - Sep 1 2019
    last week         the previous Monday-Sunday   this week / this month / this year
    last month        the previous calendar month  last year               the previous year
    last summer       the most recent summer that has ended (winter, spring, autumn/fall too)

Seasons are meteorological and northern-hemisphere (summer = June to August, winter = December
to February, so "winter 2020" is Dec 2020 - Mar 2021). Month names alone ("march", "may") are
ordinary words, not dates: they need a year or "last"/"this".
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from ..errors import QueryError

MONTHS = {name: i for i, names in enumerate(
    [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
     ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
     ("october", "oct"), ("november", "nov"), ("december", "dec")], start=1) for name in names}
SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}  # first month
MIN_YEAR, MAX_YEAR = 1826, 2200  # the oldest surviving photograph .. far enough

Period = tuple[datetime, datetime]


def _year(word: str) -> int | None:
    if len(word) == 4 and word.isascii() and word.isdigit() and MIN_YEAR <= int(word) <= MAX_YEAR:
        return int(word)
    return None


def _month(year: int, month: int) -> Period:
    start = datetime(year, month, 1)
    end = datetime(year + (month == 12), month % 12 + 1, 1)
    return start, end


def _season(year: int, first_month: int) -> Period:
    start = datetime(year, first_month, 1)
    end_month = first_month + 3
    end = datetime(year + (end_month > 12), (end_month - 1) % 12 + 1, 1)
    return start, end


def _day(day: datetime) -> Period:
    start = datetime(day.year, day.month, day.day)
    return start, start + timedelta(days=1)


def natural_period(words: list[str], now: datetime) -> tuple[Period, int] | None:
    """The period named by the first words of ``words`` (lower case) and how many words it
    took, or None when they do not start with a date phrase."""
    if not words:
        return None
    first = words[0]
    second = words[1] if len(words) > 1 else None
    today = datetime(now.year, now.month, now.day)
    if (y := _year(first)) is not None:
        return (datetime(y, 1, 1), datetime(y + 1, 1, 1)), 1
    if first == "today":
        return _day(today), 1
    if first == "yesterday":
        return _day(today - timedelta(days=1)), 1
    if first in MONTHS and second is not None and (y := _year(second)) is not None:
        return _month(y, MONTHS[first]), 2
    if first in SEASONS and second is not None and (y := _year(second)) is not None:
        return _season(y, SEASONS[first]), 2
    if first in ("last", "this") and second is not None:
        this = first == "this"
        if second == "week":
            monday = today - timedelta(days=today.weekday())
            start = monday if this else monday - timedelta(days=7)
            return (start, start + timedelta(days=7)), 2
        if second == "month":
            y, m = now.year, now.month
            if not this:
                y, m = (y - 1, 12) if m == 1 else (y, m - 1)
            return _month(y, m), 2
        if second == "year":
            y = now.year - (not this)
            return (datetime(y, 1, 1), datetime(y + 1, 1, 1)), 2
        if second in MONTHS:
            month = MONTHS[second]
            # "last march": the most recent March that has ended; "this march": this year's.
            y = now.year if this or month < now.month else now.year - 1
            return _month(y, month), 2
        if second in SEASONS:
            first_month = SEASONS[second]
            if this:  # this year's (a winter starts in December: in Jan/Feb, last December's)
                y = now.year - (first_month == 12 and now.month <= 2)
            else:  # the most recent one that has ended
                y = now.year
                while _season(y, first_month)[1] > today:
                    y -= 1
            return _season(y, first_month), 2
    return None


def parse_date_value(value: str, field_name: str, now: datetime) -> Period:
    """The value of ``after:``/``before:``: YYYY-MM-DD, YYYY-MM, YYYY or a natural phrase."""
    for fmt, grain in (("%Y-%m-%d", "day"), ("%Y-%m", "month")):
        try:
            start = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if not re.fullmatch(r"\d{4}-\d{1,2}(-\d{1,2})?", value):
            break
        if grain == "day":
            return start, start + timedelta(days=1)
        return _month(start.year, start.month)
    words = value.lower().split()
    found = natural_period(words, now)
    if found is not None and found[1] == len(words):
        return found[0]
    raise QueryError(f"{field_name}:{value} is not a date; use YYYY-MM-DD, YYYY-MM, YYYY or a phrase "
                     f"such as \"last summer\" (e.g. {field_name}:2020-01-31)")


# --- year:, month:, on: ------------------------------------------------------------------------
# year:2021 and on:2021-03-14 are periods (like after:/before:); month: is a period with a year
# (month:2021-03) and a month of every year without one (month:march, month:3), which the plan
# keeps apart as ``Query.months`` because no single period covers it.

def parse_year(value: str) -> Period:
    """``year:`` -> that calendar year."""
    if not (value.isascii() and value.isdigit() and len(value) == 4):
        raise QueryError(f"year:{value} is not a year; use four digits, e.g. year:2021")
    year = int(value)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise QueryError(f"year:{value} is out of range; photos are from {MIN_YEAR} to {MAX_YEAR}")
    return datetime(year, 1, 1), datetime(year + 1, 1, 1)


def parse_month(value: str) -> Period | int:
    """``month:`` -> a period for YYYY-MM, else the month number (1-12) for a name or number."""
    text = value.lower()
    if text in MONTHS:
        return MONTHS[text]
    if text.isascii() and text.isdigit() and len(text) <= 2 and 1 <= int(text) <= 12:
        return int(text)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if m and MIN_YEAR <= int(m[1]) <= MAX_YEAR and 1 <= int(m[2]) <= 12:
        return _month(int(m[1]), int(m[2]))
    raise QueryError(f"month:{value} is not a month; use a name, a number 1-12 or YYYY-MM "
                     "(e.g. month:march, month:3, month:2021-03)")


def parse_on(value: str, now: datetime) -> Period:
    """``on:`` -> that day: YYYY-MM-DD, today or yesterday."""
    text = value.lower()
    if text in ("today", "yesterday"):
        return natural_period([text], now)[0]
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if not m:
        raise QueryError(f"on:{value} is not a day; use YYYY-MM-DD, e.g. on:2021-03-14")
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise QueryError(f"on:{value} is out of range; photos are from {MIN_YEAR} to {MAX_YEAR}")
    if not 1 <= month <= 12:
        raise QueryError(f"on:{value} is not a day: there is no month {month}")
    try:
        start = datetime(year, month, day)
    except ValueError:
        last = (_month(year, month)[1] - timedelta(days=1)).day
        raise QueryError(f"on:{value} is not a day: {_MONTH_NAMES[month - 1]} {year} has {last} days") from None
    return start, start + timedelta(days=1)


_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")
