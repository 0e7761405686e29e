"""The query language shared by every backend: text -> ``Query`` (the plan of plan.py).

    dog                   free text: tags (with WordNet synonyms/ancestors), objects, names, camera
    "stop sign"           phrase
    tag:dog               a tag must be present
    dog>=0.9 / dog>0.9    tag with a minimum confidence ("pizza with at least 90% probability")
    score>=0.9            minimum confidence for every free-text/tag term of the query
    camera:canon          camera make or model contains
    after:2020-01-01      taken on or after; before:2021-06  taken before
    year:2021, on:2021-03-14, month:2021-03   taken in that year / on that day / in that month
    month:march, month:3  taken in March of any year (several month: filters: any of them)
    2019, march 2020, yesterday, last week, last summer      taken in that period (dates.py)
    folder:holidays       a folder on the path contains
    color:red             a palette colour covers a good part of the photo (colour: too)
    rating>=4, rating:5   stars given in the library (>=, >, <=, <, = or :)
    favorite              favourites only (favourite too; -favorite: the others)
    faces>=3, faces:0     number of detected faces (>=, >, <=, <, = or :)
    person:anna           a person the user named (case ignored); a plain word or run of
                          words that is a person's name means the same ("anna", "anna smith")
    place:paris           the place name (city, region, country) of the photo's GPS contains;
                          plain words match place names too ("paris")
    country:france        the photo's country, by name or ISO code (country:fr)
    near:48.85,2.35,5km   within that distance of a point (km, m or mi; 5 km when left out)
    within:S,W,N,E        inside a latitude/longitude box (a map cluster)
    text:parking          the text read in the photo (text:"no parking" a phrase; case and
                          accents ignored); plain words match it too, below a confident tag
    -cat / -tag:cat       exclude

Parsing details (``parse_query``): words are lower-cased; several terms must all match (AND);
``tag:golden_retriever`` = ``tag:"golden retriever"``; ``dog>0.9`` is strict; ``90%`` = 0.9;
``after:2020`` / ``after:2020-06`` start at the first day of that year / month, ``before:`` is
exclusive (``before:2021`` = before 2021-01-01); a bare date phrase limits the query to its
period; a word or phrase gets ``min_confidence = MATCH_MIN_CONFIDENCE`` (``tag:dog`` asks for
the tag at any confidence) and ``-cat`` ``EXCLUDE_MIN_CONFIDENCE``, unless given a threshold; with a vocabulary, runs of words that name one label become one term. More than
MAX_TERMS terms, exclusions and filters together is a QueryError.
"""
from __future__ import annotations

# --- parser -------------------------------------------------------------------------------
# Added below the shared dataclasses (backward-compatible): text -> Query.

import math
import re
from datetime import datetime
from collections.abc import Container
from typing import Protocol

from ..errors import QueryError
from ..places.geo import parse_near, parse_within
from .dates import MONTHS, SEASONS, natural_period, parse_date_value, parse_month, parse_on, parse_year
from .plan import EXCLUDE_MIN_CONFIDENCE, MATCH_MIN_CONFIDENCE, MAX_TERMS, Query, TermClause
from .palette import color_name

FIELDS = ("tag", "camera", "after", "before", "folder", "color", "colour", "rating", "person",
          "place", "country", "near", "within", "text")
PLACE_FIELDS = ("place", "country", "near", "within")  # core/places/geo.py reads near: and within:
DATE_FIELDS = ("year", "month", "on")  # dates.py: parse_year, parse_month, parse_on
_DATE_EXAMPLES = {"year": "year:2021", "month": "month:march", "on": "on:2021-03-14"}
FAVORITE_WORDS = frozenset({"favorite", "favourite", "favorites", "favourites", "fav", "faved"})
MAX_STARS = 5
_MAX_NGRAM = 4  # longest run of words tried as one vocabulary label ("golden retriever")


class LabelResolver(Protocol):
    def resolve(self, text: str) -> tuple[str, ...]: ...


# One token: optional "-", optional "field:", then a quoted phrase or a bare word, then an
# optional ">=0.9" / ">0.9" (also "<" so that we can refuse it by name).
_TOKEN = re.compile(
    r"""(?P<neg>-)?
        (?:(?P<field>[A-Za-z_]+):)?
        (?:"(?P<phrase>[^"]*)"|(?P<word>[^\s"<>=]+))?
        (?:(?P<op>>=|>|<=|<|=)(?P<num>[^\s"]*))?
    """,
    re.VERBOSE,
)


def parse_query(text: str, vocabulary: LabelResolver | None = None, now: datetime | None = None,
                people: Container[str] = ()) -> Query:
    """Parse the query language described at the top of this module.

    Raises ``QueryError`` with a one-line message naming the offending part. ``vocabulary``
    (anything with ``resolve(text)``) fills ``TermClause.labels`` so that "rooster" reaches the
    tag "cock", and lets a run of plain words that is one label ("golden retriever") become one
    term. ``now`` (default: the local time) anchors "yesterday", "last summer", ...
    ``people``: the casefolded names of the library's people, so that a plain "anna" is
    ``person:anna`` (a quoted "anna" stays the word).
    """
    if text is None:
        return Query()
    if "\x00" in text:
        text = text.replace("\x00", " ")  # NUL is no character anyone means; never pass it on
    if text.count('"') % 2:
        raise QueryError('unbalanced quote: every " needs a closing "')
    now = now or datetime.now()
    query = Query()
    plain_run: list[str] = []  # consecutive bare words, merged through the vocabulary later
    global_min: float | None = None
    pos = 0
    tokens = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        tokens += 1
        if tokens > 4 * MAX_TERMS:  # fail early on a pasted essay, without parsing it all
            count = len(re.findall(r'"[^"]*"|\S+', text))
            raise QueryError(f"too many search terms ({count}); at most {MAX_TERMS}")
        m = _TOKEN.match(text, pos)
        raw = m.group(0) if m else ""
        if not raw:  # a stray operator such as ">=0.5" with nothing before it
            end = _next_space(text, pos)
            raise QueryError(f"cannot read {_short(text[pos:end])}: a comparison needs a tag before it, "
                             "e.g. dog>=0.9")
        end = m.end()
        if end < len(text) and not text[end].isspace():
            raise QueryError(f"cannot read {_short(text[pos:_next_space(text, pos)])}: put a space between parts")
        pos = end

        neg, field_name = bool(m.group("neg")), m.group("field")
        phrase, word, op, num = m.group("phrase"), m.group("word"), m.group("op"), m.group("num")
        value = phrase if phrase is not None else word
        if value is not None:
            value = " ".join(value.split())  # collapse inner whitespace of phrases
        if field_name is not None:
            field_name = field_name.lower()
        bare = word.lower() if word and field_name is None else None

        if field_name == "score" or (bare == "score" and op):
            if neg:
                raise QueryError("score filters cannot be negated")
            if field_name == "score":
                raise QueryError("write score>=0.9, not score:0.9")
            global_min = _merge_min(global_min, _confidence(op, num, raw))
            continue
        if field_name == "rating" or (bare == "rating" and op):
            _apply_rating(query, op or "=", num if op else value, neg, raw)
            continue
        if field_name == "faces" or (bare == "faces" and op):
            _apply_face_count(query, op or "=", num if op else value, neg, raw)
            continue
        if bare in FAVORITE_WORDS and not op:
            query.favorite = not neg
            continue
        if field_name is not None and field_name not in FIELDS + DATE_FIELDS:
            raise QueryError(f"unknown filter {_short(field_name + ':')}; known filters: "
                             + ", ".join(f + ":" for f in FIELDS + DATE_FIELDS) + ", score>=, rating>=, faces>= and favorite")
        if not value:
            if neg and field_name is None and op is None:
                continue  # a lone "-" means nothing
            what = f"{field_name}:" if field_name else raw
            raise QueryError(f"{_short(what)} needs a value, e.g. " + _example(field_name))

        if field_name == "person":
            if neg or op:
                raise QueryError("person: takes a name, e.g. person:anna (no '-', no comparison)")
            _flush_run(query, plain_run, vocabulary, now, people)
            name = value.casefold()
            if name not in query.people:
                query.people.append(name)
            continue
        if field_name in PLACE_FIELDS:
            if neg or op:
                raise QueryError(f"{field_name}: takes a value, e.g. {_example(field_name)} (no '-', no comparison)")
            _apply_place(query, field_name, value)
            continue
        if field_name in ("camera", "folder", "after", "before", "color", "colour", *DATE_FIELDS):
            if neg:
                raise QueryError(f"'-{field_name}:' is not supported; only words and tags can be excluded")
            if op:
                raise QueryError(f"{field_name}: does not take a comparison ({op})")
            _apply_filter(query, field_name, value, now)
            continue

        if field_name == "text":  # text:parking / text:"no parking": the text read in the photo
            if op:
                raise QueryError("text: does not take a comparison; write text:parking or text:\"no parking\"")
            _flush_run(query, plain_run, vocabulary, now, people)
            (query.excluded if neg else query.terms).append(TermClause(value.lower(), text_only=True))
            continue

        # A word, phrase or tag, possibly with a confidence threshold.
        min_conf = _confidence(op, num, raw) if op else None
        tag_only = field_name == "tag" or min_conf is not None
        term_text = value.lower()
        if field_name == "tag":
            term_text = term_text.replace("_", " ")
        if neg:
            _flush_run(query, plain_run, vocabulary, now, people)
            query.excluded.append(TermClause(
                term_text, min_conf if min_conf is not None else EXCLUDE_MIN_CONFIDENCE,
                tag_only, _resolve(vocabulary, term_text)))
        elif phrase is None and not tag_only:
            plain_run.append(term_text)
        else:
            _flush_run(query, plain_run, vocabulary, now, people)
            floor = MATCH_MIN_CONFIDENCE if min_conf is None and field_name is None else min_conf
            query.terms.append(TermClause(term_text, floor, tag_only, _resolve(vocabulary, term_text)))
    _flush_run(query, plain_run, vocabulary, now, people)

    if query.size > MAX_TERMS:
        raise QueryError(f"too many search terms ({query.size}); at most {MAX_TERMS}")
    if global_min is not None:
        # "score>=0.9" is a confidence floor for every term; a term's own stricter floor wins.
        query.terms = [t if t.text_only else  # text:... has no confidence to floor
                       TermClause(t.text, _merge_min(t.min_confidence, global_min), True, t.labels)
                       for t in query.terms]
        if not query.terms:
            raise QueryError("score>= needs a word or tag to apply to, e.g. 'dog score>=0.9'")
    if query.after and query.before and query.after >= query.before:
        raise QueryError(f"after:{query.after.date()} is not earlier than before:{query.before.date()}; "
                         "no photo can match")
    if query.min_rating is not None and query.max_rating is not None and query.min_rating > query.max_rating:
        raise QueryError(f"no rating is at least {query.min_rating} and at most {query.max_rating} stars")
    if query.min_faces is not None and query.max_faces is not None and query.min_faces > query.max_faces:
        raise QueryError(f"no photo has at least {query.min_faces} and at most {query.max_faces} faces")
    return query


def is_query_word(word: str) -> bool:
    """Words the parser gives a meaning of its own (dates, favourites), which a spelling
    suggestion must leave alone."""
    word = word.lower()
    return (word in FAVORITE_WORDS or word in MONTHS or word in SEASONS
            or word in ("last", "this", "today", "yesterday", "week", "month", "year", "rating", "score"))


def _short(text: str, limit: int = 40) -> str:
    """``repr`` of user text, cut so that an error message stays one readable line."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _next_space(text: str, pos: int) -> int:
    m = re.compile(r"\s").search(text, pos)
    return m.start() if m else len(text)


def _person_name(words: list[str], people: Container[str]) -> str | None:
    """The longest run at the start of ``words`` that is a person's (casefolded) name."""
    if not people:
        return None
    for n in range(min(_MAX_NGRAM, len(words)), 0, -1):
        name = " ".join(words[:n]).casefold()
        if name in people:
            return name
    return None


def _example(field_name: str | None) -> str:
    return {"tag": "tag:dog", "camera": "camera:canon", "folder": "folder:holidays",
            "after": "after:2020-01-31", "before": "before:2021", "color": "color:red",
            "colour": "colour:red", "rating": "rating>=4", "person": "person:anna",
            "place": "place:paris", "country": "country:france", "near": "near:48.85,2.35,5km",
            "within": "within:43.46,11.87,43.47,11.89", "text": "text:parking"}.get(field_name or "", _DATE_EXAMPLES.get(field_name or "", "dog>=0.9"))


def _confidence(op: str, num: str, raw: str) -> float:
    if op not in (">=", ">"):
        raise QueryError(f"{_short(raw)}: only >= and > are supported for confidence, e.g. dog>=0.9")
    if not num:
        raise QueryError(f"{_short(raw)}: a number between 0 and 1 must follow {op}")
    try:
        value = float(num[:-1]) / 100 if num.endswith("%") else float(num)
    except ValueError:
        raise QueryError(f"{_short(raw)}: {_short(num)} is not a number; use a confidence between 0 and 1") from None
    if not (0.0 <= value <= 1.0) or math.isnan(value):
        raise QueryError(f"{_short(raw)}: confidence must be between 0 and 1 (or 0% and 100%), got {_short(num)}")
    # Confidences are stored as floats, so "> x" is ">= the next float after x".
    return math.nextafter(value, 2.0) if op == ">" else value


def _apply_rating(query: Query, op: str, num: str | None, neg: bool, raw: str) -> None:
    if neg:
        raise QueryError("rating filters cannot be negated; write rating<=2 instead of -rating>=3")
    if op == ":":
        op = "="
    if not num or not (num.isascii() and num.isdigit()) or len(num) > 2 or int(num) > MAX_STARS:
        raise QueryError(f"{_short(raw)}: a rating is a whole number of stars from 0 to {MAX_STARS}, "
                         "e.g. rating>=4")
    stars = int(num)
    low, high = {">=": (stars, None), ">": (stars + 1, None), "<=": (None, stars), "<": (None, stars - 1),
                 "=": (stars, stars)}[op]
    if low is not None:
        query.min_rating = low if query.min_rating is None else max(query.min_rating, low)
    if high is not None:
        query.max_rating = high if query.max_rating is None else min(query.max_rating, high)
    if (query.min_rating or 0) > MAX_STARS or (query.max_rating is not None and query.max_rating < 0):
        raise QueryError(f"{_short(raw)}: ratings go from 0 to {MAX_STARS} stars")


def _apply_face_count(query: Query, op: str, num: str | None, neg: bool, raw: str) -> None:
    if neg:
        raise QueryError("face counts cannot be negated; write faces>=1 instead of -faces:0")
    if op == ":":
        op = "="
    if not num or not (num.isascii() and num.isdigit()) or len(num) > 4:
        raise QueryError(f"{_short(raw)}: a face count is a whole number, e.g. faces>=3 or faces:0")
    n = int(num)
    low, high = {">=": (n, None), ">": (n + 1, None), "<=": (None, n), "<": (None, n - 1), "=": (n, n)}[op]
    if high is not None and high < 0:
        raise QueryError(f"{_short(raw)}: no photo has fewer than 0 faces")
    if low is not None:
        query.min_faces = low if query.min_faces is None else max(query.min_faces, low)
    if high is not None:
        query.max_faces = high if query.max_faces is None else min(query.max_faces, high)


def _merge_min(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _narrow_dates(query: Query, start: datetime | None, end: datetime | None) -> None:
    if start is not None:
        query.after = start if query.after is None else max(query.after, start)
    if end is not None:
        query.before = end if query.before is None else min(query.before, end)


def _apply_place(query: Query, field_name: str, value: str) -> None:
    if field_name == "near":
        if query.near is not None:
            raise QueryError("only one near: per query")
        query.near = parse_near(value)
    elif field_name == "within":
        if query.within is not None:
            raise QueryError("only one within: per query")
        query.within = parse_within(value)
    else:
        values = query.places if field_name == "place" else query.countries
        if value.lower() not in values:
            values.append(value.lower())


def _apply_filter(query: Query, field_name: str, value: str, now: datetime) -> None:
    if field_name == "camera":
        query.camera.append(value.lower())
    elif field_name == "folder":
        query.folders.append(value.lower())
    elif field_name in ("color", "colour"):
        name = color_name(value)
        if name not in query.colors:
            query.colors.append(name)
    elif field_name in ("year", "on"):
        _narrow_dates(query, *(parse_year(value) if field_name == "year" else parse_on(value, now)))
    elif field_name == "month":
        month = parse_month(value)  # a period (month:2021-03) or a month of any year (month:march)
        if isinstance(month, tuple):
            _narrow_dates(query, *month)
        elif month not in query.months:
            query.months.append(month)
    elif field_name == "after":  # on or after the start of the given day / month / year / period
        _narrow_dates(query, parse_date_value(value, field_name, now)[0], None)
    else:  # before: photos taken before the start of the given day / month / year / period
        _narrow_dates(query, None, parse_date_value(value, field_name, now)[0])


def _resolve(vocabulary: LabelResolver | None, text: str) -> tuple[str, ...]:
    if vocabulary is None:
        return ()
    return tuple(vocabulary.resolve(text))


def _flush_run(query: Query, words: list[str], vocabulary: LabelResolver | None, now: datetime,
               people: Container[str] = ()) -> None:
    """Turn a run of bare words into people, date periods and terms, joining the longest runs
    the people's names or the vocabulary know ("golden retriever" is one label, not "golden"
    AND "retriever"; "anna smith" one person)."""
    i = 0
    while i < len(words):
        name = _person_name(words[i:], people)
        if name is not None:
            if name not in query.people:
                query.people.append(name)
            i += len(name.split())
            continue
        period = natural_period(words[i:], now)
        if period is not None:
            (start, end), used = period
            _narrow_dates(query, start, end)
            i += used
            continue
        for n in range(min(_MAX_NGRAM, len(words) - i), 0, -1):
            text = " ".join(words[i:i + n])
            labels = _resolve(vocabulary, text)
            if labels or n == 1:
                query.terms.append(TermClause(text, MATCH_MIN_CONFIDENCE, False, labels))
                i += n
                break
    words.clear()
