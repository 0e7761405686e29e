"""The real-photo inputs the parity references are recorded on (shared by the recording script
and the tests): each test photo as is, mirrored, and its central 60% crop. 10 photos -> 30 inputs."""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps

PHOTOS = Path(__file__).resolve().parents[2] / "tests" / "data" / "photos"


def reference_views(photo_dir: Path = PHOTOS) -> list[tuple[str, Image.Image]]:
    views = []
    for path in sorted(Path(photo_dir).glob("*.jpg")):
        with Image.open(path) as im:
            im = im.convert("RGB")
        w, h = im.size
        crop = im.crop((int(w * 0.2), int(h * 0.2), int(w * 0.8), int(h * 0.8)))
        views += [(path.stem, im), (path.stem + ":mirror", ImageOps.mirror(im)),
                  (path.stem + ":crop60", crop)]
    return views
