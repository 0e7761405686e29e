"""What a drop or a paste carries: photos from our own grid, file URLs, or raw image data."""
from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QImage

from .photo_model import PHOTO_IDS_MIME

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".heic", ".heif", ".avif"}
_RAW_IMAGE_FORMATS = ("image/png", "image/jpeg", "image/webp", "image/bmp", "image/gif", "image/tiff")


@dataclass
class DroppedImage:
    kind: str  # "id" (a library photo), "file" (a path on disk), "image" (pixels)
    value: object  # str for id/file, QImage for image
    label: str

    @property
    def similar_target(self):
        """What ``Library.similar`` accepts; pixels become a PIL image in the worker."""
        return qimage_to_pil(self.value) if self.kind == "image" else self.value


def can_accept(mime: QMimeData | None) -> bool:
    if mime is None:
        return False
    if mime.hasFormat(PHOTO_IDS_MIME) or mime.hasImage():
        return True
    if any(mime.hasFormat(f) for f in _RAW_IMAGE_FORMATS):
        return True
    return any(_is_image_file(url.toLocalFile()) for url in mime.urls() if url.isLocalFile())


def image_from_mime(mime: QMimeData | None) -> DroppedImage | None:
    if mime is None:
        return None
    if mime.hasFormat(PHOTO_IDS_MIME):
        ids = bytes(mime.data(PHOTO_IDS_MIME).data()).decode().split()
        if ids:
            urls = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
            return DroppedImage("id", ids[0], os.path.basename(urls[0]) if urls else ids[0][:12])
    for url in mime.urls():
        path = url.toLocalFile() if url.isLocalFile() else ""
        if path and _is_image_file(path):
            return DroppedImage("file", path, os.path.basename(path))
    if mime.hasImage():
        image = QImage(mime.imageData())
        if not image.isNull():
            return DroppedImage("image", image, "pasted image")
    for fmt in _RAW_IMAGE_FORMATS:
        if mime.hasFormat(fmt):
            image = QImage.fromData(mime.data(fmt))
            if not image.isNull():
                return DroppedImage("image", image, "dropped image")
    return None


def _is_image_file(path: str) -> bool:
    return bool(path) and os.path.splitext(path)[1].lower() in IMAGE_SUFFIXES and os.path.isfile(path)


def qimage_to_pil(image: QImage):
    """QImage -> PIL RGB image (runs in a worker; QImage is safe off the GUI thread)."""
    from PIL import Image

    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    data = bytes(rgb.constBits())[: rgb.bytesPerLine() * rgb.height()]
    return Image.frombuffer("RGB", (rgb.width(), rgb.height()), data, "raw", "RGB", rgb.bytesPerLine(), 1).copy()
