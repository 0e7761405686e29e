"""Natural dates of the query language (core/query/dates.py), anchored at a fixed "now"."""
from __future__ import annotations

from datetime import datetime

import pytest

from photoapp.core.errors import QueryError
from photoapp.core.query import parse_query

NOW = datetime(2026, 12, 1, 15, 30)  # a Tuesday


def period(text, now=NOW):
    q = parse_query(text, now=now)
    return q.after, q.before


@pytest.mark.parametrize("text, start, end", [
    ("2019", datetime(2019, 1, 1), datetime(2020, 1, 1)),
    ("today", datetime(2026, 12, 1), datetime(2026, 12, 2)),
    ("yesterday", datetime(2026, 11, 30), datetime(2026, 12, 1)),
    ("last week", datetime(2026, 11, 23), datetime(2026, 11, 30)),
    ("this week", datetime(2026, 11, 30), datetime(2026, 12, 7)),
    ("last month", datetime(2026, 11, 1), datetime(2026, 12, 1)),
    ("this month", datetime(2026, 12, 1), datetime(2027, 1, 1)),
    ("last year", datetime(2025, 1, 1), datetime(2026, 1, 1)),
    ("march 2020", datetime(2020, 3, 1), datetime(2020, 4, 1)),
    ("Dec 2020", datetime(2020, 12, 1), datetime(2021, 1, 1)),
    ("summer 2019", datetime(2019, 6, 1), datetime(2019, 9, 1)),
    ("winter 2020", datetime(2020, 12, 1), datetime(2021, 3, 1)),
    ("last summer", datetime(2026, 6, 1), datetime(2026, 9, 1)),
    ("last winter", datetime(2025, 12, 1), datetime(2026, 3, 1)),
    ("last march", datetime(2026, 3, 1), datetime(2026, 4, 1)),
    ("last december", datetime(2025, 12, 1), datetime(2026, 1, 1)),
])
def test_natural_periods(text, start, end):
    assert period(text) == (start, end)


def test_last_summer_during_summer_is_the_year_before():
    assert period("last summer", datetime(2026, 7, 10)) == (datetime(2025, 6, 1), datetime(2025, 9, 1))
    assert period("last winter", datetime(2026, 1, 10)) == (datetime(2024, 12, 1), datetime(2025, 3, 1))
    assert period("this winter", datetime(2026, 1, 10)) == (datetime(2025, 12, 1), datetime(2026, 3, 1))


def test_dates_mix_with_words_and_narrow_each_other():
    q = parse_query("dog last summer beach", now=NOW)
    assert [t.text for t in q.terms] == ["dog", "beach"]
    assert (q.after, q.before) == (datetime(2026, 6, 1), datetime(2026, 9, 1))
    assert period("2019 after:2019-06") == (datetime(2019, 6, 1), datetime(2020, 1, 1))


def test_after_and_before_take_phrases():
    assert period('after:"last week"') == (datetime(2026, 11, 23), None)
    assert period("before:yesterday") == (None, datetime(2026, 11, 30))
    assert period("after:2020-02-29") == (datetime(2020, 2, 29), None)


def test_month_names_and_other_numbers_stay_words():
    for text, words in (("march", ["march"]), ("may flowers", ["may", "flowers"]), ("20190", ["20190"]),
                        ("summer", ["summer"]), ("1066", ["1066"])):
        q = parse_query(text, now=NOW)
        assert [t.text for t in q.terms] == words and q.after is None


def test_contradicting_dates_are_refused():
    with pytest.raises(QueryError, match="is not earlier than"):
        parse_query("2019 2020", now=NOW)
    with pytest.raises(QueryError, match="after:someday is not a date"):
        parse_query("after:someday", now=NOW)


def test_quotes_keep_a_date_word_or_filter_word_literal():
    q = parse_query('"2019" "favorite" "last summer"', now=NOW)
    assert [t.text for t in q.terms] == ["2019", "favorite", "last summer"]
    assert q.after is None and q.favorite is None
