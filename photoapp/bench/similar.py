"""Similar-photo retrieval quality: raw cosine on photoapp's own embedding (what the tags
analyzer stores) against the re-ranking of photoapp.core.similar_rerank, on category-level sets
that are not ImageNet's 1,000 classes.

Sets (built from ../shared/datasets, photos under neutral names: only the pixels are used):
- coco-dominant: coco128's 256 photos, class = the class with the largest total box area.
- coco-objects: crops of coco128's ground-truth boxes (at least 96 px on the short side, 15%
  context margin), class = the box's class, at most 25 crops per class (seeded).
- faces: faces-smoke by person (a smoke set: 36 photos, one person has 11 frames of a video).
- imagenet-groups (reference only, ``--imagenet``): imagenet-sample grouped into 19 broad
  WordNet groups; its classes are the model's own, so it never decides anything.

Each photo of a set queries the others (itself excluded); queries whose class has no other photo
are skipped. Metric: P@7 = mean precision of the first 7 results. The re-ranker sees only what it
sees in the app: the query vector and the backend's top candidates with their vectors.

    python -m photoapp.bench.similar --cache /tmp/similar-embeddings.npz

Writes photoapp/bench/results/similar.md (``--out`` to change, ``--no-write`` to only print).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .cluster_sets import _coco_boxes, _coco_names  # one reader of coco128's labels for every bench

SHARED = Path(__file__).resolve().parents[3] / "shared" / "datasets"
DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "models"
RESULTS = Path(__file__).parent / "results" / "similar.md"
EXTENSIONS = {".jpg", ".jpeg", ".png"}
TOP = 7

# A sample: (cache key, class, loader of the picture).
Sample = tuple[str, str, Callable[[], Image.Image]]


def _open_rgb(path: Path) -> Image.Image:
    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def _coco_photos(folder: Path) -> list[Path]:
    return sorted(p for p in (folder / "images").rglob("*") if p.suffix.lower() in EXTENSIONS)


def coco_dominant(folder: Path) -> list[Sample]:
    names = _coco_names(folder)
    samples = []
    for photo in _coco_photos(folder):
        area: dict[int, float] = {}
        for cls, _, _, w, h in _coco_boxes(folder, photo):
            area[cls] = area.get(cls, 0.0) + w * h
        if area:
            samples.append((f"coco/{photo.parent.name}/{photo.name}", names[max(area, key=area.get)],
                            lambda p=photo: _open_rgb(p)))
    return samples


def coco_objects(folder: Path, min_side: int = 96, per_class: int = 25, seed: int = 0) -> list[Sample]:
    names = _coco_names(folder)
    by_class: dict[str, list[Sample]] = {}
    for photo in _coco_photos(folder):
        with Image.open(photo) as im:
            width, height = im.size
        for n, (cls, cx, cy, w, h) in enumerate(_coco_boxes(folder, photo)):
            if min(w * width, h * height) < min_side:
                continue
            box = (max(0, (cx - w * 0.65) * width), max(0, (cy - h * 0.65) * height),
                   min(width, (cx + w * 0.65) * width), min(height, (cy + h * 0.65) * height))
            by_class.setdefault(names[cls], []).append(
                (f"crop/{photo.parent.name}/{photo.stem}-{n}", names[cls],
                 lambda p=photo, b=box: _open_rgb(p).crop(tuple(round(v) for v in b))))
    rng = random.Random(seed)
    samples = []
    for cls in sorted(by_class):
        group = by_class[cls]
        samples += rng.sample(group, per_class) if len(group) > per_class else group
    return samples


def faces(folder: Path) -> list[Sample]:
    return [(f"faces/{p.parent.name}/{p.name}", p.parent.name, lambda p=p: _open_rgb(p))
            for p in sorted(folder.glob("*/*")) if p.suffix.lower() in EXTENSIONS
            and not p.parent.name.startswith("_")]


# (group, WordNet ancestors that put a class in it), first match wins (as bench/clusters.py).
IMAGENET_GROUPS = [
    ("dog", ["dog"]), ("bird", ["bird"]), ("fish", ["fish"]),
    ("insect/spider", ["insect", "arachnid"]), ("reptile/amphibian", ["reptile", "amphibian (vertebrate)"]),
    ("crustacean/mollusk", ["crustacean", "mollusk"]), ("primate", ["primate"]), ("cat", ["feline"]),
    ("ungulate", ["ungulate"]), ("other mammal", ["mammal"]), ("vehicle", ["vehicle", "craft"]),
    ("clothing", ["clothing", "headdress"]), ("musical instrument", ["musical instrument"]),
    ("food", ["food", "produce"]), ("fungus", ["fungus"]), ("furniture", ["furniture", "furnishing"]),
    ("container", ["vessel (container)", "box", "bottle"]), ("building", ["building", "establishment"]),
    ("landscape", ["geological formation"]),
]


def imagenet_groups(folder: Path) -> list[Sample]:
    from photoapp.core.models.vocabulary import WordNetVocabulary

    vocabulary_path = DEFAULT_MODELS / "vocabulary" / "vocabulary.json"
    vocab = WordNetVocabulary.from_file(vocabulary_path)
    by_wnid = {c["wnid"]: c["label"] for c in json.loads(vocabulary_path.read_text())["concepts"]}
    samples = []
    for photo in sorted(p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS):
        label = by_wnid.get(photo.name.split("_")[0])
        if label is None:
            continue
        ancestors = vocab.ancestors(label) | {label}
        group = next((g for g, keys in IMAGENET_GROUPS if ancestors & set(keys)), None)
        if group:
            samples.append((f"imagenet/{photo.name}", group, lambda p=photo: _open_rgb(p)))
    return samples


class Embedder:
    """The tagger of the shipped bundle (int8 by default, as the app runs it), embeddings kept in
    an .npz between runs (keyed by sample key)."""

    def __init__(self, models_dir: Path, cache: Path | None):
        self.models_dir, self.cache = models_dir, cache
        self.tagger = None
        self.items: dict[str, np.ndarray] = {}
        if cache and cache.exists():
            with np.load(cache, allow_pickle=False) as data:
                keys, vectors = json.loads(str(data["keys"])), np.array(data["embeddings"])
                self.items = {k: vectors[i] for i, k in enumerate(keys)}

    def embed(self, samples: list[Sample]) -> np.ndarray:
        from photoapp.core.decode import decode_image

        todo = [s for s in samples if s[0] not in self.items]
        if todo and self.tagger is None:
            from photoapp.core.models.bundle import selected_manifest
            from photoapp.core.models.tagger import OnnxTagger

            self.tagger = OnnxTagger(selected_manifest(self.models_dir, "tagger"), "cpu", 0)
        side = max(self.tagger.input_size) if self.tagger else 0
        for start in range(0, len(todo), 16):
            batch = todo[start:start + 16]
            # decoded as the app decodes a photo it is given (Library.similar on an outside file)
            images = [decode_image(load(), key, side).image for key, _, load in batch]
            for (key, _, _), result in zip(batch, self.tagger.analyze(images)):
                self.items[key] = result.embedding
        if todo and self.cache:
            keys = sorted(self.items)
            np.savez(self.cache, keys=np.array(json.dumps(keys)),
                     embeddings=np.stack([self.items[k] for k in keys]))
        return np.stack([self.items[s[0]] for s in samples]).astype(np.float32)


def precision_at(ranked_labels: np.ndarray, label: str, top: int = TOP) -> float:
    return float(np.mean(ranked_labels[:top] == label))


def evaluate(vectors: np.ndarray, labels: np.ndarray, settings, candidates: int) -> dict:
    """Mean P@7 over every photo whose class has another photo, as Library.similar ranks: the
    backend's ``candidates`` nearest by cosine (query excluded), re-ranked by ``settings``
    (None = raw cosine). Also the scores of relevant and other results (for the cutoff)."""
    from photoapp.core.similar_rerank import rerank_scores

    counts = {c: int(n) for c, n in zip(*np.unique(labels, return_counts=True))}
    gram = vectors @ vectors.T
    precisions, relevant_scores, other_scores = [], [], []
    for i in range(len(vectors)):
        if counts[labels[i]] < 2:
            continue
        sims = gram[i].copy()
        sims[i] = -np.inf
        cand = np.argsort(-sims, kind="stable")[:candidates]
        scores = sims[cand] if settings is None else rerank_scores(vectors[i], vectors[cand], settings)
        order = cand[np.argsort(-scores, kind="stable")]
        ranked = np.sort(scores)[::-1]
        precisions.append(precision_at(labels[order], labels[i]))
        # scores of everything in the first 20, relevant or not: what a cutoff would keep
        hit = labels[order[:20]] == labels[i]
        relevant_scores += ranked[:20][hit].tolist()
        other_scores += ranked[:20][~hit].tolist()
    return {"p7": float(np.mean(precisions)), "queries": len(precisions),
            "relevant": np.array(relevant_scores), "other": np.array(other_scores)}


def cutoff_rows(results: list[dict], thresholds) -> list[tuple[float, float, float]]:
    """(threshold, share of relevant results kept, precision of what is kept), pooled over sets,
    over the first 20 results of every query."""
    relevant = np.concatenate([r["relevant"] for r in results])
    other = np.concatenate([r["other"] for r in results])
    rows = []
    for t in thresholds:
        kept_rel, kept_other = int((relevant >= t).sum()), int((other >= t).sum())
        rows.append((t, kept_rel / max(len(relevant), 1), kept_rel / max(kept_rel + kept_other, 1)))
    return rows


def main(argv: list[str] | None = None) -> int:
    from photoapp.core.similar_rerank import CANDIDATES, DEFAULT, DEFAULT_MIN_SCORE, RerankSettings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--coco", type=Path, default=SHARED / "coco128")
    ap.add_argument("--faces", type=Path, default=SHARED / "faces-smoke")
    ap.add_argument("--imagenet", type=Path, default=SHARED / "imagenet-sample",
                    help="reference set (the model's own classes, grouped): reported, never decides")
    ap.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    ap.add_argument("--cache", type=Path, help="embeddings .npz kept between runs")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    builders = {"coco-dominant": lambda: coco_dominant(args.coco),
                "coco-objects": lambda: coco_objects(args.coco),
                "faces (smoke)": lambda: faces(args.faces),
                "imagenet-groups (ref.)": lambda: imagenet_groups(args.imagenet)}
    embedder = Embedder(args.models, args.cache)
    data = {}
    for name, build in builders.items():
        try:
            samples = build()
        except OSError as exc:
            print(f"skipping {name}: {exc}", file=sys.stderr)
            continue
        data[name] = (embedder.embed(samples), np.array([s[1] for s in samples]))
    R = RerankSettings
    configs = {"raw cosine (baseline)": None, "**default** (sqrt + centre + alpha-QE 3, alpha 1)": DEFAULT,
               "sqrt + centre only": R(qe_n=0), "alpha-QE 3 only (raw space)": R(power=1, centre=False),
               "DBA 3 + alpha-QE 3 (raw space)": R(power=1, centre=False, dba_k=3),
               "sqrt + centre + DBA 3 + alpha-QE 3": R(dba_k=3), "sqrt + centre + DBA 3": R(dba_k=3, qe_n=0),
               "sqrt + centre + DBA 3 + alpha-QE 3, alpha 3": R(dba_k=3, alpha=3.0),
               "sqrt + centre + DBA 5 + alpha-QE 5": R(dba_k=5, qe_n=5)}
    lines = ["# Similar photos: retrieval quality", "",
             f"Command: `python -m photoapp.bench.similar{' --cache ' + str(args.cache) if args.cache else ''}`", "",
             f"P@{TOP} (mean precision of the first {TOP} results, query excluded) over every photo whose "
             f"class has another photo. Re-ranking sees what the app sees: the query vector and the "
             f"backend's {CANDIDATES} nearest candidates by cosine with their stored vectors.", "",
             "| method | " + " | ".join(f"{n} ({len(d[1])} photos)" for n, d in data.items()) + " |",
             "|---|" + "---|" * len(data)]
    results: dict[str, dict] = {}
    for label, settings in configs.items():
        row = []
        for name, (vectors, labels) in data.items():
            t0 = time.perf_counter()
            res = evaluate(vectors, labels, settings, CANDIDATES)
            res["ms"] = (time.perf_counter() - t0) * 1000 / max(res["queries"], 1)
            results[(label, name)] = res
            base = results[("raw cosine (baseline)", name)]["p7"]
            row.append(f"{res['p7']:.3f}" + ("" if settings is None else f" ({(res['p7'] - base) * 100:+.1f})"))
        lines.append(f"| {label} | " + " | ".join(row) + " |")
        print(lines[-1], flush=True)
    default_label = list(configs)[1]
    chosen = [results[(default_label, n)] for n in data if "ref." not in n]
    lines += ["", f"Relevance cutoff (default method; first 20 results of every query of the non-reference "
              f"sets pooled): share of the relevant results kept, and precision of what is kept. "
              f"Default `--min-score` = {DEFAULT_MIN_SCORE}.", "",
              "| min score | relevant kept | precision of kept |", "|---|---|---|"]
    for t, kept, prec in cutoff_rows(chosen, [-0.2, -0.1, 0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5]):
        lines.append(f"| {t:.2f} | {kept:.2f} | {prec:.2f} |")
    lines += ["", "Re-ranking cost per query (numpy, 100 candidates, this machine): "
              + ", ".join(f"{n}: {results[(default_label, n)]['ms'] - results[('raw cosine (baseline)', n)]['ms']:.1f} ms"
                          for n in data), ""]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
