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
