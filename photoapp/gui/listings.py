"""What a photo view lists: a ``navigation.View`` turned into a page fetcher for ``ResultLoader``.

Folder, tag, colour and cluster views are listings, not searches: they go through the core's
typed listing call (``Library.list_photos`` with a ``core.query.listing`` value), so no name is
parsed as query text — ``photos`` never lists ``photos2``, a folder named ``say "cheese"``
lists. Only a search view runs the query language. No Qt here.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..core.catalog import is_under
from ..core.query import listing as core_listing
from .navigation import All, Cluster, Color, Folder, Search, Tag, View

if TYPE_CHECKING:
    from ..core.records import SearchHit

Fetch = Callable[[int, int], "list[SearchHit]"]  # (offset, limit) -> hits


def typed_listing(view: View):
    """The core's listing value for a folder, tag, colour or cluster view, else None."""
    if isinstance(view, Folder):
        return core_listing.Folder(view.path)
    if isinstance(view, Tag):
        return core_listing.Tag(view.label)
    if isinstance(view, Color):
        return core_listing.Color(view.name)
    if isinstance(view, Cluster):
        return core_listing.Cluster(int(view.id))
    return None


def arrives_sorted(view: View) -> bool:
    """Listings come from the core in the order asked for; a search comes by relevance and is
    re-sorted in the window when the user picks another order."""
    return not isinstance(view, Search)


def fetcher(library, view: View, sort: str) -> Fetch:
    """Pages of ``view`` in ``sort`` order ("date", "name" or "relevance")."""
    if isinstance(view, All):
        order = sort if sort in ("date", "name") else "date"
        return lambda offset, limit: library.all_photos(order, limit, offset)
    if isinstance(view, Search):
        text = view.text
        return lambda offset, limit: library.search(text, limit, offset)
    listing = typed_listing(view)
    if listing is None:
        raise ValueError(f"{view!r} is not a photo listing")
    order = sort if sort in core_listing.SORTS else "date"
    if isinstance(view, Folder):
        folder = view.path
        return lambda offset, limit: [_copy_inside(hit, folder)
                                      for hit in library.list_photos(listing, order, limit, offset)]
    return lambda offset, limit: library.list_photos(listing, order, limit, offset)


def _copy_inside(hit, folder: str):
    """A photo kept in several folders shows, in a folder's view, as the copy in that folder."""
    if not is_under(hit.path, folder):
        inside = next((p for p in hit.paths if is_under(p, folder)), None)
        if inside is not None:
            hit.path = inside
    return hit
