"""Where the main window is, and where it has been: a *view* value plus back/forward history.

No Qt here (a unit test checks it), so the rules of navigation are tested without a window:
which views exist, which show photos with a detail panel, which can be sorted, how a view is
remembered between runs, and how back/forward behave. The window only renders the current view.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any


class View:
    """One place in the app. Subclasses are frozen dataclasses, so views compare by value."""

    #: a photo grid with the detail panel beside it (the others use the whole width)
    shows_photos = True
    #: the sort box applies (date / name / relevance)
    sortable = True
    #: the order a listing arrives in ("relevance" for searches)
    natural_sort = "date"
    #: "relevance" means something here (a search's score, a tag's confidence, a colour's share)
    has_relevance = False

    @property
    def title(self) -> str:
        raise NotImplementedError

    @property
    def subtitle(self) -> str:
        return ""

    @property
    def empty_text(self) -> str:
        return "No photos match."


@dataclass(frozen=True)
class All(View):
    @property
    def title(self) -> str:
        return "All photos"

    @property
    def empty_text(self) -> str:
        return "No photos yet — indexing will fill this view."


@dataclass(frozen=True)
class Folder(View):
    path: str

    @property
    def title(self) -> str:
        return os.path.basename(self.path.rstrip("/\\")) or self.path

    @property
    def subtitle(self) -> str:
        return self.path


@dataclass(frozen=True)
class Tag(View):
    label: str
    has_relevance = True

    @property
    def title(self) -> str:
        return f"Tag: {self.label}"


@dataclass(frozen=True)
class Color(View):
    name: str
    has_relevance = True

    @property
    def title(self) -> str:
        return f"Colour: {self.name}"


@dataclass(frozen=True)
class Cluster(View):
    id: str
    name: str = field(default="", compare=False)

    @property
    def title(self) -> str:
        return self.name or f"Cluster {self.id}"

    @property
    def subtitle(self) -> str:
        return "in this cluster"


@dataclass(frozen=True)
class Search(View):
    text: str
    natural_sort = "relevance"
    has_relevance = True

    @property
    def title(self) -> str:
        return "Search results"

    @property
    def subtitle(self) -> str:
        return f"for “{self.text}”"


@dataclass(frozen=True)
class Similar(View):
    """Photos like ``target`` (a library photo, a dropped file or a pasted image); results come
    with scores in their own order, so no sort box."""

    label: str
    target: Any = field(default=None, compare=False, hash=False)
    sortable = False
    natural_sort = "relevance"
    has_relevance = True

    @property
    def title(self) -> str:
        return "Similar photos"

    @property
    def subtitle(self) -> str:
        return f"to {self.label}"


@dataclass(frozen=True)
class Clusters(View):
    shows_photos = False
    sortable = False

    @property
    def title(self) -> str:
        return "Clusters"


@dataclass(frozen=True)
class Duplicates(View):
    shows_photos = False
    sortable = False

    @property
    def title(self) -> str:
        return "Duplicates"


@dataclass(frozen=True)
class Errors(View):
    shows_photos = False
    sortable = False

    @property
    def title(self) -> str:
        return "Errors"


@dataclass(frozen=True)
class OnThisDay(View):
    """Photos taken on today's month and day in earlier years, grouped by year
    (gui/on_this_day.py); its own page, with the detail panel beside it."""

    sortable = False

    @property
    def title(self) -> str:
        return "On this day"


@dataclass(frozen=True)
class Map(View):
    """Photos with a GPS position as clustered markers on a world map (gui/map_view.py); a
    marker opens its photos as a ``within:`` search."""

    shows_photos = False
    sortable = False

    @property
    def title(self) -> str:
        return "Map"


@dataclass(frozen=True)
class MapArea(Search):
    """The photos of one map marker: a ``within:`` search (the search field shows it, so it can
    be refined), titled as what it is. Not restored between runs (the app opens on All photos)."""

    @property
    def title(self) -> str:
        return "On the map"

    @property
    def subtitle(self) -> str:
        return "in the area of the marker"


@dataclass(frozen=True)
class People(View):
    """Everyone in the photos, as cards (gui/people_view.py)."""

    shows_photos = False
    sortable = False

    @property
    def title(self) -> str:
        return "People"


@dataclass(frozen=True)
class Person(View):
    """One person's photos (gui/people_view.py); ``id`` is the core's person id."""

    id: int
    name: str = field(default="", compare=False)
    sortable = False

    @property
    def title(self) -> str:
        return self.name or "Unnamed person"


# --- remembering a view between runs -------------------------------------------------------------
# A similar search (its target may be a pasted image) and a cluster (ids change when clusters are
# recomputed) are not restored: the app opens on All photos instead.
_SIMPLE = {"all": All, "clusters": Clusters, "duplicates": Duplicates, "errors": Errors, "on-this-day": OnThisDay,
           "people": People,
           "map": Map}
_WITH_VALUE = {"folder": Folder, "tag": Tag, "color": Color, "search": Search}


def to_key(view: View) -> str | None:
    """A string to store the view under (GUI state file), or None when it is not restorable."""
    for key, cls in _SIMPLE.items():
        if type(view) is cls:
            return key
    for key, cls in _WITH_VALUE.items():
        if type(view) is cls:
            return f"{key}:{getattr(view, _value_field(cls))}"
    return None


def from_key(key: str | None) -> View | None:
    """The view ``to_key`` stored, or None for anything else (an old or damaged state file)."""
    if not key:
        return None
    if key in _SIMPLE:
        return _SIMPLE[key]()
    prefix, sep, value = key.partition(":")
    cls = _WITH_VALUE.get(prefix)
    if not sep or cls is None or not value:
        return None
    return cls(value)


def _value_field(cls) -> str:
    return {Folder: "path", Tag: "label", Color: "name", Search: "text"}[cls]


# --- history -------------------------------------------------------------------------------------
class Navigation:
    """The current view plus back and forward stacks, like a web browser's.

    ``go`` to a new view pushes the current one on the back stack and clears forward; going to
    the view already shown changes nothing. ``replace`` swaps the current view without history
    (a refresh, a start-up restore, a removed folder)."""

    def __init__(self, limit: int = 50):
        self.limit = limit
        self.current: View | None = None
        self._back: list[View] = []
        self._forward: list[View] = []

    def go(self, view: View) -> View:
        if self.current is not None and view != self.current:
            self._back.append(self.current)
            del self._back[:-self.limit]
            self._forward.clear()
        self.current = view
        return view

    def replace(self, view: View) -> View:
        self.current = view
        return view

    def back(self) -> View | None:
        """The previous view (now current), or None when there is none."""
        if not self._back:
            return None
        if self.current is not None:
            self._forward.append(self.current)
        self.current = self._back.pop()
        return self.current

    def forward(self) -> View | None:
        if not self._forward:
            return None
        if self.current is not None:
            self._back.append(self.current)
        self.current = self._forward.pop()
        return self.current

    @property
    def can_go_back(self) -> bool:
        return bool(self._back)

    @property
    def can_go_forward(self) -> bool:
        return bool(self._forward)

    def forget(self, keep) -> None:
        """Drop history entries for which ``keep(view)`` is false (a removed folder's views)."""
        self._back = [v for v in self._back if keep(v)]
        self._forward = [v for v in self._forward if keep(v)]
        # Two equal neighbours left behind would make one Back press do nothing visible.
        self._back = [v for i, v in enumerate(self._back) if i == 0 or v != self._back[i - 1]]
        if self._back and self._back[-1] == self.current:
            self._back.pop()
