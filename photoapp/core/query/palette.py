"""Colour names of the query language: the colour analyzer's palette (its one owner) plus a few
spellings people type."""
from __future__ import annotations

from ..analyzers.colors import PALETTE
from ..errors import QueryError

SPELLINGS = {"grey": "gray", "violet": "purple", "cyan": "teal", "turquoise": "teal", "magenta": "pink"}


def color_name(value: str) -> str:
    """The palette name ``value`` means; QueryError naming the palette otherwise."""
    name = value.strip().lower()
    name = SPELLINGS.get(name, name)
    if name not in PALETTE:
        raise QueryError(f"unknown colour {value!r}; colours: " + ", ".join(PALETTE))
    return name
