"""Accuracy and speed of the bundled models on real labelled photos (an evaluation, not a test).

    python -m photoapp.bench.accuracy [--imagenet DIR] [--coco DIR] [--limit N] [--threads N]
                                      [--compute auto|cpu|gpu] [--only classifier|detector|speed ...]
                                      [--skip ...] [--tiles N] [--out FILE]

classifier  top-1 / top-5 on an ImageNet folder with one photo per class named nXXXXXXXX_*.JPEG
            (default ../shared/datasets/imagenet-sample). The class of a file is its wnid; the
            tagger's labels.txt gives each output index's wnid.
detector    recall and precision per COCO class on coco128 (YOLO label files
            object_detection/labels/<split>/<id>.txt, names in object_detection/config.yaml),
            at score >= 0.5 and >= 0.3; a detection matches an unmatched ground-truth box of the
            same class with IoU >= 0.5, best scores first.
speed       model-only ms per image at batch 1 and batch 16 (inputs preprocessed beforehand;
            the detector's time includes its box decoding and, when tiling, the merge of its
            views), and the preprocessing ms per image (decode excluded), on this machine.

--tiles N overrides the detector manifest's tiling (0: whole photo only; n >= 2: the photo plus
an n x n grid of overlapping tiles), to compare settings on one machine in one run.

Prints a markdown report and writes it to --out (default: print only).
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from photoapp.core.models import build_bundle
from photoapp.core.settings import default_models_dir

SHARED = Path(__file__).resolve().parents[3] / "shared" / "datasets"
DEFAULT_IMAGENET = SHARED / "imagenet-sample"
DEFAULT_COCO = SHARED / "coco128"
BATCH = 16


def load_rgb(path: Path) -> Image.Image:
    with Image.open(path) as im:
        im.draft("RGB", (600, 600))  # JPEG DCT scaling, as the app's decoder does for big photos
        return im.convert("RGB")


def label_wnids(folder: Path) -> list[str]:
    """Column 3 of the tagger's labels.txt: the wnid of each output index."""
    rows = [line.split("\t") for line in (folder / "labels.txt").read_text().splitlines()
            if line and not line.startswith("#")]
    return [r[2].strip() for r in sorted(rows, key=lambda r: int(r[0]))]


# --- classifier --------------------------------------------------------------------------------

def evaluate_classifier(bundle, imagenet: Path, limit: int) -> dict:
    files = sorted(p for p in imagenet.iterdir() if re.match(r"n\d{8}_", p.name))[: limit or None]
    index_of = {w: i for i, w in enumerate(label_wnids(bundle.tagger.manifest.folder))}
    top1 = top5 = 0
    misses = []
    for start in range(0, len(files), BATCH):
        chunk = files[start:start + BATCH]
        x = np.stack([bundle.tagger.preprocess(load_rgb(p)) for p in chunk])
        logits = bundle.tagger.raw(x)["logits"]
        best = np.argsort(-logits, axis=1)[:, :5]
        for p, row in zip(chunk, best):
            truth = index_of[p.name.split("_")[0]]
            top1 += int(row[0] == truth)
            top5 += int(truth in row)
            if row[0] != truth:
                misses.append(p.name)
    n = len(files)
    return {"n": n, "top1": top1 / n, "top5": top5 / n, "misses": misses}


# --- detector ----------------------------------------------------------------------------------

def coco_names(config: Path) -> dict[int, str]:
    names, inside = {}, False
    for line in config.read_text().splitlines():
        if line.startswith("names:"):
            inside = True
            continue
        m = re.match(r"\s+(\d+):\s*(.+?)\s*$", line)
        if inside and m:
            names[int(m.group(1))] = m.group(2).strip("'\"")
        elif inside and line and not line.startswith(" "):
            break
    return names


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def read_truth(label_file: Path, names: dict[int, str]) -> list[tuple[str, tuple]]:
    if not label_file.exists():
        return []
    out = []
    for line in label_file.read_text().splitlines():
        if line.strip():
            c, cx, cy, w, h = line.split()[:5]
            cx, cy, w, h = map(float, (cx, cy, w, h))
            out.append((names[int(c)], (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)))
    return out


def evaluate_detector(bundle, coco: Path, thresholds: tuple[float, ...], limit: int) -> dict:
    names = coco_names(coco / "object_detection" / "config.yaml")
    # detector label -> COCO name (column 4 of its labels.txt), so the comparison is in COCO terms
    rows = [line.split("\t") for line in (bundle.detector.manifest.folder / "labels.txt")
            .read_text().splitlines() if line and not line.startswith("#")]
    coco_of = {r[1]: r[3].strip() for r in rows}
    images = sorted((coco / "images").glob("*/*.jpg"))[: limit or None]
    low = min(thresholds)
    stats = {t: defaultdict(lambda: [0, 0, 0]) for t in thresholds}  # class -> [tp, fp, fn]
    # person only: box recall for people covering >= 1% of the photo (matched / total), and
    # photo-level presence (does the photo get a "person" tag?) as [tp, fp, fn] photos
    big = {t: [0, 0] for t in thresholds}
    presence = {t: [0, 0, 0] for t in thresholds}
    for start in range(0, len(images), BATCH):
        chunk = images[start:start + BATCH]
        dets = bundle.detector.detect([load_rgb(p) for p in chunk], score_threshold=low)
        for path, objs in zip(chunk, dets):
            truth = read_truth(coco / "object_detection" / "labels" / path.parent.name /
                               (path.stem + ".txt"), names)
            for t in thresholds:
                used = [False] * len(truth)
                for o in sorted((o for o in objs if o.score >= t), key=lambda o: -o.score):
                    name = coco_of.get(o.label, o.label)
                    best, best_j = 0.5, -1
                    for j, (tname, tbox) in enumerate(truth):
                        if not used[j] and tname == name:
                            v = iou(o.box, tbox)
                            if v >= best:
                                best, best_j = v, j
                    if best_j >= 0:
                        used[best_j] = True
                        stats[t][name][0] += 1
                    else:
                        stats[t][name][1] += 1
                for j, (tname, _) in enumerate(truth):
                    if not used[j]:
                        stats[t][tname][2] += 1
                for j, (tname, (x0, y0, x1, y1)) in enumerate(truth):
                    if tname == "person" and (x1 - x0) * (y1 - y0) >= 0.01:
                        big[t][0] += int(used[j])
                        big[t][1] += 1
                has = any(n == "person" for n, _ in truth)
                found = any(coco_of.get(o.label, o.label) == "person" and o.score >= t for o in objs)
                presence[t][0] += int(has and found)
                presence[t][1] += int(found and not has)
                presence[t][2] += int(has and not found)
    return {"n": len(images), "stats": {t: dict(s) for t, s in stats.items()},
            "person_big": big, "person_presence": presence}


# --- speed -------------------------------------------------------------------------------------

def time_model(run, inputs: list[np.ndarray], batch: int, rounds: int) -> float:
    """Median ms per image over `rounds` batches, after one warm-up batch."""
    chunk = inputs[:batch]
    while len(chunk) < batch:
        chunk = chunk + inputs[: batch - len(chunk)]
    run(chunk)
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        run(chunk)
        times.append((time.perf_counter() - t) * 1000 / batch)
    return statistics.median(times)


def measure_speed(bundle, photos: list[Path], models=("tagger", "detector")) -> dict:
    ims = [load_rgb(p) for p in photos]
    out = {}
    for name, model, run in (
        ("tagger", bundle.tagger, lambda xs: bundle.tagger.raw(np.stack(xs))),
        ("detector", bundle.detector, lambda xs: bundle.detector.run(xs)),
    ):
        if name not in models:
            continue
        t = time.perf_counter()
        xs = [model.preprocess(im) for im in ims]
        pre = (time.perf_counter() - t) * 1000 / len(ims)
        out[name] = {"preprocess": pre,
                     "batch1": time_model(run, xs, 1, rounds=20),
                     "batch16": time_model(run, xs, 16, rounds=4)}
    return out


# --- report ------------------------------------------------------------------------------------

def ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "-"  # "-" where a --limit run saw no such case


def report(args, bundle, cls, det, speed) -> str:
    tiling = (f"; detector tiles {bundle.detector.tiles} (overlap {bundle.detector.tile_overlap}, "
              f"{len(bundle.detector.views)} views per photo)" if bundle.detector else "")
    lines = ["# Model accuracy and speed", "",
             f"Command: `python -m photoapp.bench.accuracy {' '.join(sys.argv[1:])}`".rstrip(), "",
             f"Machine: {platform.machine()}, {os.cpu_count()} logical CPUs, {platform.system()}; "
             f"providers {bundle.tagger.model.providers}; threads setting {args.threads or 'auto'}"
             f"{tiling}.", ""]
    if cls:
        lines += ["## Classifier (" + bundle.tagger.name + ")", "",
                  "| photos | top-1 | top-5 |", "|---|---|---|",
                  f"| {cls['n']} | {cls['top1']:.1%} | {cls['top5']:.1%} |", ""]
    if det:
        lines += ["## Detector (" + bundle.detector.name + f") on {det['n']} coco128 photos", "",
                  "IoU >= 0.5 to a ground-truth box of the same class.", "",
                  "| class | ground truth | " + " | ".join(
                      f"recall@{t} | precision@{t}" for t in det["stats"]) + " |",
                  "|---|---|" + "---|---|" * len(det["stats"])]
        first = next(iter(det["stats"].values()))
        classes = sorted({c for s in det["stats"].values() for c in s},
                         key=lambda c: -(first.get(c, [0, 0, 0])[0] + first.get(c, [0, 0, 0])[2]))
        totals = {t: [0, 0, 0] for t in det["stats"]}
        for c in classes:
            cells = []
            gt = None
            for t, s in det["stats"].items():
                tp, fp, fn = s.get(c, [0, 0, 0])
                gt = tp + fn
                for k, v in enumerate((tp, fp, fn)):
                    totals[t][k] += v
                cells.append(f"{tp / gt:.2f}" if gt else "-")
                cells.append(f"{tp / (tp + fp):.2f}" if tp + fp else "-")
            lines.append(f"| {c} | {gt} | " + " | ".join(cells) + " |")
        cells = []
        for t, (tp, fp, fn) in totals.items():
            cells += [f"{tp / (tp + fn):.2f}" if tp + fn else "-",
                      f"{tp / (tp + fp):.2f}" if tp + fp else "-"]
        lines += [f"| **all classes** | {sum(totals[next(iter(totals))][k] for k in (0, 2))} | "
                  + " | ".join(cells) + " |", ""]
        lines += ["Person, two views closer to photo search:", "",
                  "| score >= | box recall, people >= 1% of the photo | photos with people: recall "
                  "| photos tagged person: precision |", "|---|---|---|---|"]
        for t in det["stats"]:
            hit, total = det["person_big"][t]
            tp, fp, fn = det["person_presence"][t]
            lines.append(f"| {t} | {ratio(hit, total)} ({hit}/{total}) | {ratio(tp, tp + fn)} "
                         f"({tp}/{tp + fn}) | {ratio(tp, tp + fp)} ({tp}/{tp + fp}) |")
        lines.append("")
    if speed:
        lines += ["## Speed (model only, ms per image, median)", "",
                  "| model | preprocess | batch 1 | batch 16 |", "|---|---|---|---|"]
        for name, s in speed.items():
            lines.append(f"| {name} | {s['preprocess']:.1f} | {s['batch1']:.1f} | {s['batch16']:.1f} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--imagenet", type=Path, default=DEFAULT_IMAGENET)
    ap.add_argument("--coco", type=Path, default=DEFAULT_COCO)
    ap.add_argument("--models", type=Path, default=default_models_dir())
    ap.add_argument("--limit", type=int, default=0, help="at most N photos per dataset (0 = all)")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--compute", default="auto", choices=("auto", "cpu", "gpu"))
    parts = ("classifier", "detector", "speed")
    ap.add_argument("--skip", nargs="*", default=[], choices=parts)
    ap.add_argument("--only", nargs="*", default=[], choices=parts, help="run just these parts")
    ap.add_argument("--tiles", type=int, default=None, help="detector tile grid (manifest's if unset)")
    ap.add_argument("--out", type=Path, help="also write the report to this file")
    args = ap.parse_args(argv)
    if args.only:
        args.skip = [p for p in parts if p not in args.only]
    bundle = build_bundle(args.models, args.compute, args.threads).load()
    if args.tiles is not None:
        bundle.detector.set_tiling(args.tiles, bundle.detector.tile_overlap, bundle.detector.merge_iou)
    cls = det = speed = None
    if "classifier" not in args.skip:
        if not args.imagenet.is_dir():
            sys.exit(f"no ImageNet folder at {args.imagenet} (--imagenet DIR)")
        cls = evaluate_classifier(bundle, args.imagenet, args.limit)
    if "detector" not in args.skip:
        if not args.coco.is_dir():
            sys.exit(f"no coco128 folder at {args.coco} (--coco DIR)")
        det = evaluate_detector(bundle, args.coco, (0.5, 0.3), args.limit)
    if "speed" not in args.skip:
        photos = sorted(args.imagenet.glob("*.JPEG"))[:32] if args.imagenet.is_dir() else []
        photos = photos or sorted((args.coco / "images").glob("*/*.jpg"))[:32]
        # --only naming one model's part (and speed) times that model alone
        timed = [m for m, part in (("tagger", "classifier"), ("detector", "detector"))
                 if not args.only or part in args.only or args.only == ["speed"]]
        speed = measure_speed(bundle, photos, timed)
    text = report(args, bundle, cls, det, speed)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
