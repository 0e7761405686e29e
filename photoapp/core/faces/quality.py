"""How much a face can be trusted to say who it is: size and sharpness, combined in [0, 1].

Small or blurred faces are kept (they are still faces: ``faces>=3`` counts them, the detail
panel draws them) but their descriptors are unreliable, so they do not form people:
``usable_for_people`` is the one rule the people grouping applies.

    size       the face box's shorter side in pixels of the analysed image: 0 at SIZE_MIN_PX,
               1 from SIZE_FULL_PX (the embedder works on 150 px chips; below ~40 px a chip is
               mostly upsampling)
    sharpness  variance of the Laplacian of the aligned chip (grey, 150x150): 0 at
               SHARP_MIN, 1 from SHARP_FULL
    quality    size x sharpness

The ramps were chosen by measurement (photoapp/bench/faces.py, "quality" section): how far a
face's descriptor moves from its own full-size, sharp descriptor as the face is shrunk or
blurred.
"""
from __future__ import annotations

import cv2
import numpy as np

SIZE_MIN_PX = 20.0
SIZE_FULL_PX = 64.0
SHARP_MIN = 15.0
SHARP_FULL = 120.0
# Faces at least this good (and with a descriptor and a confident detection) form people.
USABLE_QUALITY = 0.5
USABLE_SCORE = 0.8


def _ramp(value: float, low: float, high: float) -> float:
    return float(min(1.0, max(0.0, (value - low) / (high - low))))


def size_score(box_px: tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = box_px
    return _ramp(min(x1 - x0, y1 - y0), SIZE_MIN_PX, SIZE_FULL_PX)


def sharpness(chip: np.ndarray) -> float:
    """Variance of the Laplacian of an RGB uint8 chip (higher = sharper)."""
    grey = cv2.cvtColor(chip, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def sharpness_score(chip: np.ndarray) -> float:
    return _ramp(sharpness(chip), SHARP_MIN, SHARP_FULL)


def face_quality(box_px: tuple[float, float, float, float], chip: np.ndarray) -> float:
    return size_score(box_px) * sharpness_score(chip)


def usable_for_people(face) -> bool:
    """Whether a stored ``records.Face`` is good enough to form or join a person."""
    return (face.embedding is not None and face.quality >= USABLE_QUALITY
            and face.score >= USABLE_SCORE)
