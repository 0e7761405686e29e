"""Face detection with RetinaFace (MobileNet-0.25): boxes, scores and five landmarks per face.

The ONNX graph ends at the raw heads (``loc`` box offsets, ``conf`` softmaxed face/background,
``landmarks`` offsets) for every prior box; the priors, the decoding and the non-maximum
suppression are here, in numpy, as in the model's reference code (biubug6/Pytorch_Retinaface,
``cfg_mnet``: priors of 16/32, 64/128 and 256/512 px on strides 8, 16 and 32; variances 0.1 and
0.2). The graph takes any input size, so a photo keeps its aspect: it is scaled so that its
longer side is at most ``max_side`` (a bounded cost per photo) and padded to a multiple of 32
(the coarsest stride), the padding being the mean colour, i.e. zero after normalisation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

from ..errors import ModelError
from ..models.manifest import ModelManifest
from ..models.runner import OnnxModel

STRIDES = (8, 16, 32)
PRIOR_SIZES = ((16, 32), (64, 128), (256, 512))
VARIANCES = (0.1, 0.2)
PAD_TO = 32


@dataclass(frozen=True)
class Detection:
    """One face in pixels of the image given to ``detect``: box (x0, y0, x1, y1), landmarks
    [5, 2] in the model's order (eye, eye, nose tip, mouth corner, mouth corner; on an upright
    face the image-left one of each pair first) and the detector's score."""

    box: tuple[float, float, float, float]
    landmarks: np.ndarray
    score: float


@dataclass
class DetectorInput:
    """A photo resized for the network (decode worker side). Kept as uint8, a quarter of the
    float tensor's memory while it waits in the pipeline's look-ahead window; ``tensor`` makes
    the normalised, padded network input when it runs."""

    image: np.ndarray  # [h, w, 3] RGB uint8, longer side at most max_side
    scale: float  # model pixels per photo pixel

    @property
    def size(self) -> tuple[int, int]:
        return self.image.shape[1], self.image.shape[0]


@lru_cache(maxsize=16)
def priors(height: int, width: int) -> np.ndarray:
    """[P, 4] prior boxes (cx, cy, w, h) normalised to the padded input, in the heads' order:
    stride by stride, row-major over the feature map, the two sizes of a cell together."""
    out = []
    for stride, sizes in zip(STRIDES, PRIOR_SIZES):
        fh, fw = math.ceil(height / stride), math.ceil(width / stride)
        ys, xs = np.meshgrid(np.arange(fh), np.arange(fw), indexing="ij")
        cx = ((xs.ravel() + 0.5) * stride / width).repeat(len(sizes))
        cy = ((ys.ravel() + 0.5) * stride / height).repeat(len(sizes))
        w = np.tile(np.asarray(sizes, np.float64) / width, fh * fw)
        h = np.tile(np.asarray(sizes, np.float64) / height, fh * fw)
        out.append(np.stack([cx, cy, w, h], axis=1))
    return np.concatenate(out).astype(np.float32)


def decode(loc: np.ndarray, landmarks: np.ndarray, pri: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offsets -> boxes [P, 4] (x0, y0, x1, y1) and landmarks [P, 5, 2], normalised."""
    centre = pri[:, :2] + loc[:, :2] * VARIANCES[0] * pri[:, 2:]
    size = pri[:, 2:] * np.exp(loc[:, 2:] * VARIANCES[1])
    boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1)
    points = pri[:, None, :2] + landmarks.reshape(-1, 5, 2) * VARIANCES[0] * pri[:, None, 2:]
    return boxes, points


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> list[int]:
    """Indices kept by greedy non-maximum suppression, best score first."""
    order = np.argsort(-scores, kind="stable")
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        ix = np.clip(np.minimum(boxes[i, 2], boxes[rest, 2]) - np.maximum(boxes[i, 0], boxes[rest, 0]), 0, None)
        iy = np.clip(np.minimum(boxes[i, 3], boxes[rest, 3]) - np.maximum(boxes[i, 1], boxes[rest, 1]), 0, None)
        inter = ix * iy
        overlap = inter / np.maximum(area[i] + area[rest] - inter, 1e-12)
        order = rest[overlap <= iou]
    return keep


class RetinaFaceDetector:
    """Runs a ``face-detector`` model folder (see models/retinaface-mnet025/manifest.json)."""

    def __init__(self, manifest: ModelManifest, compute: str = "auto", threads: int = 0):
        if manifest.task != "face-detector":
            raise ModelError(f"{manifest.folder}: task is {manifest.task!r}, expected 'face-detector'")
        self.manifest = manifest
        self.model = OnnxModel(manifest, compute, threads)
        self.name, self.version, self.precision = manifest.name, manifest.version, manifest.precision
        p, post = manifest.preprocessing, manifest.postprocessing
        self.max_side = max(p.size)
        self.mean = np.asarray(p.mean, np.float32)
        self.std = np.asarray(p.std, np.float32)
        self.bgr = manifest.raw.get("preprocessing", {}).get("channels", "RGB") == "BGR"
        self.score_threshold = float(post.get("score_threshold", 0.5))
        self.nms_iou = float(post.get("nms_iou", 0.4))
        self.max_faces = int(post.get("max_detections", 200))

    def prepare(self, image: Image.Image) -> DetectorInput:
        """numpy/Pillow only: safe in decode workers."""
        if image.mode != "RGB":
            image = image.convert("RGB")
        w, h = image.size
        scale = min(1.0, self.max_side / max(w, h))
        rw, rh = max(1, round(w * scale)), max(1, round(h * scale))
        if (rw, rh) != (w, h):
            image = image.resize((rw, rh), Image.Resampling.BILINEAR)
        return DetectorInput(np.asarray(image, dtype=np.uint8), rw / w)

    def tensor(self, inp: DetectorInput) -> np.ndarray:
        """[3, H, W] float32 network input: normalised, channels as the model wants, padded to
        multiples of PAD_TO with zeros (= the mean colour)."""
        rw, rh = inp.size
        pixels = (inp.image.astype(np.float32) - self.mean) / self.std
        if self.bgr:
            pixels = pixels[:, :, ::-1]
        ph, pw = -(-rh // PAD_TO) * PAD_TO, -(-rw // PAD_TO) * PAD_TO
        tensor = np.zeros((3, ph, pw), np.float32)
        tensor[:, :rh, :rw] = pixels.transpose(2, 0, 1)
        return tensor

    def run(self, inp: DetectorInput, score_threshold: float | None = None) -> list[Detection]:
        """Faces in one prepared photo, in photo pixels, best score first."""
        threshold = self.score_threshold if score_threshold is None else score_threshold
        tensor = self.tensor(inp)
        _, ph, pw = tensor.shape
        out = self.model.run(tensor[None])
        scores = out["scores"][0][:, 1]
        candidates = np.flatnonzero(scores >= threshold)
        if candidates.size == 0:
            return []
        pri = priors(ph, pw)[candidates]
        boxes, points = decode(out["boxes"][0][candidates], out["landmarks"][0][candidates], pri)
        scores = scores[candidates]
        keep = nms(boxes, scores, self.nms_iou)[: self.max_faces]
        to_photo = np.asarray([pw, ph], np.float32) / inp.scale
        rw, rh = inp.size
        limit = np.asarray([rw, rh], np.float32) / inp.scale
        found = []
        for i in keep:
            b = boxes[i].reshape(2, 2) * to_photo
            b = np.clip(b, 0, limit)
            if b[1, 0] - b[0, 0] < 1 or b[1, 1] - b[0, 1] < 1:
                continue
            found.append(Detection(tuple(float(v) for v in b.ravel()), points[i] * to_photo, float(scores[i])))
        return found

    def detect(self, image: Image.Image, score_threshold: float | None = None) -> list[Detection]:
        return self.run(self.prepare(image), score_threshold)
