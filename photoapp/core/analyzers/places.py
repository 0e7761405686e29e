"""Stage 1, no model: the place name (city, region, country) of a photo's GPS position, by
offline reverse geocoding (core/places/geocoder.py).

It needs no pixels: ``prepare`` and ``run`` pass nothing along, and ``apply`` reads the
document's ``gps`` (filled from EXIF before analyzers apply). Stage 1 because it is cheap:
0.3-0.6 ms per photo (1,700-3,000 lookups/s one at a time in memory on the busy 2-core
development machine, bench/results/places.md) against tens of milliseconds for the decode
every photo gets anyway, and a place is what a user searches by from the first pass. The place
data loads once per process (2-7 s on that machine), only when a photo with GPS arrives.
An old library backfills places without reading a photo file: ``needs_pixels`` is False, so a
backfill of places alone only reads each stored document.
"""
from __future__ import annotations

from ..places.geocoder import data_version, shared_geocoder
from ..records import PhotoDocument
from .base import Analyzer


class PlacesAnalyzer(Analyzer):
    name = "places"
    stage = 1
    fields = ("place",)
    cost_ms = 0.6  # one in-memory lookup; no decode of its own
    code_version = "1"
    needs_pixels = False

    def version(self, bundle) -> str:
        # The place data is part of the result: a new reverse-geocode release re-runs places.
        return f"{super().version(bundle)}+{data_version()}"

    def available(self, bundle) -> bool:
        # Without the data package (a broken install) places are skipped, not every photo failed.
        from importlib.util import find_spec

        return find_spec("reverse_geocode") is not None

    def input_side(self, bundle) -> int:
        return 1  # no pixels needed: never makes the run decode larger

    def prepare(self, bundle, image):
        return None

    def run(self, bundle, inputs):
        return [None] * len(inputs)

    def apply(self, doc: PhotoDocument, result, bundle):
        doc.place = shared_geocoder().lookup(*doc.gps) if doc.gps else None
        return {"place": doc.place}
