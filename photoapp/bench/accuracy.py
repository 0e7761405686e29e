"""Accuracy and speed of the bundled models on real labelled photos (an evaluation, not a test).

    python -m photoapp.bench.accuracy [--imagenet DIR] [--coco DIR] [--limit N] [--threads N]
                                      [--compute auto|cpu|gpu] [--only classifier|detector|speed ...]
                                      [--skip ...] [--tiles N] [--precision P [P ...]]
                                      [--rounds B1 B16] [--out FILE]

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

--precision fp32 int8 evaluates each named model variant (manifest ``variants``) on the same
            decoded inputs and times them interleaved in one run, then compares every later one
            with the first: top-1 / top-5 change and top-1 agreement, embedding cosine to the
            first (mean, min, 1st percentile), detector recall / precision change, speed ratios,
            and the int8 gates of issue 8 (top-1 drop <= 0.5 points, mean embedding cosine
            >= 0.99, detector recall and precision within 0.02). Default: what bundle.json selects.

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

from photoapp.core.models import build_bundle, load_manifest
from photoapp.core.models.bundle import read_layout
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

def evaluate_classifier(bundles: dict, imagenet: Path, limit: int) -> dict:
    """{precision: {n, top1, top5, misses, top_class, embedding}} on the same inputs."""
    first = next(iter(bundles.values()))
    files = sorted(p for p in imagenet.iterdir() if re.match(r"n\d{8}_", p.name))[: limit or None]
    index_of = {w: i for i, w in enumerate(label_wnids(first.tagger.manifest.folder))}
    truth = np.array([index_of[p.name.split("_")[0]] for p in files])
    best = {k: [] for k in bundles}
    embeddings = {k: [] for k in bundles}
    for start in range(0, len(files), BATCH):
        chunk = files[start:start + BATCH]
        x = np.stack([first.tagger.preprocess(load_rgb(p)) for p in chunk])
        for k, bundle in bundles.items():
            out = bundle.tagger.raw(x)
            best[k].append(np.argsort(-out["logits"], axis=1, kind="stable")[:, :5])
            emb = out.get("embedding", out["logits"])
            embeddings[k].append(emb.reshape(len(emb), -1))
    n = len(files)
    results = {}
    for k in bundles:
        top = np.concatenate(best[k])
        emb = np.concatenate(embeddings[k]).astype(np.float64)
        results[k] = {"n": n, "top1": float((top[:, 0] == truth).mean()),
                      "top5": float((top == truth[:, None]).any(axis=1).mean()),
                      "misses": [p.name for p, t in zip(files, top[:, 0] != truth) if t],
                      "top_class": top[:, 0],
                      "embedding": emb / np.linalg.norm(emb, axis=1, keepdims=True)}
    return results


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


def evaluate_detector(bundles: dict, coco: Path, thresholds: tuple[float, ...], limit: int) -> dict:
    """{precision: detector scores} on the same preprocessed inputs."""
    first = next(iter(bundles.values()))
    images = sorted((coco / "images").glob("*/*.jpg"))[: limit or None]
    inputs = []
    for start in range(0, len(images), BATCH):
        inputs.append([first.detector.preprocess(load_rgb(p)) for p in images[start:start + BATCH]])
    low = min(thresholds)
    return {k: score_detections(b, coco, images, [d for xs in inputs for d in b.detector.run(
                xs, score_threshold=low)], thresholds) for k, b in bundles.items()}


def score_detections(bundle, coco: Path, images: list[Path], detections: list,
                     thresholds: tuple[float, ...]) -> dict:
    names = coco_names(coco / "object_detection" / "config.yaml")
    # detector label -> COCO name (column 4 of its labels.txt), so the comparison is in COCO terms
    rows = [line.split("\t") for line in (bundle.detector.manifest.folder / "labels.txt")
            .read_text().splitlines() if line and not line.startswith("#")]
    coco_of = {r[1]: r[3].strip() for r in rows}
    stats = {t: defaultdict(lambda: [0, 0, 0]) for t in thresholds}  # class -> [tp, fp, fn]
    # person only: box recall for people covering >= 1% of the photo (matched / total), and
    # photo-level presence (does the photo get a "person" tag?) as [tp, fp, fn] photos
    big = {t: [0, 0] for t in thresholds}
    presence = {t: [0, 0, 0] for t in thresholds}
    for path, objs in zip(images, detections):
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

def time_models(runs: dict, inputs: list[np.ndarray], batch: int, rounds: int) -> dict:
    """{key: median ms per image} over ``rounds`` batches each, after one warm-up batch each.
    The variants take turns within every round (order flipped every other round), so load from
    other jobs on a shared machine falls on all of them alike."""
    chunk = inputs[:batch]
    while len(chunk) < batch:
        chunk = chunk + inputs[: batch - len(chunk)]
    for run in runs.values():
        run(chunk)
    times = {k: [] for k in runs}
    for r in range(rounds):
        for k in (list(runs) if r % 2 == 0 else list(runs)[::-1]):
            t = time.perf_counter()
            runs[k](chunk)
            times[k].append((time.perf_counter() - t) * 1000 / batch)
    return {k: statistics.median(v) for k, v in times.items()}


def measure_speed(bundles: dict, photos: list[Path], models=("tagger", "detector"),
                  rounds: tuple[int, int] = (20, 4)) -> dict:
    """{model: {"preprocess": ms, "batch1": {precision: ms}, "batch16": {precision: ms}}}."""
    ims = [load_rgb(p) for p in photos]
    first = next(iter(bundles.values()))
    out = {}
    for name in models:
        model = getattr(first, name)
        if name == "tagger":
            runs = {k: (lambda xs, b=b: b.tagger.raw(np.stack(xs))) for k, b in bundles.items()}
        else:
            runs = {k: (lambda xs, b=b: b.detector.run(xs)) for k, b in bundles.items()}
        t = time.perf_counter()
        xs = [model.preprocess(im) for im in ims]
        pre = (time.perf_counter() - t) * 1000 / len(ims)
        out[name] = {"preprocess": pre,
                     "batch1": time_models(runs, xs, 1, rounds[0]),
                     "batch16": time_models(runs, xs, 16, rounds[1])}
    return out


# --- report ------------------------------------------------------------------------------------

def ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "-"  # "-" where a --limit run saw no such case


def detector_table(det: dict) -> list[str]:
    lines = ["| class | ground truth | " + " | ".join(
                 f"recall@{t} | precision@{t}" for t in det["stats"]) + " |",
             "|---|---|" + "---|---|" * len(det["stats"])]
    first = next(iter(det["stats"].values()))
    classes = sorted({c for s in det["stats"].values() for c in s},
                     key=lambda c: -(first.get(c, [0, 0, 0])[0] + first.get(c, [0, 0, 0])[2]))
    for c in classes:
        cells = []
        gt = None
        for t, s in det["stats"].items():
            tp, fp, fn = s.get(c, [0, 0, 0])
            gt = tp + fn
            cells.append(f"{tp / gt:.2f}" if gt else "-")
            cells.append(f"{tp / (tp + fp):.2f}" if tp + fp else "-")
        lines.append(f"| {c} | {gt} | " + " | ".join(cells) + " |")
    totals = detector_totals(det)
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
    return lines + [""]


def detector_totals(det: dict) -> dict:
    """{threshold: [tp, fp, fn]} over all classes."""
    return {t: [sum(v[k] for v in s.values()) for k in range(3)] for t, s in det["stats"].items()}


def recall_precision(det: dict) -> dict:
    """{threshold: (recall, precision)} over all classes."""
    return {t: (tp / (tp + fn) if tp + fn else 0.0, tp / (tp + fp) if tp + fp else 0.0)
            for t, (tp, fp, fn) in detector_totals(det).items()}


# The issue-8 gates for shipping a lower precision as the default.
MAX_TOP1_DROP = 0.005
MIN_MEAN_COSINE = 0.99
MAX_DETECTOR_CHANGE = 0.02


def comparison(bundles: dict, cls: dict | None, det: dict | None, speed: dict | None) -> list[str]:
    """Every later precision against the first, and the gates."""
    keys = list(bundles)
    base = keys[0]
    lines = [f"## {' vs '.join(keys)} (compared with {base}, same inputs, one run)", ""]
    gates = []
    if cls:
        lines += ["| tagger | top-1 | top-5 | top-1 change (points) | same top-1 as " + base
                  + " | embedding cosine to " + base + ": mean | min | 1st percentile |",
                  "|---|---|---|---|---|---|---|---|"]
        for k in keys:
            c = cls[k]
            cos = (c["embedding"] * cls[base]["embedding"]).sum(axis=1)
            agree = float((c["top_class"] == cls[base]["top_class"]).mean())
            lines.append(f"| {bundles[k].tagger.version} | {c['top1']:.1%} | {c['top5']:.1%} | "
                         f"{(c['top1'] - cls[base]['top1']) * 100:+.1f} | {agree:.1%} | "
                         f"{cos.mean():.4f} | {cos.min():.4f} | {np.percentile(cos, 1):.4f} |")
            if k != base:
                drop = cls[base]["top1"] - c["top1"]
                gates.append((f"tagger {k}: top-1 drop {drop * 100:.1f} points <= "
                              f"{MAX_TOP1_DROP * 100:.1f}", drop <= MAX_TOP1_DROP + 1e-9))
                gates.append((f"tagger {k}: mean embedding cosine {cos.mean():.4f} >= "
                              f"{MIN_MEAN_COSINE}", cos.mean() >= MIN_MEAN_COSINE))
        lines.append("")
    if det:
        rp = {k: recall_precision(det[k]) for k in keys}
        ts = list(rp[base])
        lines += ["| detector | " + " | ".join(f"recall@{t} | precision@{t}" for t in ts)
                  + " | " + " | ".join(f"change R@{t} | change P@{t}" for t in ts) + " |",
                  "|---|" + "---|" * (4 * len(ts))]
        for k in keys:
            cells = [f"{rp[k][t][i]:.3f}" for t in ts for i in (0, 1)]
            cells += [f"{rp[k][t][i] - rp[base][t][i]:+.3f}" for t in ts for i in (0, 1)]
            lines.append(f"| {bundles[k].detector.version} | " + " | ".join(cells) + " |")
            if k != base:
                worst = max(abs(rp[k][t][i] - rp[base][t][i]) for t in ts for i in (0, 1))
                gates.append((f"detector {k}: recall and precision change at scores "
                              f"{', '.join(map(str, ts))} at most {worst:.3f} <= "
                              f"{MAX_DETECTOR_CHANGE}", worst <= MAX_DETECTOR_CHANGE + 1e-9))
        lines.append("")
    if speed:
        lines += ["| model | precision | batch 1 ms | batch 16 ms | speed-up batch 1 "
                  "| speed-up batch 16 |", "|---|---|---|---|---|---|"]
        for name, s in speed.items():
            for k in keys:
                b1, b16 = s["batch1"][k], s["batch16"][k]
                lines.append(f"| {name} | {k} | {b1:.1f} | {b16:.1f} | "
                             f"{s['batch1'][base] / b1:.2f}x | {s['batch16'][base] / b16:.2f}x |")
        lines.append("")
    if gates:
        lines += ["Gates (issue 8):", ""]
        lines += [f"* {'pass' if ok else 'FAIL'}: {text}" for text, ok in gates]
        lines.append("")
    return lines


def report(args, bundles: dict, cls, det, speed) -> str:
    bundle = next(iter(bundles.values()))
    tiling = (f"; detector tiles {bundle.detector.tiles} (overlap {bundle.detector.tile_overlap}, "
              f"{len(bundle.detector.views)} views per photo)" if bundle.detector else "")
    lines = ["# Model accuracy and speed", "",
             f"Command: `python -m photoapp.bench.accuracy {' '.join(sys.argv[1:])}`".rstrip(), "",
             f"Machine: {platform.machine()}, {os.cpu_count()} logical CPUs, {platform.system()}; "
             f"providers {bundle.tagger.model.providers}; threads setting {args.threads or 'auto'}"
             f"{tiling}.", ""]
    for k, b in bundles.items():
        if cls:
            c = cls[k]
            lines += [f"## Classifier ({b.tagger.name} {b.tagger.version})", "",
                      "| photos | top-1 | top-5 |", "|---|---|---|",
                      f"| {c['n']} | {c['top1']:.1%} | {c['top5']:.1%} |", ""]
        if det:
            lines += [f"## Detector ({b.detector.name} {b.detector.version}) on {det[k]['n']} "
                      "coco128 photos", "", "IoU >= 0.5 to a ground-truth box of the same class.", ""]
            lines += detector_table(det[k])
    if speed and len(bundles) == 1:
        k = next(iter(bundles))
        lines += ["## Speed (model only, ms per image, median)", "",
                  "| model | preprocess | batch 1 | batch 16 |", "|---|---|---|---|"]
        for name, s in speed.items():
            lines.append(f"| {name} | {s['preprocess']:.1f} | {s['batch1'][k]:.1f} | "
                         f"{s['batch16'][k]:.1f} |")
        lines.append("")
    if len(bundles) > 1:
        lines += comparison(bundles, cls, det, speed)
    return "\n".join(lines)


def offered(models: Path, precision: str) -> dict[str, str]:
    """{role: precision} for the bundle's models that offer that variant (the others keep what
    bundle.json selects; the report's version strings say which ran)."""
    layout = read_layout(models)
    return {role: precision for role in ("tagger", "detector") if layout.get(role)
            and precision in load_manifest(models / layout[role]).precisions}


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
    ap.add_argument("--precision", nargs="+", metavar="P",
                    help="model variants to evaluate and compare, e.g. fp32 int8 (default: "
                         "what bundle.json selects)")
    ap.add_argument("--rounds", type=int, nargs=2, default=(20, 4), metavar=("B1", "B16"),
                    help="timed batches per variant at batch 1 and batch 16 (default 20 4)")
    ap.add_argument("--out", type=Path, help="also write the report to this file")
    args = ap.parse_args(argv)
    if args.only:
        args.skip = [p for p in parts if p not in args.only]
    bundles = {p or "bundle.json": build_bundle(
        args.models, args.compute, args.threads, offered(args.models, p) if p else None).load()
        for p in (args.precision or [None])}
    for bundle in bundles.values():
        if args.tiles is not None and bundle.detector:
            bundle.detector.set_tiling(args.tiles, bundle.detector.tile_overlap,
                                       bundle.detector.merge_iou)
    cls = det = speed = None
    if "classifier" not in args.skip:
        if not args.imagenet.is_dir():
            sys.exit(f"no ImageNet folder at {args.imagenet} (--imagenet DIR)")
        cls = evaluate_classifier(bundles, args.imagenet, args.limit)
    if "detector" not in args.skip:
        if not args.coco.is_dir():
            sys.exit(f"no coco128 folder at {args.coco} (--coco DIR)")
        det = evaluate_detector(bundles, args.coco, (0.5, 0.3), args.limit)
    if "speed" not in args.skip:
        photos = sorted(args.imagenet.glob("*.JPEG"))[:32] if args.imagenet.is_dir() else []
        photos = photos or sorted((args.coco / "images").glob("*/*.jpg"))[:32]
        # --only naming one model's part (and speed) times that model alone
        timed = [m for m, part in (("tagger", "classifier"), ("detector", "detector"))
                 if not args.only or part in args.only or args.only == ["speed"]]
        speed = measure_speed(bundles, photos, timed, tuple(args.rounds))
    text = report(args, bundles, cls, det, speed)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
