"""Stage 1, no model: the photo's dominant colours in a named palette of twelve.

Every pixel of a small copy of the photo (at most 64 px a side, from the image the decoder
already made) is named by rules in HSV, where "how colourful" (saturation), "how bright" (value)
and "which hue" are separate axes:

    value < 0.20                                         black
    saturation < 0.18 (washed out)                       white (value >= 0.75), else gray
    hue 15-45° and (value < 0.60 or saturation < 0.45)   brown (wood, fur, soil, tan, beige)
    hue < 15° or >= 290°, saturation < 0.55, value > 0.75  pink (light, pale reds)
    otherwise by hue: red < 15° or >= 345°, orange < 40°, yellow < 65°, green < 165°,
                      teal < 195°, blue < 255°, purple < 290°, pink < 345°

Shares under 8% are dropped (stray pixels are not a colour of the photo); at most five remain.

How the numbers were chosen: contact sheets of 30 random imagenet-sample photos each (seeds 0,
1, 2) with their chips, judged by eye (``python -m photoapp.bench.colors --seed N``). Changes
that came from looking: a coral background read "red" until pale reds (s < 0.55, v > 0.75)
became pink; beige wood behind pandas read "orange" until unsaturated oranges became brown;
moss read "yellow" until the yellow/green line moved from 70° to 65°; shaded white porcelain
read "gray" with white at v >= 0.80, so white starts at 0.75. Kept as first set: black below
v 0.20 (night skies and dark fur stay black, not blue/brown), gray below s 0.18 (overcast skies
and concrete stay gray, not blue), the 8% floor (drops a small orange rope on gravel, keeps a
red jersey). Known limits: dark red mulch reads red, not brown; maroon is red.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

from ..records import PhotoDocument
from .base import Analyzer

PALETTE = ("red", "orange", "yellow", "green", "teal", "blue", "purple", "pink", "brown",
           "black", "gray", "white")
# Representative RGB of each name, for swatches in the front ends.
SWATCHES = {"red": "#d32f2f", "orange": "#f57c00", "yellow": "#fbc02d", "green": "#388e3c",
            "teal": "#00897b", "blue": "#1976d2", "purple": "#7b1fa2", "pink": "#ec407a",
            "brown": "#795548", "black": "#212121", "gray": "#9e9e9e", "white": "#f5f5f5"}

SAMPLE_SIDE = 64
MIN_SHARE = 0.08
MAX_COLORS = 5
BLACK_V = 0.20
GRAY_S = 0.18
WHITE_V = 0.75
BROWN_V = 0.60
BROWN_S = 0.45
PINK_S = 0.55
PINK_V = 0.75
# (upper hue bound in degrees, name), checked in order.
HUES = ((15, "red"), (40, "orange"), (65, "yellow"), (165, "green"), (195, "teal"),
        (255, "blue"), (290, "purple"), (345, "pink"), (360, "red"))


def name_pixels(hsv: np.ndarray) -> np.ndarray:
    """Palette index of every pixel of an HSV array (values 0..255, as Pillow's "HSV" mode)."""
    h = hsv[..., 0].astype(np.float32) * (360.0 / 256.0)
    s = hsv[..., 1].astype(np.float32) / 255.0
    v = hsv[..., 2].astype(np.float32) / 255.0
    out = np.empty(h.shape, dtype=np.int8)
    idx = {n: i for i, n in enumerate(PALETTE)}
    lower = 0.0
    for upper, name in HUES:
        out[(h >= lower) & (h < upper)] = idx[name]
        lower = upper
    pale_red = ((h < 15) | (h >= 290)) & (s < PINK_S) & (v > PINK_V)
    out[pale_red] = idx["pink"]
    out[(h >= 15) & (h < 45) & ((v < BROWN_V) | (s < BROWN_S))] = idx["brown"]
    washed = s < GRAY_S
    out[washed] = idx["gray"]
    out[washed & (v >= WHITE_V)] = idx["white"]
    out[v < BLACK_V] = idx["black"]
    return out


def dominant_colors(image: Image.Image, min_share: float = MIN_SHARE,
                    max_colors: int = MAX_COLORS) -> list[tuple[str, float]]:
    """(name, share) of the palette colours covering at least ``min_share``, largest first."""
    small = image.convert("RGB")
    small.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE), Image.Resampling.BOX)
    names = name_pixels(np.asarray(small.convert("HSV")))
    counts = np.bincount(names.ravel(), minlength=len(PALETTE))
    shares = counts / max(1, names.size)
    order = np.argsort(-shares, kind="stable")
    return [(PALETTE[i], round(float(shares[i]), 3)) for i in order[:max_colors]
            if shares[i] >= min_share]


class ColorsAnalyzer(Analyzer):
    name = "colors"
    stage = 1
    fields = ("colors",)
    cost_ms = 1.0  # a 64 px thumbnail and a few numpy passes, in the decode worker

    def input_side(self, bundle) -> int:
        return SAMPLE_SIDE

    def prepare(self, bundle, image):
        return dominant_colors(image)  # cheap: done in the decode worker, nothing to batch

    def run(self, bundle, inputs):
        return list(inputs)

    def apply(self, doc: PhotoDocument, result, bundle):
        doc.colors = list(result)
        return {"colors": doc.colors}
