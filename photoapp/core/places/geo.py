"""Positions on the globe for queries: ``near:48.85,2.35,5km`` (a circle) and ``within:`` (a
latitude/longitude box: a map cluster, a map view's extent). The query plan holds these values;
both backends compile them (embedded: a range on the (gps_lat, gps_lon) index plus the exact
great-circle distance; Elasticsearch: geo_distance / geo_bounding_box).

Distances are great-circle distances on a sphere of EARTH_KM (haversine), the same model
Elasticsearch's geo_distance uses (arc), so both backends agree to a few metres.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import QueryError

EARTH_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_KM / 180.0
DEFAULT_NEAR_KM = 5.0  # near:48.85,2.35 without a radius
MAX_NEAR_KM = 20_000.0  # half the circumference: everything


@dataclass(frozen=True)
class Near:
    """Photos within ``km`` kilometres (great circle) of (lat, lon)."""

    lat: float
    lon: float
    km: float

    def box(self) -> "GeoBox":
        """A box holding the whole circle (for an index range before the exact distance)."""
        dlat = self.km / KM_PER_DEGREE
        south, north = max(-90.0, self.lat - dlat), min(90.0, self.lat + dlat)
        if south <= -90.0 or north >= 90.0:
            return GeoBox(south, -180.0, north, 180.0)  # a pole inside: every longitude
        # The widest longitude span of the circle is at the latitude farthest from the equator.
        widest = math.cos(math.radians(max(abs(south), abs(north))))
        dlon = self.km / (KM_PER_DEGREE * widest) if widest > 1e-9 else 360.0
        if dlon >= 180.0:
            return GeoBox(south, -180.0, north, 180.0)
        return GeoBox(south, _wrap(self.lon - dlon), north, _wrap(self.lon + dlon))


@dataclass(frozen=True)
class GeoBox:
    """south <= lat <= north, and lon from ``west`` eastwards to ``east`` (west > east: the box
    crosses the 180th meridian)."""

    south: float
    west: float
    north: float
    east: float

    @property
    def crosses_antimeridian(self) -> bool:
        return self.west > self.east

    def contains(self, lat: float, lon: float) -> bool:
        if not self.south <= lat <= self.north:
            return False
        return (lon >= self.west or lon <= self.east) if self.crosses_antimeridian else self.west <= lon <= self.east

    def query_text(self) -> str:
        """``within:S,W,N,E`` rounded outwards (6 decimals, about 0.1 m): never loses a photo."""
        down = lambda v: math.floor(v * 1e6) / 1e6  # noqa: E731
        up = lambda v: math.ceil(v * 1e6) / 1e6  # noqa: E731
        return f"within:{down(self.south):.6f},{down(self.west):.6f},{up(self.north):.6f},{up(self.east):.6f}"


def _wrap(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0


def distance_km(lat1, lon1, lat2, lon2):
    """Haversine great-circle distance (numbers or numpy arrays)."""
    import numpy as np

    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_RADIUS = re.compile(rf"^({_NUMBER})\s*(km|m|mi)?$", re.IGNORECASE)


def _coordinate(text: str, what: str, limit: float, example: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise QueryError(f"near: {what} {text!r} is not a number; e.g. {example}") from None
    if not math.isfinite(value) or abs(value) > limit:
        raise QueryError(f"near: {what} must be between -{limit:g} and {limit:g}, got {text}")
    return value


def parse_near(value: str) -> Near:
    """``lat,lon`` or ``lat,lon,radius`` (``5km``, ``800m``, ``2mi``; a bare number is km)."""
    example = "near:48.85,2.35,5km"
    parts = [p.strip() for p in value.split(",")]
    if len(parts) not in (2, 3) or not all(parts):
        raise QueryError(f"near: needs latitude,longitude and an optional radius, e.g. {example}")
    lat = _coordinate(parts[0], "latitude", 90.0, example)
    lon = _coordinate(parts[1], "longitude", 180.0, example)
    km = DEFAULT_NEAR_KM
    if len(parts) == 3:
        m = _RADIUS.match(parts[2])
        if not m:
            raise QueryError(f"near: radius {parts[2]!r} is not a distance; write it like 5km, 800m or 2mi")
        number, unit = float(m.group(1)), (m.group(2) or "km").lower()
        km = number * {"km": 1.0, "m": 0.001, "mi": 1.609344}[unit]
        if not km > 0:
            raise QueryError(f"near: the radius must be more than 0, got {parts[2]}")
        km = min(km, MAX_NEAR_KM)
    return Near(lat, lon, km)


def parse_within(value: str) -> GeoBox:
    """``south,west,north,east`` in degrees (what a map cluster hands to the search)."""
    parts = [p.strip() for p in value.split(",")]
    example = "within:43.46,11.87,43.47,11.89"
    if len(parts) != 4 or not all(parts):
        raise QueryError(f"within: needs south,west,north,east in degrees, e.g. {example}")
    try:
        south, west, north, east = (float(p) for p in parts)
    except ValueError:
        raise QueryError(f"within: {value!r} holds something that is not a number; e.g. {example}") from None
    if not all(math.isfinite(v) for v in (south, west, north, east)) or not (
            -90 <= south <= north <= 90 and -180 <= west <= 180 and -180 <= east <= 180):
        raise QueryError("within: latitudes go from -90 to 90 (south first), longitudes from -180 to 180")
    return GeoBox(south, west, north, east)
