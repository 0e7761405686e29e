"""Synthetic photo libraries for index benchmarks: realistic shape, no model run.

Embeddings imitate a CNN's pooled features: 1280-dim, non-negative, with a strong common
component and a low intrinsic dimension (a few hundred directions carry most of the variance),
organised as class prototypes -> events (a shoot of one subject) -> photos, with bursts of
near-identical shots; then L2-normalised. Tags come from a label list with a Zipf distribution
over classes (a few subjects dominate a real library), confidences that are high for the main
subject and low for the runners-up, and WordNet ancestors when a real vocabulary is given.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from ..core.records import PhotoDocument, Tag

CAMERAS = [("Canon", "Canon EOS 5D Mark IV"), ("Canon", "Canon EOS R6"), ("NIKON CORPORATION", "NIKON D750"),
           ("Apple", "iPhone 12"), ("Apple", "iPhone 14 Pro"), ("SONY", "ILCE-7M3"), ("FUJIFILM", "X-T4"),
           ("samsung", "SM-G991B")]
PLACES = ["beach", "mountains", "home", "city", "garden", "party", "zoo", "park", "holiday", "trip"]


def label_list(labels_from: Path | None, count: int = 1000) -> list[str]:
    """Class names from an ``nXXXXXXXX_label.JPEG`` folder (imagenet-sample), else made-up ones."""
    if labels_from is not None and labels_from.is_dir():
        names = sorted({p.stem.split("_", 1)[1].replace("_", " ").lower()
                        for p in labels_from.iterdir() if "_" in p.stem})
        if names:
            return names
    return [f"class {i:04d}" for i in range(count)]


class SyntheticLibrary:
    def __init__(self, size: int, labels: list[str], vocabulary=None, dim: int = 1280, latent: int = 256,
                 seed: int = 0):
        self.size, self.labels, self.vocabulary, self.dim = size, labels, vocabulary, dim
        rng = np.random.default_rng(seed)
        n_classes = len(labels)
        # Zipf popularity of classes (s = 1.1), shuffled so popularity is not alphabetical.
        weights = 1.0 / np.arange(1, n_classes + 1) ** 1.1
        self.class_p = rng.permutation(weights / weights.sum())
        spectrum = (1.0 + np.arange(latent)) ** -0.5
        self.mix = (rng.standard_normal((latent, dim)) / np.sqrt(latent)).astype(np.float32)
        self.prototypes = (rng.standard_normal((n_classes, latent)) * spectrum).astype(np.float32)
        self.spectrum = spectrum.astype(np.float32)
        # The common component: random pairs end up near cosine 0.45, same-event photos near 0.75.
        self.bias = (0.1 * (0.6 + 0.4 * rng.random(dim))).astype(np.float32)
        self.n_events = max(1, size // 40)
        self.event_class = rng.choice(n_classes, self.n_events, p=self.class_p)
        self.event_offset = (0.6 * rng.standard_normal((self.n_events, latent)) * spectrum).astype(np.float32)
        days = rng.integers(0, 365 * 15, self.n_events)
        self.event_start = [datetime(2010, 1, 1) + timedelta(days=int(d)) for d in days]
        self.event_camera = rng.integers(0, len(CAMERAS), self.n_events)
        self.event_place = rng.integers(0, len(PLACES), self.n_events)
        # Event sizes are skewed too: most events are small, some are whole holidays.
        sizes = rng.pareto(1.5, self.n_events) + 1
        self.photo_event = np.sort(rng.choice(self.n_events, size, p=sizes / sizes.sum()))
        self.seed = seed

    def embeddings(self, start: int, stop: int) -> np.ndarray:
        rng = np.random.default_rng((self.seed, start))
        events = self.photo_event[start:stop]
        z = (self.prototypes[self.event_class[events]] + self.event_offset[events]
             + 0.45 * rng.standard_normal((len(events), self.mix.shape[0])).astype(np.float32) * self.spectrum)
        # Bursts: one photo in five repeats its predecessor with a small change.
        burst = rng.random(len(events)) < 0.2
        burst[0] = False
        prev = np.flatnonzero(burst) - 1
        z[burst] = z[prev] + 0.08 * rng.standard_normal((len(prev), z.shape[1])).astype(np.float32) * self.spectrum
        x = z @ self.mix + self.bias + 0.12 * rng.standard_normal((len(events), self.dim)).astype(np.float32)
        x = np.maximum(x, 0.0)  # post-activation features are non-negative
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    def documents(self, start: int, stop: int, embeddings: bool = True) -> Iterator[PhotoDocument]:
        """Photos ``start``..``stop``; ``embeddings=False`` leaves them out (keyword benchmarks)."""
        rng = np.random.default_rng((self.seed, start, 1))
        vectors = self.embeddings(start, stop) if embeddings else [None] * (stop - start)
        n = stop - start
        # Drawn for the whole chunk at once: per-photo draws would dominate the build time.
        tops = rng.dirichlet([6.0, 1.0, 0.7, 0.5, 0.3], n)  # main subject first, then runners-up
        runners_up = rng.choice(len(self.labels), (n, 4), p=self.class_p)
        minutes = rng.integers(0, 60 * 24 * 3, n)
        sizes = rng.integers(1_000_000, 8_000_000, n)
        for j, (i, vec) in enumerate(zip(range(start, stop), vectors)):
            event = self.photo_event[i]
            main = self.labels[self.event_class[event]]
            top = tops[j]
            classes = [(main, float(top[0]))] + [(self.labels[c], float(p)) for c, p in zip(runners_up[j], top[1:])]
            classes = list(dict((label, p) for label, p in reversed(classes)).items())[::-1]
            if self.vocabulary is not None:
                tags = self.vocabulary.expand(classes, [])
            else:
                tags = [Tag(label, p, "classifier") for label, p in classes]
            when = self.event_start[event] + timedelta(minutes=int(minutes[j]))
            make, model = CAMERAS[self.event_camera[event]]
            folder = f"/photos/{when.year}/{PLACES[self.event_place[event]]} {event}"
            yield PhotoDocument(
                id=f"{i:040x}", paths=[f"{folder}/IMG_{i:07d}.jpg"], width=4000, height=3000,
                size_bytes=int(sizes[j]), format="JPEG", taken_at=when,
                camera_make=make, camera_model=model, tags=tags, embedding=vec, model_version="synthetic")
