"""Duplicate tiers (exact / same photo / same scene) measured on real photos and hard negatives.

Two sets, both built in memory (nothing written but ``--out``/``--cache``):

- **photos**: ``--originals`` photos drawn with a fixed seed from imagenet-sample and coco128
  get edited copies (``VARIANTS``: re-encodes, resizes, small crops, rotation, grayscale,
  brightness, an EXIF strip = same pixels); every other photo of the folders is a distractor;
  faces-smoke/franck (11 frames of one video) is one scene.
- **products** (the issue's hard case): plain-background product shots (the imagenet-sample
  photos with a white border, plus renders of different photos' objects cut out with one
  silhouette and placed on white) and clip-art (each symbol drawn in three different ways). All
  of them get copies; every pair of different objects or drawings is a hard negative.

Every picture is embedded by the real tagger and signed (``compute_phash``); then the real
``find_duplicates`` runs with a loader that rebuilds each picture on demand. Reported per tier:
pair precision and recall (a pair's predicted tier is its group's), the confusion of truth and
prediction, per-variant recall, and the timings. ``--scale N`` also times N synthetic documents.

    nice python -m photoapp.bench.duplicates --cache /tmp/dup-embeddings.npz \\
        --out photoapp/bench/results/duplicates.json
"""
from __future__ import annotations

import argparse
import io
import itertools
import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from photoapp.core.duplicates import TIERS, find_duplicates, group_pairs, verified_pairs
from photoapp.core.perceptual import compute_phash

EXTENSIONS = {".jpg", ".jpeg", ".png"}
Edit = Callable[[Image.Image], Image.Image]


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


def _levels(img: Image.Image, gain: float, offset: int) -> Image.Image:
    return Image.eval(img, lambda v: max(0, min(255, int(v * gain + offset))))


# name -> edit; "exact" = a byte-identical copy (one document, two paths); "exif-strip" = the
# same pixels in another file (a separate document).
VARIANTS: dict[str, Edit | None] = {
    "exact": None,
    "exif-strip": lambda im: im,
    "jpeg-q30": lambda im: _jpeg(im, 30),
    "jpeg-q55": lambda im: _jpeg(im, 55),
    "jpeg-q90": lambda im: _jpeg(im, 90),
    "resize-30": lambda im: _jpeg(_shrink(im, 0.3), 85),
    "resize-60": lambda im: _jpeg(_shrink(im, 0.6), 90),
    "crop-3": lambda im: _jpeg(_crop(im, 0.03, 0.03, 0.03, 0.03), 90),
    "crop-8": lambda im: _jpeg(_crop(im, 0.08, 0.08, 0.08, 0.08), 90),
    "crop8+resize60+q55": lambda im: _jpeg(_shrink(_crop(im, 0.08, 0.08, 0.08, 0.08), 0.6), 55),
    "crop-asym": lambda im: _jpeg(_crop(im, 0.15, 0.0, 0.0, 0.10), 80),
    "rotate-3": lambda im: _jpeg(_crop(im.rotate(3, Image.BICUBIC), 0.05, 0.05, 0.05, 0.05), 85),
    "brighter": lambda im: _jpeg(_levels(im, 0.8, 50), 85),
    "gray+q70": lambda im: _jpeg(ImageOps.grayscale(im).convert("RGB"), 70),
}
TRUTH_OF_VARIANT = {"exact": "exact", "exif-strip": "exact"}  # every other variant: "photo"


@dataclass
class Doc:
    id: str
    family: str  # the original a copy was made from ("same photo" truth)
    scene: str  # the scene a frame belongs to ("same scene" truth), else its family
    variant: str
    paths: list[str]
    load: Callable[[], Image.Image]
    phash: str = ""


@dataclass
class BenchSet:
    name: str
    docs: list[Doc] = field(default_factory=list)


def load_rgb(path: Path) -> Image.Image:
    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def list_photos(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in EXTENSIONS)


def add_with_copies(bench: BenchSet, key: str, load: Callable[[], Image.Image], variants: dict[str, Edit | None],
                    scene: str | None = None) -> None:
    """An original and its edited copies (``variants``; empty: a distractor)."""
    copies = "exact" in variants
    bench.docs.append(Doc(key, key, scene or key, "original", [key] + ([f"copies/{key}"] if copies else []), load))
    for variant, edit in variants.items():
        if edit is not None:
            bench.docs.append(Doc(f"{key}#{variant}", key, scene or key, variant, [f"{variant}/{key}"],
                                  lambda e=edit, f=load: e(f())))


def photos_set(datasets: Path, originals: int, seed: int, distractors: int = 0) -> BenchSet:
    bench = BenchSet("photos")
    photos = list_photos(datasets / "imagenet-sample") + list_photos(datasets / "coco128" / "images")
    if distractors:  # a sample of the folders (originals are drawn from it too)
        photos = sorted(random.Random(seed + 1).sample(photos, min(len(photos), distractors + originals)))
    chosen = set(random.Random(seed).sample(range(len(photos)), min(originals, len(photos))))
    for i, path in enumerate(photos):
        add_with_copies(bench, f"{path.parent.name}/{path.name}", lambda p=path: load_rgb(p),
                        VARIANTS if i in chosen else {})
    for path in list_photos(datasets / "faces-smoke" / "franck"):
        add_with_copies(bench, f"franck/{path.name}", lambda p=path: load_rgb(p), {}, scene="franck")
    return bench


# --- the product / clip-art set ---------------------------------------------------------------

def plain_background(img: Image.Image) -> bool:
    """A product shot: a white, even border all round."""
    a = np.asarray(img.convert("L").resize((100, 100)), dtype=np.float64)
    border = np.concatenate([a[:6].ravel(), a[-6:].ravel(), a[:, :6].ravel(), a[:, -6:].ravel()])
    return border.mean() > 225 and border.std() < 18


def silhouette(kind: int, size: tuple[int, int]) -> Image.Image:
    """One of a few object outlines (a vehicle-like, a bottle-like, a round one), as an L mask."""
    w, h = size
    mask = Image.new("L", size, 0)
    d = ImageDraw.Draw(mask)
    if kind == 0:  # two wheels and a body: a motorbike seen from the side
        d.ellipse((w * 0.12, h * 0.55, w * 0.38, h * 0.85), fill=255)
        d.ellipse((w * 0.62, h * 0.55, w * 0.88, h * 0.85), fill=255)
        d.polygon([(w * 0.25, h * 0.6), (w * 0.4, h * 0.35), (w * 0.65, h * 0.3), (w * 0.8, h * 0.6)], fill=255)
    elif kind == 1:
        d.rounded_rectangle((w * 0.38, h * 0.1, w * 0.62, h * 0.9), radius=w * 0.08, fill=255)
    else:
        d.ellipse((w * 0.2, h * 0.15, w * 0.8, h * 0.85), fill=255)
    return mask.filter(ImageFilter.GaussianBlur(2))


def cutout_on_white(source: Image.Image, kind: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A different photo's content inside one silhouette, on white: a synthetic product shot."""
    texture = ImageOps.fit(source, size)
    out = Image.new("RGB", size, (250, 250, 250))
    out.paste(texture, (0, 0), silhouette(kind, size))
    return out


def _star(cx, cy, r_out, r_in, points, turn=0.0):
    pts = []
    for k in range(points * 2):
        r = r_out if k % 2 == 0 else r_in
        a = math.pi * k / points - math.pi / 2 + turn
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return pts


def clip_art(symbol: int, drawing: int, size: tuple[int, int] = (600, 600)) -> Image.Image:
    """Symbol ``symbol`` drawn the ``drawing``-th way: the same idea with other proportions,
    strokes and details, as two icon sets draw one symbol. (Two renders that differ only by a
    uniform scale and a shift are one picture resized and cropped for any method, so each
    drawing changes the shape itself, by 12-30 %.)"""
    rng = random.Random(symbol * 100 + drawing)
    w, h = size
    img = Image.new("RGB", size, (255, 255, 255))
    d = ImageDraw.Draw(img)
    ink = [(20, 20, 20), (200, 30, 40), (30, 90, 200), (20, 140, 60)][rng.randrange(4)]
    style = symbol // 6 * 3 + drawing  # symbols s and s + 6 are the same kind, drawn other ways
    stroke = [10, 16, 24, 32, 12, 20][style % 6]
    shape = 1.0 + 0.12 * (style % 3) + 0.06 * (style // 3 % 2)  # the proportion that changes
    cx, cy = w / 2 + rng.uniform(-20, 20), h / 2 + rng.uniform(-20, 20)
    kind = symbol % 6
    if kind == 0:  # star: the inner radius and the number of points change
        pts = _star(cx, cy, 230, 80 * shape, 5 + style % 2, rng.uniform(-0.1, 0.1))
        d.polygon(pts, outline=ink, width=stroke, fill=None if style % 2 else ink)
    elif kind == 1:  # heart: the lobes' width against the height, the point's depth
        r = 110
        d.ellipse((cx - 2 * r * shape, cy - r * 1.6, cx, cy + r * 0.4), fill=ink)
        d.ellipse((cx, cy - r * 1.6, cx + 2 * r * shape, cy + r * 0.4), fill=ink)
        d.polygon([(cx - 2 * r * shape * 0.97, cy - r * 0.3), (cx + 2 * r * shape * 0.97, cy - r * 0.3),
                   (cx, cy + r * (2.6 - 0.5 * (style % 3)))], fill=ink)
        if style % 2:
            d.ellipse((cx - r * 1.3, cy - r * 1.1, cx - r * 0.8, cy - r * 0.6), fill=(255, 255, 255))
    elif kind == 2:  # arrow: the shaft's thickness and the head's length and width
        t = 14 * shape + 6 * (style % 2)
        head = 110 * shape
        d.rectangle((cx - 220, cy - t, cx + 220 - head, cy + t), fill=ink)
        d.polygon([(cx + 220, cy), (cx + 220 - head, cy - 80 - 30 * (style % 3)),
                   (cx + 220 - head, cy + 80 + 30 * (style % 3))], fill=ink)
    elif kind == 3:  # check mark in a circle: where the tick turns, how thick it is
        d.ellipse((cx - 230, cy - 230, cx + 230, cy + 230), outline=ink, width=stroke)
        d.line([(cx - 120 * shape, cy), (cx - 30, cy + 100 / shape), (cx + 140, cy - 110 * shape)],
               fill=ink, width=stroke + 8, joint="curve")
    elif kind == 4:  # gear: the number of teeth and their depth
        teeth = (8, 10, 12, 9, 11, 14)[style % 6]
        d.polygon(_star(cx, cy, 230, 230 - 40 * shape, teeth * 2, rng.uniform(0, 0.3)), fill=ink)
        d.ellipse((cx - 60 * shape, cy - 60 * shape, cx + 60 * shape, cy + 60 * shape), fill=(255, 255, 255))
    else:  # house: the roof's pitch, the walls' width, the door
        d.polygon([(cx - 220, cy - 20), (cx, cy - 150 * shape), (cx + 220, cy - 20)], fill=ink)
        d.rectangle((cx - 140 * shape, cy - 20, cx + 140 * shape, cy + 210), outline=ink, width=stroke)
        d.rectangle((cx - 30 * shape, cy + 80, cx + 30 * shape, cy + 200), fill=ink)
    return img


PRODUCT_VARIANTS = {k: VARIANTS[k] for k in ("exact", "jpeg-q55", "resize-60", "crop-8", "crop8+resize60+q55",
                                             "rotate-3", "gray+q70")}


def products_set(datasets: Path, cutouts: int, symbols: int, seed: int) -> BenchSet:
    bench = BenchSet("products")
    photos = list_photos(datasets / "imagenet-sample") + list_photos(datasets / "coco128" / "images")
    for path in photos:
        img = load_rgb(path)
        if plain_background(img):
            add_with_copies(bench, f"plain/{path.name}", lambda p=path: load_rgb(p), PRODUCT_VARIANTS)
    rng = random.Random(seed)
    for k, path in enumerate(rng.sample(photos, cutouts)):
        add_with_copies(bench, f"cutout/{k % 3}-{path.name}",
                        lambda p=path, kind=k % 3: cutout_on_white(load_rgb(p), kind), PRODUCT_VARIANTS)
    for s in range(symbols):
        for drawing in range(3):
            add_with_copies(bench, f"clipart/symbol{s}-drawing{drawing}.png",
                            lambda s=s, dr=drawing: clip_art(s, dr), PRODUCT_VARIANTS)
    return bench


# --- running and scoring ----------------------------------------------------------------------

def build_tagger(models_dir: Path, threads: int = 0):
    from photoapp.core.models.bundle import selected_manifest
    from photoapp.core.models.tagger import OnnxTagger

    return OnnxTagger(selected_manifest(models_dir, "tagger"), "cpu", threads)


class EmbeddingCache:
    """Picture key -> embedding, kept in an .npz between runs."""

    def __init__(self, path: Path | None):
        self.path = path
        self.items: dict[str, np.ndarray] = {}
        if path and path.exists():
            with np.load(path, allow_pickle=False) as data:
                keys = json.loads(str(data["keys"]))
                embeddings = np.array(data["embeddings"])
                self.items = {k: embeddings[i].copy() for i, k in enumerate(keys)}

    def save(self) -> None:
        if self.path and self.items:
            keys = sorted(self.items)
            np.savez(self.path, keys=np.array(json.dumps(keys)), embeddings=np.stack([self.items[k] for k in keys]))

    def embed(self, tagger, docs: list[Doc], batch: int = 16, log=print) -> None:
        todo = [d for d in docs if d.id not in self.items]
        t0 = time.perf_counter()
        for start in range(0, len(todo), batch):
            chunk = todo[start:start + batch]
            for d, r in zip(chunk, tagger.analyze([d.load() for d in chunk])):
                self.items[d.id] = r.embedding.astype(np.float32)
            if (start // batch) % 20 == 0:
                log(f"  embedded {start + len(chunk)}/{len(todo)} ({time.perf_counter() - t0:.0f} s)")
        if todo:
            self.save()


def truth(a: Doc, b: Doc) -> str | None:
    if a.family == b.family:
        variants = {a.variant, b.variant} - {"original"}
        # two copies of one original: exact only if both are the original's pixels
        return "exact" if variants and all(TRUTH_OF_VARIANT.get(v) == "exact" for v in variants) else "photo"
    if a.scene == b.scene:
        return "scene"
    return None


def evaluate(bench: BenchSet, cache: EmbeddingCache, log=print) -> dict:
    docs = bench.docs
    ids = [d.id for d in docs]
    from photoapp.core.duplicates import PhotoFacts

    facts = []
    for d in docs:
        img = d.load()
        d.phash = d.phash or compute_phash(img)
        facts.append(PhotoFacts(img.width, img.height))
    embeddings = np.stack([cache.items[i] for i in ids])
    pictures: dict[int, Image.Image] = {}

    def load(row: int, min_size: int | None) -> Image.Image:
        if row not in pictures:  # a copy rebuilds from its original: keep the last few
            if len(pictures) > 300:
                pictures.pop(next(iter(pictures)))
            pictures[row] = docs[row].load()
        return pictures[row]

    t0, c0 = time.perf_counter(), time.process_time()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 30:
            last[0] = time.perf_counter()
            log(f"  pairs {done}/{total} ({time.perf_counter() - t0:.0f} s)")

    paths = [d.paths for d in docs]
    pairs = verified_pairs(ids, embeddings, [d.phash for d in docs], facts=facts, load_picture=load,
                           progress=progress)
    groups = group_pairs(ids, paths, pairs)  # what find_duplicates returns
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    row = {d: i for i, d in enumerate(ids)}
    # A pair's found relation: the tightest tier whose links alone connect them (a group's
    # tier is its loosest link, so exact copies inside a "same photo" group still count as exact).
    predicted: dict[tuple[int, int], str] = {}
    for tier in reversed(TIERS):
        level = [p for p in pairs if TIERS.index(p.tier) <= TIERS.index(tier)]
        for g in group_pairs(ids, paths, level):
            for a, b in itertools.combinations(sorted(row[i] for i in g.ids), 2):
                predicted[(a, b)] = tier
    group_tier = {}
    for g in groups:
        for a, b in itertools.combinations(sorted(row[i] for i in g.ids), 2):
            group_tier[(a, b)] = g.tier
    by_family: dict[str, list[int]] = {}
    by_scene: dict[str, list[int]] = {}
    for i, d in enumerate(docs):
        by_family.setdefault(d.family, []).append(i)
        by_scene.setdefault(d.scene, []).append(i)
    truths: dict[tuple[int, int], str] = {}
    for rows in list(by_family.values()) + list(by_scene.values()):
        for a, b in itertools.combinations(sorted(rows), 2):
            t = truth(docs[a], docs[b])
            if t:
                truths[(a, b)] = t
    confusion = Counter()
    for pair in set(truths) | set(predicted):
        confusion[(truths.get(pair, "different"), predicted.get(pair, "none"))] += 1
    tiers = {}
    for t in TIERS:
        # cumulative: "at least this related" (an exact pair found as the same photo is not lost)
        rank = TIERS.index(t)
        pred = {p for p, v in predicted.items() if TIERS.index(v) <= rank}
        true = {p for p, v in truths.items() if TIERS.index(v) <= rank}
        exact_t = {p for p, v in predicted.items() if v == t}
        true_t = {p for p, v in truths.items() if v == t}
        tiers[t] = {"true_pairs": len(true_t), "predicted_pairs": len(exact_t),
                    "precision": round(len(exact_t & true_t) / len(exact_t), 4) if exact_t else None,
                    "recall": round(len(exact_t & true_t) / len(true_t), 4) if true_t else None,
                    "precision_at_least": round(len(pred & true) / len(pred), 4) if pred else None,
                    "recall_at_least": round(len(pred & true) / len(true), 4) if true else None,
                    "wrong_pairs_at_least": len(pred - true)}
    variants = {}
    originals = {d.family: i for i, d in enumerate(docs) if d.variant == "original"}
    for i, d in enumerate(docs):
        if d.variant in ("original",):
            continue
        pair = (min(i, originals[d.family]), max(i, originals[d.family]))
        found = predicted.get(pair)
        v = variants.setdefault(d.variant, {"n": 0, "found": 0, "as_expected_tier": 0})
        v["n"] += 1
        v["found"] += found is not None
        v["as_expected_tier"] += found == TRUTH_OF_VARIANT.get(d.variant, "photo")
    exact_copies = [d for d in docs if d.variant == "original" and len(d.paths) > 1]
    variants["exact"] = {"n": len(exact_copies), "found": sum(any(set(d.paths) <= set(g.paths) for g in groups)
                                                              for d in exact_copies)}
    variants["exact"]["as_expected_tier"] = variants["exact"]["found"]  # one document: exact by construction
    wrong = [(ids[a], ids[b], predicted[(a, b)]) for (a, b) in predicted if (a, b) not in truths]
    shown_as = Counter((truths.get(p, "different"), t) for p, t in group_tier.items())
    return {"set": bench.name, "documents": len(docs), "groups": len(groups),
            "groups_per_tier": dict(Counter(g.tier for g in groups)),
            "find_duplicates_s": round(elapsed, 2), "find_duplicates_cpu_s": round(cpu, 2),
            "tiers": tiers,
            "confusion": {f"{t}->{p}": n for (t, p), n in sorted(confusion.items())},
            "shown_in_group_of_tier": {f"{t}->{p}": n for (t, p), n in sorted(shown_as.items())},
            "variants": {k: {**v, "recall": round(v["found"] / v["n"], 4) if v["n"] else None}
                         for k, v in variants.items()},
            "wrong_pair_examples": wrong[:15]}


def forced_negatives(bench: BenchSet) -> dict:
    """Every pair of *different* originals of the set through the local check, whatever the
    candidate stage would have proposed: what the verification alone lets through."""
    from photoapp.core.duplicates import SCENE_SCREEN, PhotoFacts, pair_tier
    from photoapp.core.local_match import features_of, match, match_dense
    from photoapp.core.perceptual import best_alignment, parse_signature, picture_similarity

    originals = [d for d in bench.docs if d.variant == "original"]
    feats = [features_of(d.load()) for d in originals]
    sigs = [parse_signature(d.phash or compute_phash(d.load())) for d in originals]
    counts = Counter()
    worst = []
    for a, b in itertools.combinations(range(len(originals)), 2):
        if truth(originals[a], originals[b]):
            continue
        sim = picture_similarity(sigs[a], sigs[b])
        counts["signature>=0.85"] += sim >= 0.85
        if sim < SCENE_SCREEN:  # never verified: the screen stops it
            counts["screened out"] += 1
            continue
        local = match(feats[a], feats[b])
        tier = pair_tier(local, sim, PhotoFacts(), PhotoFacts())
        if tier != "photo" and sim >= 0.85:
            dense = match_dense(feats[a], feats[b], best_alignment(sigs[a], sigs[b]))
            if pair_tier(dense, sim, PhotoFacts(), PhotoFacts()) == "photo":
                tier = "photo"
        counts[tier or "none"] += 1
        worst.append((round(sim, 3), local.inliers, originals[a].id, originals[b].id, tier))
    worst.sort(reverse=True)
    return {"pairs": sum(v for k, v in counts.items() if not k.startswith("signature") and k != "screened out"),
            "as": dict(counts), "closest_by_signature": worst[:8]}


def scale_run(n: int, seed: int = 0, log=print) -> dict:
    """find_duplicates on ``n`` synthetic documents (clustered embeddings, tiny generated
    pictures, 2% with a re-encoded copy): the candidate, screening and verification times."""
    from photoapp.core.duplicates import PhotoFacts

    rng = np.random.default_rng(seed)
    # Clusters of ~50 look-alikes whose members are at cosine ~0.7 of each other, as photos of one
    # kind of thing are: every photo brings its 20 neighbours to the signature screen.
    centres = rng.standard_normal((max(1, n // 50), 256)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    emb = centres[rng.integers(0, len(centres), n)] + rng.standard_normal((n, 256)).astype(np.float32) * (0.65 / 16)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)

    def picture(i: int) -> Image.Image:
        r = np.random.default_rng(i)
        base = (r.random((6, 8, 3)) * 255).astype(np.uint8)
        img = Image.fromarray(base, "RGB").resize((160, 120), Image.BICUBIC)
        d = ImageDraw.Draw(img)
        for _ in range(6):
            x, y = r.integers(0, 140), r.integers(0, 100)
            d.rectangle((x, y, x + r.integers(8, 50), y + r.integers(8, 40)), fill=tuple(int(c) for c in r.integers(0, 256, 3)))
        return img

    copies = {int(i): n + k for k, i in enumerate(rng.choice(n, n // 50, replace=False))}
    total = n + len(copies)
    originals_of = {v: k for k, v in copies.items()}
    t0 = time.perf_counter()
    phashes = [compute_phash(picture(i) if i < n else _jpeg(picture(originals_of[i]), 55)) for i in range(total)]
    sign_s = time.perf_counter() - t0
    emb_all = np.concatenate([emb, emb[list(copies)] + rng.standard_normal((len(copies), 256)).astype(np.float32) * 0.01])
    emb_all /= np.linalg.norm(emb_all, axis=1, keepdims=True)

    def load(row: int, min_size: int | None) -> Image.Image:
        return picture(row) if row < n else _jpeg(picture(originals_of[row]), 55)

    t0, c0 = time.perf_counter(), time.process_time()
    groups = find_duplicates([str(i) for i in range(total)], emb_all, phashes, [[f"/p/{i}.jpg"] for i in range(total)],
                             facts=[PhotoFacts()] * total, load_picture=load)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    found = sum(any({str(i), str(j)} <= set(g.ids) for g in groups) for i, j in copies.items())
    from photoapp.core.duplicates import CANDIDATE_SIMILARITY, NEIGHBOURS, embedding_candidates

    candidates = len(embedding_candidates(emb_all, CANDIDATE_SIMILARITY, NEIGHBOURS))
    return {"documents": total, "copies": len(copies), "found": found, "groups": len(groups),
            "candidate_pairs": candidates,
            "signatures_s": round(sign_s, 1), "find_duplicates_s": round(elapsed, 1), "cpu_s": round(cpu, 1)}


def main(argv: list[str] | None = None) -> int:
    shared = Path(__file__).resolve().parents[3] / "shared" / "datasets"
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", type=Path, default=shared)
    ap.add_argument("--originals", type=int, default=150, help="photos of the photos set that get edited copies")
    ap.add_argument("--cutouts", type=int, default=45, help="synthetic product shots")
    ap.add_argument("--symbols", type=int, default=12, help="clip-art symbols (3 drawings each)")
    ap.add_argument("--sets", default="products,photos")
    ap.add_argument("--distractors", type=int, default=0, help="photos set: a sample of this many photos (0: all)")
    ap.add_argument("--scale", type=int, default=0, help="also time N synthetic documents")
    ap.add_argument("--models", type=Path, default=None)
    ap.add_argument("--cache", type=Path, default=None, help="embedding cache .npz (created if missing)")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="write the report as JSON here")
    args = ap.parse_args(argv)
    from photoapp.core.settings import Settings

    def log(m):
        print(m, file=sys.stderr, flush=True)

    report: dict = {}
    wanted = args.sets.split(",")
    benches = []
    if "products" in wanted:
        benches.append(products_set(args.datasets, args.cutouts, args.symbols, args.seed))
    if "photos" in wanted:
        benches.append(photos_set(args.datasets, args.originals, args.seed, args.distractors))
    if benches:
        tagger = build_tagger(args.models or Settings().models_dir, args.threads)
        cache = EmbeddingCache(args.cache)
        for bench in benches:
            log(f"{bench.name}: {len(bench.docs)} documents; embeddings...")
            cache.embed(tagger, bench.docs, log=log)
            log(f"{bench.name}: find_duplicates...")
            report[bench.name] = evaluate(bench, cache, log=log)
            if bench.name == "products":
                report[bench.name]["forced_negatives"] = forced_negatives(bench)
            log(json.dumps(report[bench.name]["tiers"]))
    if args.scale:
        log(f"scale: {args.scale} synthetic documents...")
        report["scale"] = scale_run(args.scale, args.seed, log=log)
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
