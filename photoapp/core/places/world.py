"""The world map's geometry: country outlines from resources/map/countries.json (Natural Earth via
npm world-atlas, see resources/map/PROVENANCE.md) and the Web Mercator projection.

Positions are projected to *world units*: x in [0, 1) from longitude -180 to 180, y in [0, 1]
from latitude 85.05 (north, y = 0) to -85.05 (south), the square every web map uses. A view at
``scale`` pixels per world unit shows a point at ``x * scale - offset``; Mercator keeps x and y
separable, so a screen rectangle is a latitude/longitude box (what a marker cluster selects).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MAX_LAT = 85.05112878  # where Web Mercator's square ends


@dataclass(frozen=True)
class Country:
    name: str
    rings: tuple[np.ndarray, ...]  # each (n, 2) float64 world units (x, y), closed implicitly


def project(lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) in degrees -> (x, y) world units (numbers or arrays)."""
    lat = np.clip(np.asarray(lat, dtype=np.float64), -MAX_LAT, MAX_LAT)
    x = (np.asarray(lon, dtype=np.float64) + 180.0) / 360.0
    y = 0.5 - np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) / (2 * np.pi)
    return x, y


def unproject(x, y) -> tuple[np.ndarray, np.ndarray]:
    """World units -> (lat, lon) in degrees."""
    lon = np.asarray(x, dtype=np.float64) * 360.0 - 180.0
    lat = np.degrees(2 * np.arctan(np.exp((0.5 - np.asarray(y, dtype=np.float64)) * 2 * np.pi)) - np.pi / 2)
    return lat, lon


def countries_path() -> Path:
    from ..settings import bundled_path

    return bundled_path("resources") / "map" / "countries.json"


@lru_cache(maxsize=2)
def load_countries(path: str | None = None) -> tuple[Country, ...]:
    """Every country's outline in world units (read once per process)."""
    data = json.loads(Path(path or countries_path()).read_text(encoding="utf-8"))
    out = []
    for c in data["countries"]:
        rings = []
        for flat in c["rings"]:
            pts = np.asarray(flat, dtype=np.float64).reshape(-1, 2) / 100.0
            x, y = project(pts[:, 1], pts[:, 0])
            # A ring crossing the 180th meridian jumps from x ~ 1 to x ~ 0 (a line across the
            # whole map): unwrap it into one continuous shape, and draw it a second time one
            # world to the left or right so that both sides of the meridian show their part.
            jumps = np.diff(x)
            if np.any(np.abs(jumps) > 0.5):
                x = x - np.concatenate([[0.0], np.cumsum(np.round(jumps))])
                rings.append(np.stack([x, y], axis=1))
                shift = -1.0 if x.max() > 1.0 else 1.0
                rings.append(np.stack([x + shift, y], axis=1))
                continue
            rings.append(np.stack([x, y], axis=1))
        out.append(Country(c["name"], tuple(rings)))
    return tuple(out)


def world_scale_for(width: float, height: float, x0: float, y0: float, x1: float, y1: float,
                    margin: float = 0.15) -> float:
    """Pixels per world unit that fit the box (x0, y0)-(x1, y1) in a width x height view."""
    w, h = max(x1 - x0, 1e-7), max(y1 - y0, 1e-7)
    return (1.0 - 2 * margin) * min(width / w, height / h)


def meters_per_pixel(lat: float, scale: float) -> float:
    return 40_075_016.686 * math.cos(math.radians(lat)) / scale
