"""Contact sheet for judging the colour palette by eye: photos with the chips the colour analyzer
gives them (photoapp.core.analyzers.colors). Not a benchmark; how the thresholds were chosen.

    python -m photoapp.bench.colors [--photos ../shared/datasets/imagenet-sample] [--count 60]
        [--out /tmp/colors.png] [--seed 0]
"""
from __future__ import annotations

import argparse
import random
from pathlib import Path

from PIL import Image, ImageDraw

from photoapp.core.analyzers.colors import SWATCHES, dominant_colors
from photoapp.core.decode import decode_file

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "imagenet-sample"
CELL = 160


def contact_sheet(paths: list[Path], columns: int = 6) -> Image.Image:
    rows = (len(paths) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * CELL, rows * (CELL + 44)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, path in enumerate(paths):
        image = decode_file(str(path), 256).image
        colors = dominant_colors(image)
        thumb = image.copy()
        thumb.thumbnail((CELL - 4, CELL - 4))
        x, y = (i % columns) * CELL, (i // columns) * (CELL + 44)
        sheet.paste(thumb, (x + 2, y + 2))
        cx = x + 2
        for name, share in colors:
            w = max(4, int((CELL - 4) * share))
            draw.rectangle([cx, y + CELL, cx + w, y + CELL + 14], fill=SWATCHES[name], outline="black")
            cx += w
        label = " ".join(f"{n[:4]}{int(s * 100)}" for n, s in colors)
        draw.text((x + 2, y + CELL + 18), label, fill="black")
    return sheet


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    ap.add_argument("--count", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("/tmp/colors.png"))
    args = ap.parse_args(argv)
    paths = sorted(p for p in args.photos.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    paths = random.Random(args.seed).sample(paths, min(args.count, len(paths)))
    contact_sheet(paths).save(args.out)
    print(args.out)


if __name__ == "__main__":
    main()
