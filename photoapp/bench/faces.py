"""Faces: detection quality, what quality (size, blur) does to descriptors, the face stage's cost,
its effect on ``photoapp index``, and the descriptor's parity with dlib.

    python -m photoapp.bench.faces [--only detection quality speed index] [--out FILE]

Sections (all on ../shared/datasets; written as markdown to --out, default
photoapp/bench/results/faces.md):

  detection  RetinaFace at several longer sides and score thresholds on 50 coco128 photos whose
             faces were counted by hand (COCO_FACES below), on faces-smoke's group photos (11
             faces counted by hand) and on its portraits (one face each)
  quality    each faces-smoke face shrunk to a given width, or blurred: how far its descriptor
             moves (cosine to its own full-size descriptor) next to the quality score it gets,
             against the spread of same-person and different-person similarities
  speed      the face stage alone (prepare + detector + alignment + descriptors), ms per photo,
             on photos with and without faces
  index      ``Library.index`` on the same photos in a fresh data folder, faces on and off
  parity     the numbers models/scripts/convert_face_embedder.py recorded in the manifest

How COCO_FACES was made: the first 50 photos of coco128 (sorted names: neutral, not chosen for
faces). RetinaFace ran at a longer side of 1280 px and score >= 0.3 and drew its boxes; each box
was judged by eye (face, or not: animals, food, a drawn face, a back of a head, a duplicate box),
and every human face the detector missed was counted, zooming into each person COCO labels.
A face counts when a person can make out a face (an eye, the nose, a mouth; profiles count, a back
of a head does not) and it is at least ~10 px wide; "small" = under ~20 px wide. Each entry:
(faces counted, of which small, boxes of the detections judged faces). A detection of the run
being measured is a true positive when it overlaps one of those boxes with IoU >= 0.4; any other
detection counts as false (conservative: a face the 1280 px run missed but another setting finds
would count against it).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from photoapp.core.faces.align import align_face
from photoapp.core.faces.models import FaceModels
from photoapp.core.faces.quality import SHARP_FULL, SHARP_MIN, face_quality, sharpness
from photoapp.core.models.bundle import selected_manifest

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ROOT.parent / "shared" / "datasets"
COCO = DATASETS / "coco128" / "images" / "train2017"
SMOKE = DATASETS / "faces-smoke"
GROUPS = SMOKE / "_group-photos"
MODELS = ROOT / "models"
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "faces.md"
MATCH_IOU = 0.4

# name: (faces counted by hand, of which small, boxes (x0, y0, x1, y1 px) of detections judged faces)
COCO_FACES = {
    "000000000009.jpg": (0, 0, []), "000000000025.jpg": (0, 0, []), "000000000030.jpg": (0, 0, []),
    "000000000034.jpg": (0, 0, []),
    "000000000036.jpg": (1, 0, [[224, 192, 304, 297]]),
    "000000000042.jpg": (0, 0, []),
    "000000000049.jpg": (2, 2, [[154, 263, 166, 276]]),
    "000000000061.jpg": (1, 1, []),
    "000000000064.jpg": (0, 0, []), "000000000071.jpg": (0, 0, []), "000000000072.jpg": (0, 0, []),
    "000000000073.jpg": (0, 0, []), "000000000074.jpg": (0, 0, []),
    "000000000077.jpg": (3, 3, []),
    "000000000078.jpg": (0, 0, []), "000000000081.jpg": (0, 0, []),
    "000000000086.jpg": (1, 0, [[209, 175, 243, 214]]),
    "000000000089.jpg": (0, 0, []), "000000000092.jpg": (0, 0, []), "000000000094.jpg": (0, 0, []),
    "000000000109.jpg": (0, 0, []),
    "000000000110.jpg": (7, 2, [[42, 182, 143, 305], [431, 0, 568, 161], [250, 0, 280, 40], [329, 0, 372, 35],
                                [143, 1, 162, 24], [84, 33, 113, 86]]),
    "000000000113.jpg": (2, 0, [[81, 70, 134, 136], [206, 88, 262, 158]]),
    "000000000127.jpg": (0, 0, []), "000000000133.jpg": (0, 0, []),
    "000000000136.jpg": (1, 0, [[29, 84, 58, 136]]),
    "000000000138.jpg": (0, 0, []), "000000000142.jpg": (0, 0, []), "000000000143.jpg": (0, 0, []),
    "000000000144.jpg": (0, 0, []), "000000000149.jpg": (0, 0, []),
    "000000000151.jpg": (1, 0, [[433, 69, 471, 121]]),
    "000000000154.jpg": (0, 0, []), "000000000164.jpg": (0, 0, []),
    "000000000165.jpg": (2, 0, [[128, 46, 204, 147], [441, 146, 506, 236]]),
    "000000000192.jpg": (1, 1, [[321, 195, 339, 217]]),
    "000000000194.jpg": (0, 0, []), "000000000196.jpg": (0, 0, []), "000000000201.jpg": (0, 0, []),
    "000000000208.jpg": (0, 0, []),
    "000000000241.jpg": (3, 0, [[182, 33, 235, 106], [344, 279, 371, 315], [41, 269, 79, 318]]),
    "000000000247.jpg": (0, 0, []), "000000000250.jpg": (0, 0, []),
    "000000000257.jpg": (3, 3, []),
    "000000000260.jpg": (0, 0, []), "000000000263.jpg": (0, 0, []), "000000000283.jpg": (0, 0, []),
    "000000000294.jpg": (1, 0, [[114, 88, 177, 171]]),
    "000000000307.jpg": (0, 0, []),
    "000000000308.jpg": (6, 1, [[2, 90, 74, 169], [186, 57, 222, 102], [124, 86, 146, 114], [71, 43, 116, 97],
                                [447, 68, 491, 122]]),
}
GROUP_FACES = {"insightface_t1_group.jpg": 6, "facetorch_test_group.jpg": 4, "facetorch_test2.jpg": 1}
SMALL_PX = 20


def load_faces(threads: int = 0) -> FaceModels:
    return FaceModels(selected_manifest(MODELS, "face_detector"), selected_manifest(MODELS, "face_embedder"),
                      compute="cpu", threads=threads)


def open_rgb(path: Path) -> Image.Image:
    return ImageOps.exif_transpose(Image.open(path)).convert("RGB")


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def face_px(face, pixels: np.ndarray) -> float:
    """Shorter side of a stored face's box in pixels of ``pixels``."""
    h, w = pixels.shape[:2]
    return min((face.box[2] - face.box[0]) * w, (face.box[3] - face.box[1]) * h)


def cos(a, b) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


# --- detection -------------------------------------------------------------------------------
def coco_scores(found: dict[str, list], threshold: float) -> dict:
    tp = fp = tp_clear = 0
    for name, dets in found.items():
        truth = [list(b) for b in COCO_FACES[name][2]]
        for d in dets:
            if d.score < threshold:
                continue
            best = max(range(len(truth)), key=lambda i: iou(d.box, truth[i]), default=None)
            if best is not None and iou(d.box, truth[best]) >= MATCH_IOU:
                b = truth.pop(best)
                tp += 1
                tp_clear += (b[2] - b[0]) >= SMALL_PX
            else:
                fp += 1
    faces = sum(v[0] for v in COCO_FACES.values())
    clear = faces - sum(v[1] for v in COCO_FACES.values())
    return {"tp": tp, "fp": fp, "faces": faces, "clear": clear, "recall": tp / faces,
            "recall_clear": tp_clear / clear, "precision": tp / (tp + fp) if tp + fp else 1.0}


def detection(faces: FaceModels, sides=(480, 640, 960), thresholds=(0.3, 0.5, 0.7, 0.9)) -> list[str]:
    det = faces.detector
    coco = [(name, open_rgb(COCO / name)) for name in COCO_FACES]
    groups = [(name, open_rgb(GROUPS / name)) for name in GROUP_FACES]
    portraits = [(p, open_rgb(p)) for p in sorted(SMOKE.rglob("*")) if p.suffix.lower() in (".jpg", ".jpeg", ".png")
                 and p.parent.name != GROUPS.name]
    lines = ["## Detection", "",
             f"coco128: the first 50 photos, {sum(v[0] for v in COCO_FACES.values())} faces counted by hand "
             f"({sum(v[1] for v in COCO_FACES.values())} of them small, under ~{SMALL_PX} px wide; 'clear' = the "
             "others). Group photos: faces-smoke/_group-photos, 11 faces. Portraits: the other faces-smoke "
             f"photos ({len(portraits)}, one face each): share with at least one face found.", "",
             "| longer side | score >= | coco recall (all) | coco recall (clear) | coco precision | coco TP / FP "
             "| groups found / 11, false | portraits found | detector ms/photo (coco, median) |",
             "|---|---|---|---|---|---|---|---|---|"]
    keep = det.max_side
    for side in sides:
        det.max_side = side
        times, found = [], {}
        for name, im in coco:
            inp = det.prepare(im)
            t = time.perf_counter()
            found[name] = det.run(inp, 0.3)
            times.append((time.perf_counter() - t) * 1000)
        group_found = {name: det.detect(im, 0.3) for name, im in groups}
        portrait_found = [det.detect(im, 0.3) for _, im in portraits]
        for th in thresholds:
            s = coco_scores(found, th)
            g = {n: [d for d in v if d.score >= th] for n, v in group_found.items()}
            g_ok = sum(min(len(v), GROUP_FACES[n]) for n, v in g.items())
            g_fp = sum(max(0, len(v) - GROUP_FACES[n]) for n, v in g.items())
            p_ok = sum(any(d.score >= th for d in v) for v in portrait_found)
            lines.append(f"| {side} | {th} | {s['recall']:.2f} ({s['tp']}/{s['faces']}) | {s['recall_clear']:.2f} | "
                         f"{s['precision']:.2f} | {s['tp']} / {s['fp']} | {g_ok}, {g_fp} | "
                         f"{p_ok}/{len(portraits)} | {statistics.median(times):.0f} |")
    det.max_side = keep
    return lines + [""]


# --- quality ---------------------------------------------------------------------------------
def quality(faces: FaceModels, widths=(16, 24, 32, 48, 64, 96), sigmas=(1, 2, 3, 5)) -> list[str]:
    """Each faces-smoke portrait's best face: its descriptor at full size is the reference."""
    people = []
    for p in sorted(SMOKE.rglob("*")):
        if p.suffix.lower() not in (".jpg", ".jpeg", ".png") or p.parent.name == GROUPS.name:
            continue
        im = open_rgb(p)
        found = faces.detect(im)
        if found:
            people.append((p.parent.name, im, max(found, key=lambda f: f.score)))
    ref = {i: f.embedding for i, (_, _, f) in enumerate(people)}
    same = [cos(ref[i], ref[j]) for i in ref for j in ref if i < j and people[i][0] == people[j][0]
            and not people[i][0].startswith("fname")]
    diff = [cos(ref[i], ref[j]) for i in ref for j in ref if i < j and people[i][0] != people[j][0]]
    lines = ["## Quality: what size and blur do to a descriptor", "",
             f"{len(people)} faces-smoke portraits. For scale, cosine between full-size descriptors: same person "
             f"mean {np.mean(same):.3f} (min {min(same):.3f}, {len(same)} pairs), different people mean "
             f"{np.mean(diff):.3f} (max {max(diff):.3f}, {len(diff)} pairs).", "",
             "| face width (px) | cosine to own full-size descriptor: mean / min | sharpness mean | quality mean | "
             "usable (>= 0.5) |", "|---|---|---|---|---|"]
    for width in widths:
        sims, quals, sharp = [], [], []
        for i, (_, im, face) in enumerate(people):
            w = (face.box[2] - face.box[0]) * im.width
            if w <= width:
                continue
            f = width / w
            small = im.resize((max(1, round(im.width * f)), max(1, round(im.height * f))), Image.Resampling.BILINEAR)
            got = faces.detect(small)
            if not got:
                continue
            best = max(got, key=lambda g: g.score)
            sims.append(cos(best.embedding, ref[i]))
            quals.append(best.quality)
            src = faces.prepare(small)
            marks = np.asarray(best.landmarks) * [src.pixels.shape[1], src.pixels.shape[0]]
            px = face_px(best, src.pixels)
            sharp.append(sharpness(align_face(src.pixels, marks, faces.embedder.template, 150), px))
        if sims:
            lines.append(f"| {width} | {np.mean(sims):.3f} / {min(sims):.3f} (n={len(sims)}) | {np.mean(sharp):.0f} | "
                         f"{np.mean(quals):.2f} | {np.mean([q >= 0.5 for q in quals]):.0%} |")
    lines += ["", f"| blur sigma (px, at the photo's size) | chip sharpness (var. of Laplacian; ramp {SHARP_MIN:g}..{SHARP_FULL:g}) "
              "mean | cosine to own sharp descriptor: mean / min | quality mean |", "|---|---|---|---|"]
    sharp0 = []
    for _, im, face in people:
        src = faces.prepare(im)
        marks = np.asarray(face.landmarks) * [src.pixels.shape[1], src.pixels.shape[0]]
        px = face_px(face, src.pixels)
        sharp0.append(sharpness(align_face(src.pixels, marks, faces.embedder.template, 150), px))
    lines.append(f"| 0 | {np.mean(sharp0):.0f} | 1.000 / 1.000 | "
                 f"{np.mean([f.quality for _, _, f in people]):.2f} |")
    for sigma in sigmas:
        sims, quals, sharp = [], [], []
        for i, (_, im, face) in enumerate(people):
            scale = min(1.0, 960 / max(im.size))  # blur as seen at the analysed size
            got = faces.detect(im.filter(ImageFilter.GaussianBlur(sigma / scale)))
            if not got:
                continue
            best = max(got, key=lambda g: g.score)
            src = faces.prepare(im.filter(ImageFilter.GaussianBlur(sigma / scale)))
            marks = np.asarray(best.landmarks) * [src.pixels.shape[1], src.pixels.shape[0]]
            px = face_px(best, src.pixels)
            sharp.append(sharpness(align_face(src.pixels, marks, faces.embedder.template, 150), px))
            sims.append(cos(best.embedding, ref[i]))
            quals.append(best.quality)
        lines.append(f"| {sigma} | {np.mean(sharp):.0f} | {np.mean(sims):.3f} / {min(sims):.3f} | {np.mean(quals):.2f} |")
    return lines + [""]


# --- speed and indexing ------------------------------------------------------------------------
def photo_sets() -> tuple[list[Path], list[Path]]:
    with_faces = [COCO / n for n, v in COCO_FACES.items() if v[2]] + [GROUPS / n for n in GROUP_FACES]
    with_faces += sorted(p for p in SMOKE.rglob("*.jpg") if p.parent.name != GROUPS.name)[:10]
    without = [COCO / n for n, v in COCO_FACES.items() if v[0] == 0 and not v[2]][:len(with_faces)]
    return with_faces, without


def speed(faces: FaceModels, rounds: int = 2) -> list[str]:
    with_faces, without = photo_sets()
    faces.load()
    lines = ["## Face stage cost", "",
             "Per photo, after decoding: prepare (resizes: decode workers), detector (normalise, network, decoding, NMS), alignment + "
             "descriptors (coordinator), median over the photos and rounds.", "",
             "| photos | n | faces/photo | prepare ms | detector ms | align + describe ms | stage total ms |",
             "|---|---|---|---|---|---|---|"]
    for label, paths in (("with faces", with_faces), ("without faces", without)):
        images = [open_rgb(p) for p in paths]
        prep, detect, describe, counts = [], [], [], []
        for _ in range(rounds):
            for im in images:
                t0 = time.perf_counter()
                inp = faces.prepare(im)
                t1 = time.perf_counter()
                found = faces.detector.run(inp.detector)
                t2 = time.perf_counter()
                chips = [align_face(inp.pixels, d.landmarks, faces.embedder.template, 150) for d in found]
                faces.embedder.embed(chips)
                for d, c in zip(found, chips):
                    face_quality(d.box, c)
                t3 = time.perf_counter()
                prep.append((t1 - t0) * 1000)
                detect.append((t2 - t1) * 1000)
                describe.append((t3 - t2) * 1000)
                counts.append(len(found))
        total = [a + b + c for a, b, c in zip(prep, detect, describe)]
        lines.append(f"| {label} | {len(images)} | {np.mean(counts):.1f} | {statistics.median(prep):.0f} | "
                     f"{statistics.median(detect):.0f} | {statistics.median(describe):.0f} | {statistics.median(total):.0f} |")
    return lines + [""]


def index_time(bundle_settings_dir: Path | None = None) -> list[str]:
    from photoapp.core.library import Library
    from photoapp.core.models import load_bundle
    from photoapp.core.settings import Settings

    with_faces, without = photo_sets()
    work = Path(tempfile.mkdtemp(prefix="faces-bench-"))
    try:
        photos = work / "photos"
        photos.mkdir()
        for i, p in enumerate(with_faces + without):
            shutil.copy(p, photos / f"{i:03d}{p.suffix.lower()}")
        base = Settings(data_dir=work / "bundle", models_dir=MODELS)
        bundle = load_bundle(base).load()
        rows = {}
        for label, switch in (("faces on", {}), ("faces off", {"faces": False}),
                              ("faces on (again)", {}), ("faces off (again)", {"faces": False})):
            settings = Settings(data_dir=work / label.replace(" ", "-"), models_dir=MODELS, analyzers=switch)
            t = time.perf_counter()
            with Library.open(settings, bundle=bundle) as lib:
                lib.add_folder(photos)
                report = lib.index()
                n_faces = sum(len(d.faces) for d in lib.backend.iter_documents())
            rows[label] = (time.perf_counter() - t, report.indexed, n_faces)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = len(with_faces) + len(without)
    lines = ["## Effect on `photoapp index`", "",
             f"`Library.index` (every enabled analyzer, as `photoapp index`) on {n} photos ({len(with_faces)} with "
             f"faces, {len(without)} without) in a fresh data folder, one loaded bundle, runs alternating.", "",
             "| run | wall s | s/photo | photos indexed | faces stored |", "|---|---|---|---|---|"]
    for label, (secs, indexed, n_faces) in rows.items():
        lines.append(f"| {label} | {secs:.1f} | {secs / n:.2f} | {indexed} | {n_faces} |")
    on = statistics.mean([rows["faces on"][0], rows["faces on (again)"][0]])
    off = statistics.mean([rows["faces off"][0], rows["faces off (again)"][0]])
    lines += ["", f"Faces add {on - off:.1f} s over {n} photos ({(on - off) / n * 1000:.0f} ms/photo, "
              f"{(on / off - 1) * 100:+.0f}% of the index time).", ""]
    return lines


def parity() -> list[str]:
    manifest = json.loads((MODELS / "dlib-resnet-v1" / "manifest.json").read_text())
    p = manifest.get("parity", {})
    return ["## Descriptor parity with dlib", "",
            "Recorded by `PYTHONPATH=. /tmp/faces-conv/bin/python models/scripts/convert_face_embedder.py` "
            f"(dlib-bin 20.0.1, torch 2.13.0) on the faces dlib's HOG detector finds in faces-smoke ({p.get('faces')} faces):", "",
            "| level | measure |", "|---|---|",
            f"| network: ONNX vs dlib on dlib's own chips | max abs diff {p.get('max_abs_diff_onnx_vs_dlib'):.1e}, "
            f"min cosine {p.get('min_cosine_onnx_vs_dlib'):.7f} |",
            f"| chip cut: our warp with dlib's transform | cosine mean {p.get('mean_cosine_our_warp_vs_dlib_chip'):.4f}, "
            f"min {p.get('min_cosine_our_warp_vs_dlib_chip'):.4f} |",
            f"| whole path: RetinaFace landmarks + template vs dlib's detector + 5-point shape | cosine mean "
            f"{p.get('pipeline_mean_cosine_vs_dlib'):.4f}, min {p.get('pipeline_min_cosine_vs_dlib'):.4f}; "
            f"euclidean (dlib units, dlib's same-person rule < 0.6) mean {p.get('pipeline_mean_euclidean_vs_dlib'):.3f}, "
            f"max {p.get('pipeline_max_euclidean_vs_dlib'):.3f} |", ""]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=["detection", "quality", "speed", "index", "parity"])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    faces = load_faces()
    lines = ["# Faces: detection, quality, cost", "",
             f"Command: `python -m photoapp.bench.faces {' '.join('--only ' + s for s in args.only) if len(args.only) < 5 else ''}`"
             .rstrip(), "",
             f"Machine: {platform.machine()}, {os.cpu_count()} logical CPUs (shared with other jobs: ms are noisy), "
             f"onnxruntime CPU provider; {time.strftime('%Y-%m-%d')}.", ""]
    sections = {"detection": lambda: detection(faces), "quality": lambda: quality(faces),
                "speed": lambda: speed(faces), "index": index_time, "parity": parity}
    for name in args.only:
        t = time.perf_counter()
        part = sections[name]()
        print("\n".join(part), flush=True)
        print(f"({name}: {time.perf_counter() - t:.0f} s)", flush=True)
        lines += part
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
