"""How much a face can be trusted to say who it is: size and sharpness, combined in [0, 1].

Small or blurred faces are kept (they are still faces: ``faces>=3`` counts them, the detail
panel draws them) but their descriptors are unreliable, so they do not form people:
``usable_for_people`` is the one rule the people grouping applies.

    size       the face box's shorter side in pixels of the analysed image (at most 960 px on
               its longer side, core/faces/models.py): 0 at SIZE_MIN_PX, 1 from SIZE_FULL_PX
    sharpness  variance of the Laplacian of the aligned chip (grey) brought back to the face's
               own pixel size (a small face's chip is upsampled, smooth by construction: measured
               at chip size, every small face would read as blurred): 0 at SHARP_MIN, 1 from
               SHARP_FULL
    quality    size x sharpness

The ramps were chosen by measurement (photoapp/bench/faces.py, "quality" section; faces-smoke,
where same-person descriptors are at cosine 0.94-0.99 and different people up to 0.955): how far
a face's descriptor moves from its own full-size, sharp one as the face is shrunk or blurred.
Shrunk to 24 px it moves to cosine 0.96 on average (0.91 at worst: another person's distance),
to 32 px 0.98 (0.97 at worst), so usable starts at ~32 px. Sharpness in absolute terms varies
a lot between photos (sharp video frames ~40-100, sharp crops up to 2000), but descriptors only
move past ~0.95 once it falls under ~5 (Gaussian blur of 4-8 px at the analysed size).
"""
from __future__ import annotations

import cv2
import numpy as np

SIZE_MIN_PX = 16.0
SIZE_FULL_PX = 48.0
SHARP_MIN = 3.0
SHARP_FULL = 15.0
CHIP_PER_BOX = 1.6
# Faces at least this good (and with a descriptor and a confident detection) form people.
USABLE_QUALITY = 0.5
USABLE_SCORE = 0.8


def _ramp(value: float, low: float, high: float) -> float:
    return float(min(1.0, max(0.0, (value - low) / (high - low))))


def size_score(box_px: tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = box_px
    return _ramp(min(x1 - x0, y1 - y0), SIZE_MIN_PX, SIZE_FULL_PX)


def sharpness(chip: np.ndarray, face_px: float | None = None) -> float:
    """Variance of the Laplacian of an RGB uint8 chip (higher = sharper), at the face's own
    resolution when its size (shorter side of the box, pixels) is given."""
    grey = cv2.cvtColor(chip, cv2.COLOR_RGB2GRAY)
    if face_px is not None:
        # The face box spans about CHIP_PER_BOX of the chip's width (dlib's padding 0.25).
        native = int(round(min(grey.shape[0], max(8.0, face_px * CHIP_PER_BOX))))
        if native < grey.shape[0]:
            grey = cv2.resize(grey, (native, native), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def sharpness_score(chip: np.ndarray, face_px: float | None = None) -> float:
    return _ramp(sharpness(chip, face_px), SHARP_MIN, SHARP_FULL)


def face_quality(box_px: tuple[float, float, float, float], chip: np.ndarray) -> float:
    x0, y0, x1, y1 = box_px
    return size_score(box_px) * sharpness_score(chip, min(x1 - x0, y1 - y0))


def usable_for_people(face) -> bool:
    """Whether a stored ``records.Face`` is good enough to form or join a person."""
    return (face.embedding is not None and face.quality >= USABLE_QUALITY
            and face.score >= USABLE_SCORE)
