"""Which faces may form people: the faces analyzer's rule (core/faces/quality.py). Tiny or
blurred faces are kept (they show on the photo and can be named through their person later) but
their descriptors are too noisy to group on."""
from __future__ import annotations

from ..faces.quality import usable_for_people

__all__ = ["usable_for_people"]
