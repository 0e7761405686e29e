"""The search field's tooltip lists the query language; every example in it must be a query the
core accepts (a help text that teaches a syntax error is worse than none)."""
from __future__ import annotations

import html
import re

from photoapp.core.query.parse import parse_query
from photoapp.gui.search_bar import SYNTAX_HELP


def examples() -> list[str]:
    return [html.unescape(code) for code in re.findall(r"<code>(.*?)</code>", SYNTAX_HELP)]


def test_every_example_in_the_syntax_help_parses():
    found = examples()
    assert len(found) >= 15
    for example in found:
        parse_query(example)  # raises QueryError on a bad example


def test_the_help_names_every_field_of_the_query_language():
    from photoapp.core.query.parse import DATE_FIELDS, FIELDS

    named = " ".join(examples())
    missing = [f for f in FIELDS + DATE_FIELDS if not re.search(rf"\b{f}(:|>=)", named) and f not in ("colour", "within")]
    assert missing == [], f"not in the search help: {missing}"
