"""Make countries.json from npm ``world-atlas`` (Natural Earth countries as TopoJSON), once.

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python resources/map/convert_world_atlas.py package/countries-50m.json resources/map/countries.json

TopoJSON stores shared borders once as delta-encoded, quantized arcs; this decodes them into one
closed ring of (lon, lat) per polygon part, rounds to 0.01 degree (about 1 km, below what the
1:50m source resolves), drops repeated points, and writes each ring as a flat list of integers
(hundredths of a degree) under its country's name. Nothing here runs in the app; the app reads the
JSON (photoapp/core/places/world.py).
"""
from __future__ import annotations

import json
import sys


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs, indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        points.extend(arc[1:] if points else arc)  # consecutive arcs share their end point
    return points


def compact(points) -> list[int]:
    flat: list[int] = []
    last = None
    for lon, lat in points:
        p = (round(lon * 100), round(lat * 100))
        if p != last:
            flat += p
            last = p
    return flat


def main(src: str, dst: str) -> None:
    topology = json.load(open(src, encoding="utf-8"))
    arcs = decode_arcs(topology)
    countries = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        polygons = {"Polygon": [geometry.get("arcs", [])], "MultiPolygon": geometry.get("arcs", [])}.get(
            geometry["type"], [])
        rings = [compact(ring(arcs, r)) for polygon in polygons for r in polygon]
        rings = [r for r in rings if len(r) >= 6]  # at least a triangle after rounding
        if rings:
            countries.append({"name": geometry.get("properties", {}).get("name", ""), "id": geometry.get("id", ""),
                              "rings": rings})
    out = {"source": "npm world-atlas 2.0.2 countries-50m.json (Natural Earth 4.1.0 Admin 0, 1:50m)",
           "licence": "Natural Earth: public domain; world-atlas packaging: ISC (see PROVENANCE.md)",
           "units": "rings are flat [lon, lat, lon, lat, ...] in hundredths of a degree",
           "countries": countries}
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(out, f, separators=(",", ":"), ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
