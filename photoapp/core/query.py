"""The query language shared by every backend.

    dog                   free text: tags (with WordNet synonyms/ancestors), objects, names, camera
    "stop sign"           phrase
    tag:dog               a tag must be present
    dog>=0.9 / dog>0.9    tag with a minimum confidence ("pizza with at least 90% probability")
    score>=0.9            minimum confidence for every free-text/tag term of the query
    camera:canon          camera make or model contains
    after:2020-01-01      taken on or after; before:2021-06  taken before
    folder:holidays       a folder on the path contains
    -cat / -tag:cat       exclude

The parser turns text into a ``Query``; each backend translates a ``Query`` to its own engine.

Parsing details (``parse_query``): words are lower-cased; several terms must all match (AND);
``tag:golden_retriever`` = ``tag:"golden retriever"``; ``dog>0.9`` is strict; ``90%`` = 0.9;
``after:2020`` / ``after:2020-06`` start at the first day of that year / month, ``before:`` is
exclusive; ``-cat`` gets ``min_confidence = EXCLUDE_MIN_CONFIDENCE`` unless it has its own
threshold; with a vocabulary, runs of words that name one label become one term.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class TermClause:
    """Free text (a word or a phrase). ``min_confidence`` applies when it matches a tag."""

    text: str
    min_confidence: float | None = None
    tag_only: bool = False  # tag:... or a >= filter: must match a tag/object, not a file name
    # Canonical tag labels the text means, resolved through the model bundle's vocabulary
    # ("rooster" -> ("cock",), "dog" -> ("dog",)); backends match tags against these.
    labels: tuple[str, ...] = ()


@dataclass
class Query:
    terms: list[TermClause] = field(default_factory=list)
    excluded: list[TermClause] = field(default_factory=list)
    camera: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    after: datetime | None = None
    before: datetime | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.terms or self.excluded or self.camera or self.folders or self.after or self.before)

    @property
    def has_filters_only(self) -> bool:
        return not self.terms and not self.is_empty


# --- parser -------------------------------------------------------------------------------
# Added below the shared dataclasses (backward-compatible): text -> Query.

import math
import re
from typing import Protocol

from .errors import QueryError

# `-cat` excludes photos where "cat" is a tag/object at this confidence or more (or a name
# matches). Without a floor, the faint top-10 guesses every classifier emits (cat at 0.01 on a
# dog photo) would exclude almost everything. The parser writes it into the clause, so backends
# only ever read ``TermClause.min_confidence``; `-cat>=0.8` overrides it.
EXCLUDE_MIN_CONFIDENCE = 0.25

FIELDS = ("tag", "camera", "after", "before", "folder")
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


def parse_query(text: str, vocabulary: LabelResolver | None = None) -> Query:
    """Parse the query language described at the top of this module.

    Raises ``QueryError`` with a message naming the offending part. ``vocabulary`` (anything with
    ``resolve(text)``) fills ``TermClause.labels`` so that "rooster" reaches the tag "cock", and
    lets a run of plain words that is one label ("golden retriever") become one term.
    """
    if text is None:
        return Query()
    if text.count('"') % 2:
        raise QueryError('unbalanced quote: every " needs a closing "')
    query = Query()
    plain_run: list[str] = []  # consecutive bare words, merged through the vocabulary later
    global_min: float | None = None
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        m = _TOKEN.match(text, pos)
        raw = m.group(0) if m else ""
        if not raw:  # a stray operator such as ">=0.5" with nothing before it
            end = _next_space(text, pos)
            raise QueryError(f"cannot read {text[pos:end]!r}: a comparison needs a tag before it, e.g. dog>=0.9")
        end = m.end()
        if end < len(text) and not text[end].isspace():
            raise QueryError(f"cannot read {text[pos:_next_space(text, pos)]!r}: put a space between parts")
        pos = end

        neg, field_name = bool(m.group("neg")), m.group("field")
        phrase, word, op, num = m.group("phrase"), m.group("word"), m.group("op"), m.group("num")
        value = phrase if phrase is not None else word
        if value is not None:
            value = " ".join(value.split())  # collapse inner whitespace of phrases
        if field_name is not None:
            field_name = field_name.lower()

        if field_name == "score" or (field_name is None and word and word.lower() == "score" and op):
            if neg:
                raise QueryError("score filters cannot be negated")
            if field_name == "score":
                raise QueryError("write score>=0.9, not score:0.9")
            global_min = _merge_min(global_min, _confidence(op, num, raw))
            continue
        if field_name is not None and field_name not in FIELDS:
            raise QueryError(f"unknown filter {field_name + ':'!r}; known filters: "
                             + ", ".join(f + ":" for f in FIELDS) + " and score>=")
        if not value:
            if neg and field_name is None and op is None:
                continue  # a lone "-" means nothing
            what = f"{field_name}:" if field_name else raw
            raise QueryError(f"{what!r} needs a value, e.g. " + _example(field_name))

        if field_name in ("camera", "folder", "after", "before"):
            if neg:
                raise QueryError(f"'-{field_name}:' is not supported; only words and tags can be excluded")
            if op:
                raise QueryError(f"{field_name}: does not take a comparison ({op})")
            _apply_filter(query, field_name, value)
            continue

        # A word, phrase or tag, possibly with a confidence threshold.
        min_conf = _confidence(op, num, raw) if op else None
        tag_only = field_name == "tag" or min_conf is not None
        term_text = value.lower()
        if field_name == "tag":
            term_text = term_text.replace("_", " ")
        if neg:
            _flush_run(query, plain_run, vocabulary)
            query.excluded.append(TermClause(
                term_text, min_conf if min_conf is not None else EXCLUDE_MIN_CONFIDENCE,
                tag_only, _resolve(vocabulary, term_text)))
        elif phrase is None and not tag_only:
            plain_run.append(term_text)
        else:
            _flush_run(query, plain_run, vocabulary)
            query.terms.append(TermClause(term_text, min_conf, tag_only, _resolve(vocabulary, term_text)))
    _flush_run(query, plain_run, vocabulary)

    if global_min is not None:
        # "score>=0.9" is a confidence floor for every term; a term's own stricter floor wins.
        query.terms = [TermClause(t.text, _merge_min(t.min_confidence, global_min), True, t.labels)
                       for t in query.terms]
        if not query.terms:
            raise QueryError("score>= needs a word or tag to apply to, e.g. 'dog score>=0.9'")
    if query.after and query.before and query.after >= query.before:
        raise QueryError(f"after:{query.after.date()} is not earlier than before:{query.before.date()}; "
                         "no photo can match")
    return query


def _next_space(text: str, pos: int) -> int:
    m = re.compile(r"\s").search(text, pos)
    return m.start() if m else len(text)


def _example(field_name: str | None) -> str:
    return {"tag": "tag:dog", "camera": "camera:canon", "folder": "folder:holidays",
            "after": "after:2020-01-31", "before": "before:2021"}.get(field_name or "", "dog>=0.9")


def _confidence(op: str, num: str, raw: str) -> float:
    if op not in (">=", ">"):
        raise QueryError(f"{raw!r}: only >= and > are supported for confidence, e.g. dog>=0.9")
    if not num:
        raise QueryError(f"{raw!r}: a number between 0 and 1 must follow {op}")
    try:
        value = float(num[:-1]) / 100 if num.endswith("%") else float(num)
    except ValueError:
        raise QueryError(f"{raw!r}: {num!r} is not a number; use a confidence between 0 and 1") from None
    if not (0.0 <= value <= 1.0) or math.isnan(value):
        raise QueryError(f"{raw!r}: confidence must be between 0 and 1 (or 0% and 100%), got {num}")
    # Confidences are stored as floats, so "> x" is ">= the next float after x".
    return math.nextafter(value, 2.0) if op == ">" else value


def _merge_min(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _apply_filter(query: Query, field_name: str, value: str) -> None:
    if field_name == "camera":
        query.camera.append(value.lower())
    elif field_name == "folder":
        query.folders.append(value.lower())
    elif field_name == "after":
        start = _parse_date(value, field_name)[0]
        query.after = start if query.after is None else max(query.after, start)
    else:  # before: photos taken before the start of the given day / month / year
        start = _parse_date(value, field_name)[0]
        query.before = start if query.before is None else min(query.before, start)


def _parse_date(value: str, field_name: str) -> tuple[datetime, str]:
    """'2020-01-31' | '2020-01' | '2020' -> (start of that period, granularity)."""
    for fmt, grain in (("%Y-%m-%d", "day"), ("%Y-%m", "month"), ("%Y", "year")):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if fmt == "%Y" and len(value) != 4:
            break
        return parsed, grain
    raise QueryError(f"{field_name}:{value} is not a date; use YYYY-MM-DD, YYYY-MM or YYYY "
                     f"(e.g. {field_name}:2020-01-31)")


def _resolve(vocabulary: LabelResolver | None, text: str) -> tuple[str, ...]:
    if vocabulary is None:
        return ()
    return tuple(vocabulary.resolve(text))


def _flush_run(query: Query, words: list[str], vocabulary: LabelResolver | None) -> None:
    """Turn a run of bare words into terms, joining the longest runs the vocabulary knows
    ("golden retriever" is one label, not "golden" AND "retriever")."""
    i = 0
    while i < len(words):
        for n in range(min(_MAX_NGRAM, len(words) - i), 0, -1):
            text = " ".join(words[i:i + n])
            labels = _resolve(vocabulary, text)
            if labels or n == 1:
                query.terms.append(TermClause(text, None, False, labels))
                i += n
                break
    words.clear()
