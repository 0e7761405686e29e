"""What the places commands and the map read from an index: every photo's position, photos per
place, and how many photos have no position. One function per question, each answered by the
embedded index (SQL) or Elasticsearch (a scan / an aggregation).

These are whole-library reads for browsing, not queries of the plan; they live here, beside the
rest of places, rather than widening every backend's interface for the map alone.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Positions:
    """Photos with GPS: ids and float64 arrays of latitudes and longitudes, aligned."""

    ids: list[str]
    lat: np.ndarray
    lon: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class PlaceCount:
    place: str  # "Arezzo, Tuscany, Italy" (records.Place.label)
    city: str
    region: str
    country: str
    count: int


def _embedded(backend) -> bool:
    from ..index.embedded.backend import EmbeddedIndex

    return isinstance(backend, EmbeddedIndex)


def positions(backend) -> Positions:
    if _embedded(backend):
        rows = backend._conn().execute(
            "SELECT id, gps_lat, gps_lon FROM photos NOT INDEXED WHERE gps_lat IS NOT NULL AND gps_lon IS NOT NULL"
        ).fetchall()  # NOT INDEXED: most rows are read, a scan beats a lookup per row (3x)
        ids = [r[0] for r in rows]
        lat = np.fromiter((r[1] for r in rows), np.float64, len(rows))
        lon = np.fromiter((r[2] for r in rows), np.float64, len(rows))
        return Positions(ids, lat, lon)
    ids, lat, lon = [], [], []
    for h in backend._scan("positions", ["gps"], {"exists": {"field": "gps"}}):
        gps = h.get("_source", {}).get("gps")
        if isinstance(gps, dict):
            ids.append(h["_id"])
            lat.append(float(gps["lat"]))
            lon.append(float(gps["lon"]))
    return Positions(ids, np.asarray(lat, np.float64), np.asarray(lon, np.float64))


def without_location(backend) -> int:
    """Photos that have no GPS position (the map says how many; nothing is guessed for them)."""
    if _embedded(backend):
        return int(backend._conn().execute("SELECT count(*) FROM photos WHERE gps_lat IS NULL").fetchone()[0])
    res = backend._search("without location", size=0, track_total_hits=True,
                          query={"bool": {"must_not": {"exists": {"field": "gps"}}}})
    return int((res or {}).get("hits", {}).get("total", {}).get("value", 0))


def place_counts(backend) -> list[PlaceCount]:
    """Photos per place, most first (then by name)."""
    from ..records import Place

    if _embedded(backend):
        rows = backend._conn().execute(
            "SELECT city, region, country, count(*) FROM places GROUP BY city, region, country").fetchall()
        out = [PlaceCount(Place(c, r, n, "").label, c, r, n, int(k)) for c, r, n, k in rows]
    else:
        res = backend._search("place counts", size=0, aggs={"places": {
            "terms": {"field": "place_label", "size": 65_536},
            "aggs": {"one": {"top_hits": {"size": 1, "_source": ["place"]}}}}})
        out = []
        for b in (res or {}).get("aggregations", {}).get("places", {}).get("buckets", []):
            hits = b.get("one", {}).get("hits", {}).get("hits", [])
            p = (hits[0].get("_source", {}).get("place") if hits else None) or {}
            out.append(PlaceCount(b["key"], p.get("city", ""), p.get("region", ""), p.get("country", ""),
                                  int(b["doc_count"])))
    return sorted(out, key=lambda p: (-p.count, p.place))
