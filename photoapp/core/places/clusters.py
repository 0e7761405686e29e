"""Marker clustering for the map: photos whose markers would fall in the same screen-space grid
cell (CELL_PX pixels at the current zoom) become one marker with a count.

The grid is anchored to the world (cell = floor(world x * scale / CELL_PX)), not to the window,
so panning moves markers without regrouping them: a change of zoom recomputes the clusters (the
map view clusters the photos in and around the view, bench/places.py has the times).
A cluster's members span a latitude/longitude box (Mercator keeps axes separable); selecting it
searches that box (``within:``), which returns exactly its photos.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geo import GeoBox

CELL_PX = 56  # a marker's footprint: closer markers merge
MERGE_PX = 40  # neighbouring cells whose markers' centres are closer than this merge too


@dataclass
class Clusters:
    """Clusters at one zoom: centroid (world units), count, and members (indices into the
    positions) in ``order[starts[i]:starts[i] + counts[i]]``."""

    x: np.ndarray
    y: np.ndarray
    counts: np.ndarray
    order: np.ndarray
    starts: np.ndarray
    scale: float

    def __len__(self) -> int:
        return len(self.counts)

    def members(self, i: int) -> np.ndarray:
        return self.order[self.starts[i]:self.starts[i] + self.counts[i]]

    def box(self, i: int, lat: np.ndarray, lon: np.ndarray) -> GeoBox:
        """The latitude/longitude box of cluster ``i``'s photos."""
        m = self.members(i)
        return GeoBox(float(lat[m].min()), float(lon[m].min()), float(lat[m].max()), float(lon[m].max()))

    def at(self, wx: float, wy: float, radius_world) -> int:
        """The cluster whose marker covers world point (wx, wy), -1 for none (nearest wins)."""
        if not len(self):
            return -1
        d2 = (self.x - wx) ** 2 + (self.y - wy) ** 2
        i = int(np.argmin(d2 / np.asarray(radius_world) ** 2))
        r = radius_world[i] if np.ndim(radius_world) else radius_world
        return i if d2[i] <= r * r else -1


def cluster(x: np.ndarray, y: np.ndarray, scale: float, cell_px: float = CELL_PX,
            merge_px: float = MERGE_PX) -> Clusters:
    """Group world positions (x, y) by screen grid cell at ``scale`` pixels per world unit."""
    n = len(x)
    if n == 0:
        empty = np.zeros(0)
        return Clusters(empty, empty, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), scale)
    cells_per_side = scale / cell_px
    cx = np.floor(x * cells_per_side).astype(np.int64)
    cy = np.floor(y * cells_per_side).astype(np.int64)
    key = cx * (int(cells_per_side) + 2) + cy
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    counts = np.diff(np.r_[starts, n])
    sx = np.add.reduceat(x[order], starts) / counts
    sy = np.add.reduceat(y[order], starts) / counts
    groups = _merge_touching(sx * scale, sy * scale, merge_px)
    if groups is None:
        return Clusters(sx, sy, counts, order, starts, scale)
    # Cells whose markers would overlap (a city on a cell border) become one marker.
    point_group = np.repeat(groups, counts)  # the group of every position, in ``order``
    regroup = np.argsort(point_group, kind="stable")
    order = order[regroup]
    g_sorted = point_group[regroup]
    starts = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]])
    counts = np.diff(np.r_[starts, n])
    sx = np.add.reduceat(x[order], starts) / counts
    sy = np.add.reduceat(y[order], starts) / counts
    return Clusters(sx, sy, counts, order, starts, scale)


def _merge_touching(px: np.ndarray, py: np.ndarray, merge_px: float) -> np.ndarray | None:
    """Group index per cell, joining cells whose centroids are closer than ``merge_px`` pixels
    (connected components of the close pairs); None when no two are that close."""
    from scipy.spatial import cKDTree

    pairs = cKDTree(np.stack([px, py], axis=1)).query_pairs(merge_px, output_type="ndarray")
    if not len(pairs):
        return None
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(pairs), np.int8), (pairs[:, 0], pairs[:, 1])), shape=(len(px), len(px)))
    return connected_components(graph, directed=False)[1]
