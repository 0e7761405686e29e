"""On-disk JPEG thumbnails in ``data_dir/thumbs/<size>/<hh>/<hash>.jpg``, keyed by content hash so
moved or copied photos share one thumbnail. Never written anywhere near the photos themselves."""
from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from PIL import Image

log = logging.getLogger(__name__)

JPEG_QUALITY = 85


class ThumbnailCache:
    def __init__(self, data_dir: Path, default_size: int = 256):
        self.root = Path(data_dir) / "thumbs"
        self.default_size = default_size

    def path_for(self, content_hash: str, size: int | None = None) -> Path:
        size = size or self.default_size
        return self.root / str(size) / content_hash[:2] / f"{content_hash}.jpg"

    def exists(self, content_hash: str, size: int | None = None) -> bool:
        return self.path_for(content_hash, size).is_file()

    def write(self, content_hash: str, image: Image.Image, size: int | None = None) -> Path:
        """Write the thumbnail of an upright RGB image (atomically: readers never see half)."""
        size = size or self.default_size
        target = self.path_for(content_hash, size)
        target.parent.mkdir(parents=True, exist_ok=True)
        thumb = image.copy()
        thumb.thumbnail((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
        if thumb.mode != "RGB":
            thumb = thumb.convert("RGB")
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                thumb.save(f, "JPEG", quality=JPEG_QUALITY, optimize=False)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def delete(self, content_hash: str) -> int:
        """Remove every size of one hash's thumbnail; returns how many files went."""
        removed = 0
        if not self.root.is_dir():
            return 0
        for size_dir in self.root.iterdir():
            p = size_dir / content_hash[:2] / f"{content_hash}.jpg"
            try:
                p.unlink()
                removed += 1
            except FileNotFoundError:
                pass
            except OSError as e:
                log.warning("could not delete thumbnail %s: %s", p, e)
        return removed
