"""The query language and its backend-neutral plan.

    parse.py    text -> Query (the grammar, its errors, the term limit)
    plan.py     Query / TermClause and every matching and ranking rule backends compile
    dates.py    "2019", "last summer", after:/before: values -> periods
    palette.py  colour names of color:red
    listing.py  typed listings (a folder, a tag, a cluster, a colour) for browsing views
    explain.py  "why this matched", from a hit's stored fields, for every backend
    suggest.py  "did you mean dog?" by edit distance over the vocabulary
"""
from .parse import FIELDS, LabelResolver, parse_query
from .plan import EXCLUDE_MIN_CONFIDENCE, MATCH_MIN_CONFIDENCE, MAX_TERMS, TEXT_MAX, TEXT_WEIGHTS, Query, TermClause
from .suggest import suggest, suggest_query

__all__ = ["EXCLUDE_MIN_CONFIDENCE", "MATCH_MIN_CONFIDENCE", "FIELDS", "LabelResolver", "MAX_TERMS", "Query", "TEXT_MAX",
           "TEXT_WEIGHTS", "TermClause", "parse_query", "suggest", "suggest_query"]
