"""Plain data records shared by every part of the core and by the front ends.

A *document* is one distinct picture, identified by the hash of its bytes. Identical copies in
several places are one document with several ``paths``; that is what lets a renamed or moved
photo keep its tags and vectors without model work, and lets ES use the hash as document id.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np


@dataclass(frozen=True)
class Tag:
    """A concept the photo shows, with the model's confidence in [0, 1].

    ``source`` says where it came from: "classifier" (an ImageNet class), "detector" (a COCO
    label), or "ancestor" (a WordNet hypernym whose confidence is the summed probability of the
    photo's classes below it, so "dog" gets the mass of all the breeds).
    """

    label: str
    confidence: float
    source: str = "classifier"


@dataclass(frozen=True)
class DetectedObject:
    """One detector box. ``box`` is (x0, y0, x1, y1) normalised to [0, 1] of the oriented image."""

    label: str
    score: float
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class Face:
    """One detected face. ``box`` is (x0, y0, x1, y1) and ``landmarks`` five (x, y) points (eyes,
    nose, mouth corners), all normalised to [0, 1] of the oriented image. ``quality`` in [0, 1]
    combines size and sharpness; faces below the people threshold are kept but do not form people.
    ``embedding`` is the L2-normalised face descriptor (float32)."""

    box: tuple[float, float, float, float]
    landmarks: tuple[tuple[float, float], ...]
    score: float
    quality: float
    embedding: np.ndarray | None = None


@dataclass(frozen=True)
class PersonRef:
    """A person shown in a photo, as the index mirrors it for ``person:`` queries (the people
    store, core/people/store.py, owns the fact; ``name`` is None until the user names them)."""

    id: int
    name: str | None = None


@dataclass(frozen=True)
class Place:
    """Where a photo was taken, in words: the nearest populated place to its GPS position
    (offline reverse geocoding, core/places/geocoder.py). ``region`` is the state / province;
    ``country_code`` the ISO 3166-1 alpha-2 code. Empty strings where the data has no name."""

    city: str
    region: str
    country: str
    country_code: str

    @property
    def label(self) -> str:
        """"Arezzo, Tuscany, Italy": the names that exist, once each, most local first."""
        return ", ".join(dict.fromkeys(n for n in (self.city, self.region, self.country) if n))


@dataclass(frozen=True)
class TextWord:
    """One word of a recognised line. ``box`` is (x0, y0, x1, y1) in [0, 1] of the oriented image
    (estimated from the word's place in the line); ``score`` is the recogniser's mean confidence
    in the word's characters, in [0, 1]."""

    text: str
    box: tuple[float, float, float, float]
    score: float = 1.0


@dataclass(frozen=True)
class TextLine:
    """One line of text read in the photo (text analyzer). ``box`` is (x0, y0, x1, y1) in [0, 1]
    of the oriented image; ``score`` is the recogniser's mean character confidence in [0, 1]."""

    text: str
    score: float
    box: tuple[float, float, float, float]
    words: tuple[TextWord, ...] = ()


@dataclass
class PhotoDocument:
    id: str  # content hash (hex)
    paths: list[str]
    width: int = 0
    height: int = 0
    size_bytes: int = 0
    format: str = ""
    taken_at: datetime | None = None
    # Where taken_at came from: "exif", "exif+offset", "filename" or "filetime" (core/capture_date.py).
    taken_at_source: str | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    lens: str | None = None
    gps: tuple[float, float] | None = None  # (lat, lon)
    orientation: int | None = None
    tags: list[Tag] = field(default_factory=list)
    objects: list[DetectedObject] = field(default_factory=list)
    embedding: np.ndarray | None = None  # float32, L2-normalised
    phash: str | None = None  # perceptual hash (hex), for near-duplicate verification
    cluster_id: int | None = None
    indexed_at: datetime | None = None
    model_version: str = ""
    # Dominant colours from the palette of photoapp.core.analyzers.colors: (name, share of the
    # picture in [0, 1]), largest first. Filled by the colour analyzer (stage 1).
    colors: list[tuple[str, float]] = field(default_factory=list)
    # Faces found by the faces analyzer (a later stage), in detection order.
    faces: list[Face] = field(default_factory=list)
    # People in the photo, once each (mirrored from the people store after grouping/naming).
    people: list[PersonRef] = field(default_factory=list)
    # Place name of ``gps`` (places analyzer, stage 1); None without GPS or far from any place.
    place: Place | None = None
    # Lines of text read in the photo (text analyzer, a later stage), in reading order.
    text: list[TextLine] = field(default_factory=list)
    # User data (owned by the catalog, mirrored into the index so queries can filter on it).
    rating: int = 0  # 0 = unrated, 1..5 stars
    favorite: bool = False

    @property
    def path(self) -> str:
        """The primary path: the first one, sorted, so it is stable."""
        return sorted(self.paths)[0] if self.paths else ""


@dataclass
class SearchHit:
    id: str
    path: str
    score: float
    paths: list[str] = field(default_factory=list)
    # Why it matched: e.g. [("tag", "golden retriever", 0.93), ("name", "dog.jpg", 1.0)]
    explanation: list[tuple[str, str, float]] = field(default_factory=list)


@dataclass
class ClusterInfo:
    id: int
    name: str
    size: int
    representative_id: str
    member_ids: list[str]
    top_tags: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class DuplicateGroup:
    ids: list[str]
    paths: list[str]
    # 1.0 = byte-identical; lower = visually verified near-duplicates
    similarity: float = 1.0
    # "exact" (same bytes or same pixels), "photo" (the same shot re-encoded, resized, cropped),
    # "scene" (burst / bracketing: a moment apart, nearly the same framing); core/duplicates.py
    tier: str = "exact"


@dataclass
class IndexStats:
    documents: int
    files: int
    tags: int
    with_embedding: int
    size_bytes: int = 0
