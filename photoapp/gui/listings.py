"""What a photo view lists: a ``navigation.View`` turned into a page fetcher for ``ResultLoader``.

Folder, tag, colour and cluster views are listings, not searches: they use the core's typed
listing call (``Library.list_photos``) when the library has it. Until then a folder view runs the
``folder:`` search and keeps only photos whose path is really inside the folder, so ``photos``
never lists ``photos2`` (the search matches a folder by substring). No Qt here.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..core.catalog import is_under
from .navigation import All, Cluster, Color, Folder, Search, Tag, View

if TYPE_CHECKING:
    from ..core.records import SearchHit

Fetch = Callable[[int, int], "list[SearchHit]"]  # (offset, limit) -> hits


def quoted(value: str) -> str:
    return '"' + value.replace('"', '\\"') + '"'


def typed_listing(view: View):
    """The core's listing value for ``view``, or None when the core has no typed listings yet."""
    try:
        from ..core import listing as core_listing  # noqa: PLC0415 - optional until it lands
    except ImportError:
        return None
    for view_type, name, attr in ((Folder, "Folder", "path"), (Tag, "Tag", "label"),
                                  (Color, "Color", "name"), (Cluster, "Cluster", "id")):
        if isinstance(view, view_type) and hasattr(core_listing, name):
            return getattr(core_listing, name)(getattr(view, attr))
    return None


def fetcher(library, view: View, sort: str) -> tuple[Fetch, int | None]:
    """``(fetch, total)`` for a photo view; ``total`` when the listing's length is known."""
    if isinstance(view, All):
        return (lambda offset, limit: library.all_photos(sort, limit, offset)), None
    listing = typed_listing(view) if hasattr(library, "list_photos") else None
    if listing is not None:
        return (lambda offset, limit: library.list_photos(listing, sort, limit, offset)), None
    if isinstance(view, Search):
        text = view.text
        return (lambda offset, limit: library.search(text, limit, offset)), None
    if isinstance(view, Tag):
        query = f"tag:{quoted(view.label)}"
        return (lambda offset, limit: library.search(query, limit, offset)), None
    if isinstance(view, Color):
        query = f"color:{view.name}"
        return (lambda offset, limit: library.search(query, limit, offset)), None
    if isinstance(view, Folder):
        return inside_folder(library, view.path), None
    raise ValueError(f"{view!r} is not a listing")


def inside_folder(library, folder: str, raw_page: int = 500) -> Fetch:
    """Pages of the ``folder:`` search restricted to photos under ``folder`` itself.

    The loader asks for pages in order; offsets count kept photos, so the raw search is read
    ahead until the page is full or the search is exhausted (state lives in the closure)."""
    query = f"folder:{quoted(folder)}"
    kept: list = []
    state = {"raw_offset": 0, "exhausted": False}

    def keep(hit) -> object | None:
        inside = [p for p in (hit.paths or [hit.path]) if is_under(p, folder)]
        if not inside:
            return None
        if hit.path not in inside:  # show the copy that lives in this folder
            hit.path = inside[0]
        return hit

    def fetch(offset: int, limit: int):
        if offset == 0 and state["raw_offset"]:
            kept.clear()
            state.update(raw_offset=0, exhausted=False)
        while len(kept) < offset + limit and not state["exhausted"]:
            hits = library.search(query, raw_page, state["raw_offset"])
            state["raw_offset"] += len(hits)
            state["exhausted"] = len(hits) < raw_page
            kept.extend(h for h in (keep(hit) for hit in hits) if h is not None)
        return kept[offset: offset + limit]

    return fetch
