"""The query plan: what a parsed query means, independent of any backend.

``parse_query`` (parse.py) turns text into a ``Query``; each backend only *compiles* it (SQL/FTS5
in core/index/embedded/sql_search.py, Elasticsearch DSL in core/index/elastic/dsl.py). Every rule
both compilers must follow is written here once:

Matching
- A term matches a photo through a *tag* or detected *object* whose label is one of the term's
  labels, at ``min_confidence`` or more (for words the parser sets MATCH_MIN_CONFIDENCE); or, unless ``tag_only``, through its words appearing as a
  phrase in a file name, a folder name or the camera (make, model, lens).
- Which labels: ``TermClause.labels`` (resolved through the vocabulary) plus the text itself;
  without vocabulary labels, exactly the label spelled like the term when some photo has it
  ("dog" is the tag dog, not "hot dog"), else every label whose words (label and synonyms)
  contain the term as a phrase.
- Every term must match (AND). An excluded term removes the photos it matches (tags/objects at
  its ``min_confidence``, which the parser sets to EXCLUDE_MIN_CONFIDENCE unless given).
- Filters never score: camera (substring of "make model"), folder (substring of a folder path),
  dates (wall-clock ``taken_at`` in [after, before), and its month among ``months`` when given:
  ``month:march`` = March of any year; undated photos never pass), colours (the
  name is among the photo's stored dominant colours: the colour analyzer keeps only colours
  covering a good share of the picture), rating range, favourite, number of faces (``faces``
  rows of the photo; a photo the faces stage has not reached yet counts 0), people (each name
  in ``people`` is the casefolded name of a person in the photo: ``person:anna``, or a plain
  word the parser found among the people's names), places (``place:paris``: the words appear
  as a phrase in the photo's place name, city, region or country; ``country:france``: the
  country's name or ISO code, case ignored), ``near`` (great-circle distance from a point at
  most ``km``, core/places/geo.py) and ``within`` (a latitude/longitude box; west > east crosses
  the 180th meridian). Photos without GPS never pass a place filter: nothing is guessed.
- A term's text part also matches the photo's place name (``places`` in TEXT_WEIGHTS), so
  "paris" finds photos taken in Paris; it weighs more than a file name (where a photo was taken
  says more than what it is called) and less than a tag the classifier is even fairly sure of.
- A term's text part also matches the text read in the photo (the text analyzer's lines, as
  one text per photo, case and accents folded, a phrase may run on from one line to the next),
  adding PHOTO_TEXT_WEIGHT: a word written on a sign ranks below a confident tag of the same
  word. ``text:parking`` (``TermClause.text_only``) matches the photo's text and nothing else.

Ranking (the one formula)
    score(photo) = sum over terms of ( best confidence among the term's matching tags/objects
                                       + sum of TEXT_WEIGHTS[field] over the text fields in which
                                         the term's words appear as a phrase )
  so a mere file name (at most 0.5 with every field) never outranks a confident tag. Ties, and
  queries without terms: newest first, undated last, then by document.

Bounds
- At most MAX_TERMS terms, exclusions and filters together (parse.py refuses more with a
  QueryError), so no backend ever builds a query whose size grows without limit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..places.geo import GeoBox, Near

# Added per text field in which a term's words appear as a phrase (names of files, names of
# folders, camera make/model/lens). Fixed amounts, not BM25: raw BM25 is unbounded and differs
# between engines, and a name repeated in two paths must not outrank a 0.95 tag.
TEXT_WEIGHTS = {"names": 0.25, "camera": 0.15, "folders": 0.10, "places": 0.30}
TEXT_MAX = sum(TEXT_WEIGHTS.values())
# Added when a term's words appear as a phrase in the text read in the photo. Reading a word
# on a sign is strong evidence, but OCR confuses letters and a word on a shirt is not the
# subject: below any tag at TAG_MIN_CONFIDENCE, above a folder or camera name.
PHOTO_TEXT_WEIGHT = 0.3

# A word matches a tag or object from this confidence on, unless the query says otherwise
# ("dog>=0.01", or "tag:dog": the tag at any confidence). Classifiers name a top-10 whatever the photo shows: on imagenet-sample a tag
# under 0.10 is right 0-10% of the time (bench/tag_confidence.py), so "dog" would list doorways
# whose dog guess is 6%. The parser writes it into each term, like the exclusion floor below.
MATCH_MIN_CONFIDENCE = 0.10

# `-cat` excludes photos where "cat" is a tag/object at this confidence or more (or a name
# matches). Without a floor, the faint top-10 guesses every classifier emits (cat at 0.01 on a
# dog photo) would exclude almost everything. The parser writes it into the clause, so backends
# only ever read ``TermClause.min_confidence``; `-cat>=0.8` overrides it.
EXCLUDE_MIN_CONFIDENCE = 0.25

# A tag "is on" a photo for browsing (the sidebar's counts, a tag's listing) from this confidence.
# The classifier names its top guesses whatever the photo shows, so faint tags are noise: on
# imagenet-sample, tags under this value are mostly wrong (see bench/tag_confidence.py).
TAG_MIN_CONFIDENCE = 0.3

# Terms + exclusions + filters of one query. 32 is far above what anyone types (the longest
# real queries are a handful of words) and keeps every compiled query small.
MAX_TERMS = 32


@dataclass(frozen=True)
class TermClause:
    """Free text (a word or a phrase). ``min_confidence`` applies when it matches a tag."""

    text: str
    min_confidence: float | None = None
    tag_only: bool = False  # tag:... or a >= filter: must match a tag/object, not a file name
    # Canonical tag labels the text means, resolved through the model bundle's vocabulary
    # ("rooster" -> ("cock",), "dog" -> ("dog",)); backends match tags against these.
    labels: tuple[str, ...] = ()
    text_only: bool = False  # text:... : only the text read in the photo (no tags, no names)


@dataclass
class Query:
    """A parsed query: the plan every backend compiles (see the module docstring for the rules)."""

    terms: list[TermClause] = field(default_factory=list)
    excluded: list[TermClause] = field(default_factory=list)
    camera: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    after: datetime | None = None
    before: datetime | None = None
    colors: list[str] = field(default_factory=list)  # palette names, all required
    months: list[int] = field(default_factory=list)  # months of the year (1-12) taken_at may be in
    min_rating: int | None = None  # stars, inclusive
    max_rating: int | None = None
    favorite: bool | None = None  # True: favourites only; False: non-favourites only
    min_faces: int | None = None  # detected faces, inclusive (faces>=3; faces:0 = max 0)
    max_faces: int | None = None
    people: list[str] = field(default_factory=list)  # casefolded person names, all required
    places: list[str] = field(default_factory=list)  # place:paris, lower-cased words, all required
    countries: list[str] = field(default_factory=list)  # country:france / country:fr, lower-cased
    near: Near | None = None  # near:48.85,2.35,5km
    within: GeoBox | None = None  # within:south,west,north,east (a map cluster)

    @property
    def is_empty(self) -> bool:
        return not (self.terms or self.excluded or self.camera or self.folders or self.after
                    or self.before or self.months or self.colors or self.min_rating is not None
                    or self.max_rating is not None or self.favorite is not None
                    or self.min_faces is not None or self.max_faces is not None or self.people
                    or self.places or self.countries or self.near is not None or self.within is not None)

    @property
    def size(self) -> int:
        """What MAX_TERMS bounds: terms, exclusions and the list-valued filters."""
        return (len(self.terms) + len(self.excluded) + len(self.camera) + len(self.folders) + len(self.colors)
                + len(self.people) + len(self.places) + len(self.countries))


def text_score(fields_matched) -> float:
    """The text part of a term's score, given the names of the TEXT_WEIGHTS fields it matched."""
    return sum(TEXT_WEIGHTS[f] for f in set(fields_matched))
