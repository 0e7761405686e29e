"""Stage 1, no model: the photo's dominant colours in a named palette of twelve.

Every pixel of a small copy of the photo (at most 64 px a side; the decoder already made a small
image) is named by rules in HSV, the space where "how colourful", "how bright" and "which hue"
are separate axes:

    value < 0.20                                  black
    saturation < 0.18 (washed out)                white (value >= 0.80) or gray
    hue 15-45°, value < 0.60 (dark orange/yellow)  brown
    light, pale reds and magentas                  pink
    otherwise by hue: red <15° or >=345°, orange <40°, yellow <70°, green <165°, teal <195°,
                      blue <255°, purple <290°, pink <345°

Shares under MIN_SHARE are dropped (a few stray pixels are not a colour of the photo). How the
numbers were chosen: a contact sheet of 60 imagenet-sample photos with their computed chips,
judged by eye (``python -m photoapp.bench.colors``): the black cut at 0.20 keeps night skies and
shadowed fur black rather than blue/brown; saturation 0.18 keeps overcast skies and concrete
gray instead of blue; dark oranges are what people call brown (wood, fur, soil); 45° is where
khaki turns olive. The 8% floor drops a lone red sign in a green field (~2-5%) but keeps a red
jacket (~10-20%).
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
WHITE_V = 0.80
BROWN_V = 0.60
# (upper hue bound in degrees, name), checked in order.
HUES = ((15, "red"), (40, "orange"), (70, "yellow"), (165, "green"), (195, "teal"),
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
    pale_red = ((h < 15) | (h >= 290)) & (s < 0.45) & (v > 0.70)
    out[pale_red] = idx["pink"]
    out[(h >= 15) & (h < 45) & (v < BROWN_V)] = idx["brown"]
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
