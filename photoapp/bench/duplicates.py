"""Near-duplicate evaluation on edited copies of real photos.

For N originals (drawn with a fixed seed from the given folders) it makes, in memory, the
variants below, embeds every picture with the real tagger and computes its picture signature,
then runs the real ``find_duplicates``. Every other photo of the folders takes part as a
distractor (an original without copies), so the wrong pairs include different photos of the
same kind of thing (the embedding's nearest neighbours).

Reported: per-variant recall of (original, copy) pairs (same group), wrong pairs (two photos
of different originals in one group), the same for an embedding-only threshold (what the issue
says does not work), the candidate stage's own recall, and timings.

    python -m photoapp.bench.duplicates --originals 200 \\
        --folder ../shared/datasets/imagenet-sample --folder ../shared/datasets/coco128/images \\
        --cache /tmp/dup-embeddings.npz

Nothing is written except the optional ``--cache`` (embeddings, to re-run quickly) and ``--out``.
"""
from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from photoapp.core.duplicates import (
    CANDIDATE_SIMILARITY,
    NEIGHBOURS,
    embedding_candidates,
    find_duplicates,
)
from photoapp.core.perceptual import compute_phash, parse_signature, picture_similarity

DEFAULT_FOLDERS = ("imagenet-sample", "coco128/images")
EXTENSIONS = {".jpg", ".jpeg", ".png"}


def _jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def _crop(img: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    w, h = img.size
    return img.crop((round(w * left), round(h * top), round(w * (1 - right)), round(h * (1 - bottom))))


def _shrink(img: Image.Image, frac: float) -> Image.Image:
    return img.resize((max(1, round(img.width * frac)), max(1, round(img.height * frac))), Image.LANCZOS)


# name -> edit. "exact" is a byte-identical copy: one document with two paths.
VARIANTS: dict[str, Callable[[Image.Image], Image.Image] | None] = {
    "exact": None,
    "jpeg-q55": lambda im: _jpeg(im, 55),
    "resize-60": lambda im: _jpeg(_shrink(im, 0.6), 90),
    "crop-8": lambda im: _jpeg(_crop(im, 0.08, 0.08, 0.08, 0.08), 90),
    "crop8+resize60+q55": lambda im: _jpeg(_shrink(_crop(im, 0.08, 0.08, 0.08, 0.08), 0.6), 55),
    "crop-asym": lambda im: _jpeg(_crop(im, 0.15, 0.0, 0.0, 0.10), 80),
    "rotate-3": lambda im: _jpeg(_crop(im.rotate(3, Image.BICUBIC), 0.05, 0.05, 0.05, 0.05), 85),
    "gray+q70": lambda im: _jpeg(ImageOps.grayscale(im).convert("RGB"), 70),
}


def list_photos(folders: list[Path]) -> list[Path]:
    photos = []
    for folder in folders:
        photos += sorted(p for p in folder.rglob("*") if p.suffix.lower() in EXTENSIONS)
    return photos


def picture_key(path: Path) -> str:
    """Cache key / document id of a photo: its folder and file name."""
    return str(path.relative_to(path.parents[1]))


def load_rgb(path: Path) -> Image.Image:
    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def build_tagger(models_dir: Path, threads: int = 0):
    """Just the tagger of the bundle (the benchmarks need no detector)."""
    from photoapp.core.models.bundle import selected_manifest
    from photoapp.core.models.tagger import OnnxTagger

    # the precision bundle.json selects (int8 by default), as the app runs it
    return OnnxTagger(selected_manifest(models_dir, "tagger"), "cpu", threads)


class EmbeddingCache:
    """(key -> embedding, top classes) kept in an .npz between runs, keyed by picture name."""

    def __init__(self, path: Path | None):
        self.path = path
        self.items: dict[str, tuple[np.ndarray, list]] = {}
        if path and path.exists():
            with np.load(path, allow_pickle=False) as data:
                keys = json.loads(str(data["keys"]))
                tops = json.loads(str(data["top_classes"]))
                embeddings = np.array(data["embeddings"])  # read once: each access re-reads
                for i, k in enumerate(keys):
                    self.items[k] = (embeddings[i].copy(), tops[i])

    def save(self) -> None:
        if not self.path or not self.items:
            return
        keys = sorted(self.items)
        np.savez(self.path, keys=np.array(json.dumps(keys)),
                 embeddings=np.stack([self.items[k][0] for k in keys]),
                 top_classes=np.array(json.dumps([self.items[k][1] for k in keys])))

    def embed(self, tagger, keyed_images: list[tuple[str, Callable[[], Image.Image]]],
              batch: int = 16, log=print) -> None:
        todo = [(k, f) for k, f in keyed_images if k not in self.items]
        t0 = time.perf_counter()
        for start in range(0, len(todo), batch):
            chunk = todo[start:start + batch]
            results = tagger.analyze([f() for _, f in chunk])
            for (k, _), r in zip(chunk, results):
                self.items[k] = (r.embedding.astype(np.float32), [list(c) for c in r.top_classes])
            if (start // batch) % 10 == 0:
                log(f"  embedded {start + len(chunk)}/{len(todo)} ({time.perf_counter() - t0:.0f} s)")
        if todo:
            self.save()


def run(folders: list[Path], originals: int, threshold: float, models_dir: Path,
        cache_path: Path | None, seed: int = 0, threads: int = 0, log=print) -> dict:
    photos = list_photos(folders)
    if len(photos) < 2:
        raise SystemExit(f"no photos found under {', '.join(map(str, folders))}")
    chosen = set(random.Random(seed).sample(range(len(photos)), min(originals, len(photos))))
    names = [picture_key(p) for p in photos]

    # Pictures: originals and, for the chosen ones, their edited copies.
    log(f"{len(photos)} photos, {len(chosen)} with edited copies; signatures...")
    docs = []  # (doc id, family, variant, paths, phash, make-image)
    phash_ms = []
    for i, path in enumerate(photos):
        base = load_rgb(path)
        t0 = time.perf_counter()
        ph = compute_phash(base)
        phash_ms.append((time.perf_counter() - t0) * 1000)
        orig_paths = [names[i]] + ([f"copies/{names[i]}"] if i in chosen else [])
        docs.append((names[i], i, "original", orig_paths, ph, lambda p=path: load_rgb(p)))
        if i not in chosen:
            continue
        for variant, edit in VARIANTS.items():
            if edit is None:
                continue
            img = edit(base)
            t0 = time.perf_counter()
            ph = compute_phash(img)
            phash_ms.append((time.perf_counter() - t0) * 1000)
            docs.append((f"{names[i]}#{variant}", i, variant, [f"{variant}/{names[i]}"], ph,
                         lambda p=path, e=edit: e(load_rgb(p))))

    log(f"{len(docs)} documents; embeddings (tagger)...")
    tagger = build_tagger(models_dir, threads)
    cache = EmbeddingCache(cache_path)
    cache.embed(tagger, [(d[0], d[5]) for d in docs], log=log)
    ids = [d[0] for d in docs]
    family = np.array([d[1] for d in docs])
    variant_of = [d[2] for d in docs]
    embeddings = np.stack([cache.items[i][0] for i in ids])
    phashes = [d[4] for d in docs]
    paths = [d[3] for d in docs]

    t0, c0 = time.perf_counter(), time.process_time()
    groups = find_duplicates(ids, embeddings, phashes, paths, threshold)
    dup_s, dup_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    row = {d: r for r, d in enumerate(ids)}
    group_of = np.full(len(ids), -1)
    for g, grp in enumerate(groups):
        for d in grp.ids:
            group_of[row[d]] = g

    report: dict = {"photos": len(photos), "originals_with_copies": len(chosen), "documents": len(ids),
                    "threshold": threshold, "find_duplicates_s": round(dup_s, 2),
                    "find_duplicates_cpu_s": round(dup_cpu_s, 2),
                    "phash_ms_median": round(float(np.median(phash_ms)), 3),
                    "phash_ms_p99": round(float(np.percentile(phash_ms, 99)), 3)}
    # Recall per variant: the copy is in its original's group.
    orig_row = {d[1]: row[d[0]] for d in docs if d[2] == "original"}
    recall = {}
    for variant, edit in VARIANTS.items():
        if edit is None:  # exact copies: one document, both paths in one group
            hit = [any(f"copies/{names[i]}" in g.paths and names[i] in g.paths for g in groups)
                   for i in sorted(chosen)]
        else:
            hit = [group_of[row[f"{names[i]}#{variant}"]] >= 0
                   and group_of[row[f"{names[i]}#{variant}"]] == group_of[orig_row[i]] for i in sorted(chosen)]
        recall[variant] = round(float(np.mean(hit)), 4)
    report["recall"] = recall
    wrong = 0
    for grp in groups:
        fams = [family[row[d]] for d in grp.ids]
        wrong += sum(1 for a in range(len(fams)) for b in range(a + 1, len(fams)) if fams[a] != fams[b])
    report["wrong_pairs"] = wrong
    report["groups"] = len(groups)

    # The stages on their own, pair by pair (original vs each copy; different families).
    candidates = embedding_candidates(embeddings, CANDIDATE_SIMILARITY, NEIGHBOURS)
    cand_set = {(a, b) for a, b, _ in candidates}
    sims = embeddings @ embeddings.T
    stage = {}
    for variant, edit in VARIANTS.items():
        if edit is None:
            continue
        pairs = [(orig_row[i], row[f"{names[i]}#{variant}"]) for i in sorted(chosen)]
        cos = np.array([sims[a, b] for a, b in pairs])
        stage[variant] = {"candidate_recall": round(float(np.mean([(min(a, b), max(a, b)) in cand_set
                                                                    for a, b in pairs])), 4),
                          "embedding_cosine_min": round(float(cos.min()), 3),
                          "embedding_cosine_median": round(float(np.median(cos)), 3)}
    report["stages"] = stage
    negatives = [(a, b, s) for a, b, s in candidates if family[a] != family[b]]
    sigs = [parse_signature(p) for p in phashes]
    t0 = time.perf_counter()
    neg_scores = np.array([picture_similarity(sigs[a], sigs[b]) for a, b, _ in negatives])
    verify_ms = (time.perf_counter() - t0) * 1000 / max(1, len(negatives))
    neg_cos = np.array([s for _, _, s in negatives])
    report["negative_candidates"] = {
        "pairs": len(negatives),
        "embedding_cosine_max": round(float(neg_cos.max()), 3) if len(neg_cos) else None,
        "with_cosine_ge_0.69": int((neg_cos >= 0.69).sum()),
        "picture_similarity_max": round(float(neg_scores.max()), 3) if len(neg_scores) else None,
        "picture_similarity_p99": round(float(np.percentile(neg_scores, 99)), 3) if len(neg_scores) else None,
        "verify_ms_per_pair": round(verify_ms, 2),
    }
    # Threshold sweep, pair by pair: (original, copy) candidate pairs vs different-photo pairs.
    pos_scores = {}
    for variant, edit in VARIANTS.items():
        if edit is None:
            continue
        pairs = [(orig_row[i], row[f"{names[i]}#{variant}"]) for i in sorted(chosen)]
        found = [(min(a, b), max(a, b)) in cand_set for a, b in pairs]
        scores = np.array([picture_similarity(sigs[a], sigs[b]) for a, b in pairs])
        pos_scores[variant] = np.where(found, scores, -1.0)  # not a candidate: never found
        stage[variant]["picture_similarity_min"] = round(float(scores.min()), 3)
    report["sweep"] = {f"{t:.2f}": {"recall": {v: round(float((s >= t).mean()), 4) for v, s in pos_scores.items()},
                                    "wrong_pairs": int((neg_scores >= t).sum())}
                       for t in (0.70, 0.75, 0.80, 0.85, 0.90)}
    # What an embedding-only rule would do (same pairs: originals vs copies, different photos).
    hard = [(orig_row[i], row[f"{names[i]}#crop8+resize60+q55"]) for i in sorted(chosen)]
    off_diag = sims[family[:, None] != family[None, :]]
    report["embedding_only"] = {
        f"{t:.2f}": {"recall_crop8+resize60+q55": round(float(np.mean([sims[a, b] >= t for a, b in hard])), 4),
                     "wrong_pairs": int((off_diag >= t).sum() // 2)}
        for t in (0.69, 0.8, 0.9, 0.95)}
    return report


def main(argv: list[str] | None = None) -> int:
    shared = Path(__file__).resolve().parents[3] / "shared" / "datasets"
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folder", action="append", type=Path,
                    help="photo folder (repeatable); default: imagenet-sample and coco128 under ../shared/datasets")
    ap.add_argument("--originals", type=int, default=200, help="photos that get edited copies")
    ap.add_argument("--threshold", type=float, default=None, help="default: Settings().duplicate_threshold")
    ap.add_argument("--models", type=Path, default=None, help="models folder (default: Settings)")
    ap.add_argument("--cache", type=Path, default=None, help="embedding cache .npz (created if missing)")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="write the report as JSON here")
    args = ap.parse_args(argv)
    from photoapp.core.settings import Settings

    settings = Settings()
    folders = args.folder or [shared / f for f in DEFAULT_FOLDERS]
    threshold = args.threshold if args.threshold is not None else settings.duplicate_threshold
    report = run(folders, args.originals, threshold, args.models or settings.models_dir, args.cache,
                 args.seed, args.threads, log=lambda m: print(m, file=sys.stderr))
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
