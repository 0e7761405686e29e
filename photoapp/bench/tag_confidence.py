"""How sure must a tag be before the sidebar counts it? Precision of tags by confidence, measured.

    python -m photoapp.bench.tag_confidence --photos 200

Runs the real tagger on photos of imagenet-sample (the true class is in each file name), expands
the top classes with WordNet ancestors exactly as indexing does, and calls a tag *right* when it
is the true class or one of its ancestors. Reports, per confidence band, how many tags fall in it
and how many of those are right, and for each candidate threshold the precision of the tags at or
above it and the share of right tags it keeps. plan.TAG_MIN_CONFIDENCE was chosen from this table.
Writes photoapp/bench/results/tag_confidence.md.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .query_scale import DEFAULT_LABELS, DEFAULT_MODELS

RESULTS = Path(__file__).parent / "results" / "tag_confidence.md"
BANDS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 0.9, 1.01)
THRESHOLDS = (0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5)


def main(argv: list[str] | None = None) -> int:
    from PIL import Image

    from ..core.models.bundle import build_bundle

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photos", type=int, default=200)
    ap.add_argument("--images", type=Path, default=DEFAULT_LABELS)
    ap.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS)
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    bundle = build_bundle(args.models_dir)
    vocab = bundle.vocabulary
    by_wnid = {c.wnid: c.label for c in vocab.concepts.values() if c.wnid}
    files = sorted(args.images.glob("n*_*.JPEG"))
    step = max(1, len(files) // args.photos)
    files = files[::step][:args.photos]
    tags: list[tuple[float, bool, str]] = []  # (confidence, right, source)
    for start in range(0, len(files), 16):
        batch = files[start:start + 16]
        images = [Image.open(f).convert("RGB") for f in batch]
        for f, result in zip(batch, bundle.tagger.analyze(images)):
            truth = by_wnid.get(f.name.split("_", 1)[0])
            if truth is None:
                continue
            right_labels = {truth} | set(vocab.ancestors(truth))
            for tag in vocab.expand(result.top_classes, []):
                tags.append((tag.confidence, tag.label in right_labels, tag.source))
        print(f"  {start + len(batch)} photos", file=sys.stderr, flush=True)

    lines = [f"# Tag precision by confidence\n\nCommand: `python -m photoapp.bench.tag_confidence "
             f"--photos {args.photos}` ({len(files)} imagenet-sample photos, {len(tags)} tags with "
             "ancestors; a tag is right when it is the true class or one of its WordNet ancestors)\n",
             "| confidence | tags | right | precision |", "|---|---|---|---|"]
    for low, high in zip(BANDS, BANDS[1:]):
        band = [r for c, r, _ in tags if low <= c < high]
        if band:
            lines.append(f"| {low:.2f}-{min(high, 1.0):.2f} | {len(band)} | {sum(band)} | "
                         f"{sum(band) / len(band):.2f} |")
    total_right = sum(r for _, r, _ in tags) or 1
    lines += ["", "| threshold | tags kept per photo | precision of kept tags | right tags kept |", "|---|---|---|---|"]
    for t in THRESHOLDS:
        kept = [r for c, r, _ in tags if c >= t]
        lines.append(f"| {t:.2f} | {len(kept) / max(1, len(files)):.1f} | {sum(kept) / max(1, len(kept)):.2f} | "
                     f"{sum(kept) / total_right:.2f} |")
    table = "\n".join(lines) + "\n"
    print(table)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
