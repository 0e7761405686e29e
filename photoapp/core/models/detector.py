"""The object detector: labelled boxes per photo from any detector model folder whose manifest
maps ``boxes``, ``scores`` and ``classes`` (and optionally ``count``) to output tensors.

Tiling (manifest ``postprocessing.tiles`` = n >= 2): a detector trained at a small fixed input
(SSD-MobileNetV2: 300x300) misses people a few dozen pixels tall once a whole photo is squeezed
to that size. The photo is then also cut into an n x n grid of overlapping tiles, each run at the
model's input size like a photo of its own; boxes go back to photo coordinates and are merged
per class with non-maximum suppression. The whole photo stays one of the views, so big objects
are still seen whole. Cost: 1 + n*n model runs per photo.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image

from ..errors import ModelError
from ..records import DetectedObject
from .manifest import ModelManifest
from .preprocess import preprocess
from .runner import OnnxModel

Box = tuple[float, float, float, float]  # (x0, y0, x1, y1) in [0, 1]
FULL_VIEW: Box = (0.0, 0.0, 1.0, 1.0)
# A tile box this close to a tile side that lies inside the photo was cut by the tile: the
# object goes on outside it and is seen whole by a neighbouring tile (overlap) or the full view.
CUT_MARGIN = 0.01


def tile_views(tiles: int, overlap: float) -> list[Box]:
    """The full photo plus an n x n grid of tiles; neighbours share ``overlap`` of a tile side."""
    if tiles < 2:
        return [FULL_VIEW]
    side = 1.0 / (tiles - (tiles - 1) * overlap)
    step = side * (1.0 - overlap)
    views = [FULL_VIEW]
    for row in range(tiles):
        for col in range(tiles):
            x0, y0 = col * step, row * step
            views.append((x0, y0, min(1.0, x0 + side), min(1.0, y0 + side)))
    return views


def box_iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def cut_by_tile(box: Box, view: Box) -> bool:
    """Whether a box (tile coordinates) touches a tile side that is not a side of the photo."""
    x0, y0, x1, y1 = box
    return ((view[0] > 0.0 and x0 <= CUT_MARGIN) or (view[1] > 0.0 and y0 <= CUT_MARGIN)
            or (view[2] < 1.0 and x1 >= 1.0 - CUT_MARGIN)
            or (view[3] < 1.0 and y1 >= 1.0 - CUT_MARGIN))


def to_photo(box: Box, view: Box) -> Box:
    w, h = view[2] - view[0], view[3] - view[1]
    return (view[0] + box[0] * w, view[1] + box[1] * h, view[0] + box[2] * w, view[1] + box[3] * h)


def merge_views(per_view: list[list[DetectedObject]], views: list[Box], iou: float
                ) -> list[DetectedObject]:
    """One photo's detections from all its views, in photo coordinates, one box per object:
    boxes cut by a tile are dropped, then per-class NMS keeps the best-scoring box."""
    candidates = [DetectedObject(o.label, o.score, to_photo(o.box, view))
                  for objs, view in zip(per_view, views) for o in objs
                  if view == FULL_VIEW or not cut_by_tile(o.box, view)]
    kept: list[DetectedObject] = []
    for o in sorted(candidates, key=lambda o: -o.score):
        if all(k.label != o.label or box_iou(k.box, o.box) < iou for k in kept):
            kept.append(o)
    return kept


class OnnxDetector:
    """Implements api.ObjectDetector. Boxes come back as (x0, y0, x1, y1) in [0, 1].

    ``preprocess`` returns one model input per view stacked on a leading axis when tiling is on
    ([views, H, W, C]), a single input ([H, W, C]) when it is off; ``run`` takes either."""

    def __init__(self, manifest: ModelManifest, compute: str = "auto", threads: int = 0):
        if manifest.task != "detector":
            raise ModelError(f"{manifest.folder}: task is {manifest.task!r}, a detector needs 'detector'")
        self.manifest = manifest
        self.model = OnnxModel(manifest, compute, threads)
        self.name = manifest.name
        # Stable attribute names read by the pipeline/analyzers: version changes with the ONNX
        # file (release + precision + sha256 prefix), so a swapped model is noticed.
        self.version = manifest.version
        self.precision = manifest.precision
        post = manifest.postprocessing
        self.score_threshold = float(post.get("score_threshold", 0.3))
        self.box_format = post.get("box_format", "yxyx")
        if self.box_format not in ("yxyx", "xyxy"):
            raise ModelError(f"{manifest.folder}: box_format must be 'yxyx' or 'xyxy'")
        self.max_detections = int(post.get("max_detections", 100))
        self.labels = dict(manifest.labels)
        self.set_tiling(int(post.get("tiles", 0)), float(post.get("tile_overlap", 0.2)),
                        float(post.get("merge_iou", 0.5)))

    def set_tiling(self, tiles: int, overlap: float = 0.2, merge_iou: float = 0.5) -> None:
        """Tile grid (0 or 1: whole photo only). Set before preprocessing: inputs made under
        one setting do not fit another."""
        if tiles < 0 or not 0.0 <= overlap < 1.0 or not 0.0 < merge_iou <= 1.0:
            raise ModelError(f"{self.manifest.folder}: tiles must be >= 0, tile_overlap in [0, 1), "
                             "merge_iou in (0, 1]")
        self.tiles, self.tile_overlap, self.merge_iou = tiles, overlap, merge_iou
        self.views = tile_views(tiles, overlap)
        w, h = self.manifest.preprocessing.size
        # (w, h) the photo should have at least (JPEG draft decoding): each tile at full input size
        tile_side = self.views[-1][2] - self.views[-1][0]
        self.input_size = (math.ceil(w / tile_side), math.ceil(h / tile_side))

    def preprocess(self, image: Image.Image) -> np.ndarray:
        p = self.manifest.preprocessing
        if len(self.views) == 1:
            return preprocess(image, p)
        if image.mode != "RGB":
            image = image.convert("RGB")
        w, h = image.size
        return np.stack([preprocess(image.crop((round(v[0] * w), round(v[1] * h),
                                                round(v[2] * w), round(v[3] * h))), p)
                         for v in self.views])

    def raw(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        dtype = np.dtype(self.manifest.preprocessing.dtype)  # e.g. float64 from a caller's numpy
        return self.model.run(np.ascontiguousarray(batch, dtype=dtype))

    def _decode(self, out: dict[str, np.ndarray], i: int, threshold: float) -> list[DetectedObject]:
        boxes, scores, classes = out["boxes"][i], out["scores"][i], out["classes"][i]
        counts = out.get("count")
        n = int(counts[i]) if counts is not None else len(scores)
        objs = []
        for b, s, c in zip(boxes[:n], scores[:n], classes[:n]):
            if s < threshold:
                continue
            label = self.labels.get(int(round(float(c))))
            if label is None:  # a class id the labels file does not name
                continue
            y0, x0, y1, x1 = b if self.box_format == "yxyx" else (b[1], b[0], b[3], b[2])
            box = tuple(float(min(1.0, max(0.0, v))) for v in (x0, y0, x1, y1))
            objs.append(DetectedObject(label=label, score=float(s), box=box))
        return objs

    def run(self, inputs: list[np.ndarray], score_threshold: float | None = None
            ) -> list[list[DetectedObject]]:
        if len(inputs) == 0:
            return []
        threshold = self.score_threshold if score_threshold is None else score_threshold
        rank = len(self.model_input_shape())
        stacks = [x[None] if x.ndim == rank else x for x in inputs]  # every photo: [views, ...]
        out = self.raw(np.concatenate(stacks))
        results, first = [], 0
        for stack in stacks:
            per_view = [self._decode(out, first + v, threshold) for v in range(len(stack))]
            first += len(stack)
            if len(per_view) == 1:
                objs = per_view[0]
            elif len(per_view) == len(self.views):
                objs = merge_views(per_view, self.views, self.merge_iou)
            else:
                raise ModelError(f"detector input has {len(per_view)} views, the tiling setting "
                                 f"makes {len(self.views)}: preprocess again after set_tiling")
            objs.sort(key=lambda o: -o.score)
            results.append(objs[: self.max_detections])
        return results

    def model_input_shape(self) -> tuple[int, int, int]:
        w, h = self.manifest.preprocessing.size
        return (3, h, w) if self.manifest.preprocessing.layout == "NCHW" else (h, w, 3)

    def detect(self, images: list[Image.Image], score_threshold: float | None = None
               ) -> list[list[DetectedObject]]:
        return self.run([self.preprocess(im) for im in images], score_threshold)
