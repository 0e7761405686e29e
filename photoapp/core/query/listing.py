"""Typed listings for browsing views: a folder, a tag, a cluster, a colour, or everything.

Front ends list a view with ``Library.list_photos(listing, sort, limit, offset)`` (backends:
``IndexBackend.list_photos``) instead of building query text from names, so no name is ever
parsed: a folder named ``say "cheese"`` lists, and ``Folder("/p/2020")`` does not list
``/p/2020-old`` (folders compare by whole path components).

    Folder(path)    photos with a path inside that folder or any folder below it
    Tag(label)      photos carrying the tag at TAG_MIN_CONFIDENCE or more (what tag_counts counts)
    Cluster(id)     photos of that cluster
    Color(name)     photos whose dominant colours include that palette colour
    Person(id)      photos showing that person (core/people)
    All()           every photo

Sorts: "date" (newest first, undated last), "name" (by primary path), "relevance" (a tag's
confidence or a colour's share, best first, then newest; for the other listings the same as
"date").
"""
from __future__ import annotations

from dataclasses import dataclass

from .plan import TAG_MIN_CONFIDENCE

SORTS = ("date", "name", "relevance")


@dataclass(frozen=True)
class All:
    pass


@dataclass(frozen=True)
class Folder:
    path: str

    @property
    def prefix(self) -> str:
        """What every path inside the folder starts with: the folder and a separator."""
        return self.path.rstrip("/") + "/"


@dataclass(frozen=True)
class Tag:
    label: str
    min_confidence: float = TAG_MIN_CONFIDENCE


@dataclass(frozen=True)
class Cluster:
    id: int


@dataclass(frozen=True)
class Color:
    name: str


@dataclass(frozen=True)
class Person:
    id: int


Listing = All | Folder | Tag | Cluster | Color | Person


def check(listing: Listing, sort: str) -> None:
    """ValueError for a sort or listing this module does not define (a programming error)."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
    if not isinstance(listing, (All, Folder, Tag, Cluster, Color, Person)):
        raise ValueError(f"not a listing: {listing!r}")
