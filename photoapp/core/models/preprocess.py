"""Turn a decoded Pillow image into a model input array, as the manifest's preprocessing says.

numpy + Pillow only, so it runs in decode workers without touching ONNX Runtime.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

from .manifest import Preprocessing

RESAMPLE = {
    "nearest": Image.Resampling.NEAREST, "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC, "lanczos": Image.Resampling.LANCZOS,
}


def center_crop_box(width: int, height: int, crop_w: int, crop_h: int) -> tuple[int, int, int, int]:
    # Same rounding as TF's _decode_and_center_crop: the extra pixel goes to the top/left margin.
    left = (width - crop_w + 1) // 2
    top = (height - crop_h + 1) // 2
    return left, top, left + crop_w, top + crop_h


def resize(image: Image.Image, p: Preprocessing) -> Image.Image:
    """The image at the model's input size (w, h), cropped and resampled as configured."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    out_w, out_h = p.size
    resample = RESAMPLE[p.resample]
    w, h = image.size
    if p.resize == "stretch":
        return image.resize((out_w, out_h), resample)
    if p.resize == "center-crop":
        # Crop a centred region whose shorter side is crop_fraction of the image's shorter side
        # (aspect of the model input), then resample it to the input size in one step.
        side = max(1, int(p.crop_fraction * min(w, h)))
        crop_w = max(1, min(w, round(side * out_w / min(out_w, out_h))))
        crop_h = max(1, min(h, round(side * out_h / min(out_w, out_h))))
        return image.resize((out_w, out_h), resample, box=center_crop_box(w, h, crop_w, crop_h))
    # shorter-side: scale the shorter side to resize_shorter (default size / crop_fraction),
    # then take the centred input-size window (the torchvision Resize + CenterCrop recipe).
    shorter = p.resize_shorter or round(min(out_w, out_h) / p.crop_fraction)
    r = shorter / min(w, h)
    scaled = image.resize((max(out_w, round(w * r)), max(out_h, round(h * r))), resample)
    return scaled.crop(center_crop_box(scaled.width, scaled.height, out_w, out_h))


def to_array(image: Image.Image, p: Preprocessing) -> np.ndarray:
    """Resized RGB image -> one input sample (no batch axis), in the model's layout and dtype."""
    x = np.asarray(image, dtype=np.uint8)
    if p.dtype == "uint8":
        out = x
    else:
        out = x.astype(np.float32)
        if p.scale != 1.0:
            out *= np.float32(p.scale)
        out = (out - np.asarray(p.mean, np.float32)) / np.asarray(p.std, np.float32)
    if p.layout == "NCHW":
        out = out.transpose(2, 0, 1)
    return np.ascontiguousarray(out)


def preprocess(image: Image.Image, p: Preprocessing) -> np.ndarray:
    return to_array(resize(image, p), p)
