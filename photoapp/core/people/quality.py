"""Which faces may form people. Tiny or blurred faces are kept (they show on the photo and can
be named through their person later) but their descriptors are too noisy to group on."""
from __future__ import annotations

# Until the faces analyzer's own rule (core/faces) is used: quality in [0, 1] from size and
# sharpness, as records.Face documents it.
MIN_QUALITY = 0.35


def usable_for_people(face) -> bool:
    return face.embedding is not None and float(face.quality) >= MIN_QUALITY
