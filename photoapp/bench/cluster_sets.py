"""Evaluation sets for clustering whose labels are NOT the tagger's classes.

Every set maps a picture key (neutral: folder + file name, or a crop id) to a loader and a
ground-truth label that the ImageNet tagger never saw as a label, so a method that clusters by
the tags cannot score by copying them:

- ``coco-dominant``: coco128 photos, label = the COCO class with the largest total box area.
- ``coco-super``: the same photos, label = that class's COCO supercategory (vehicle, animal,
  food, furniture, ...): coarser groups, another k.
- ``coco-objects``: crops of the larger coco128 boxes (with 10% context), label = COCO class,
  at most ``OBJECTS_PER_CLASS`` per class (largest first) so "person" does not swamp the set.
- ``faces``: faces-smoke by person (a smoke set: most people have one photo).
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

EXTENSIONS = {".jpg", ".jpeg", ".png"}

# COCO supercategories by class id (the 80-class order of coco128's config.yaml).
COCO_SUPER = ([(0, "person")] + [(i, "vehicle") for i in range(1, 9)] + [(i, "outdoor") for i in range(9, 14)]
              + [(i, "animal") for i in range(14, 24)] + [(i, "accessory") for i in range(24, 29)]
              + [(i, "sports") for i in range(29, 39)] + [(i, "kitchen") for i in range(39, 46)]
              + [(i, "food") for i in range(46, 56)] + [(i, "furniture") for i in range(56, 62)]
              + [(i, "electronic") for i in range(62, 68)] + [(i, "appliance") for i in range(68, 73)]
              + [(i, "indoor") for i in range(73, 80)])
OBJECTS_PER_CLASS = 24
OBJECT_MIN_AREA = 0.03  # of the image
OBJECT_MIN_SIDE = 48  # pixels
MIN_CLASS_SIZE = 4  # classes with fewer members are left out of a set


@dataclass
class EvalSet:
    name: str
    what: str
    loaders: dict[str, Callable[[], Image.Image]]  # key -> image
    truth: dict[str, str]  # key -> label

    def keep_classes_of_size(self, minimum: int) -> "EvalSet":
        counts: dict[str, int] = {}
        for label in self.truth.values():
            counts[label] = counts.get(label, 0) + 1
        truth = {k: v for k, v in self.truth.items() if counts[v] >= minimum}
        return EvalSet(self.name, self.what, {k: self.loaders[k] for k in truth}, truth)


def _coco_names(folder: Path) -> dict[int, str]:
    names = {}
    for line in (folder / "object_detection" / "config.yaml").read_text().splitlines():
        key, _, value = line.strip().partition(":")
        if key.isdigit() and value.strip():
            names[int(key)] = value.strip()
    return names


def _coco_boxes(folder: Path, path: Path) -> list[tuple[int, float, float, float, float]]:
    label_file = folder / "object_detection" / "labels" / path.parent.name / (path.stem + ".txt")
    if not label_file.exists():
        return []
    rows = []
    for row in label_file.read_text().split("\n"):
        parts = row.split()
        if len(parts) == 5:
            rows.append((int(parts[0]), *map(float, parts[1:])))
    return rows


def coco_dominant(folder: Path, super_category: bool = False) -> EvalSet:
    names, supers = _coco_names(folder), dict(COCO_SUPER)
    loaders, truth = {}, {}
    for path in list_photos([folder / "images"]):
        area: dict[int, float] = {}
        for cls, _, _, w, h in _coco_boxes(folder, path):
            area[cls] = area.get(cls, 0.0) + w * h
        if area:
            cls = max(area, key=area.get)
            key = picture_key(path)
            truth[key] = supers.get(cls, "?") if super_category else names.get(cls, "?")
            loaders[key] = lambda p=path: load_rgb(p)
    if super_category:
        return EvalSet("coco-super", "coco128 photos by the COCO supercategory of their dominant object",
                       loaders, truth).keep_classes_of_size(MIN_CLASS_SIZE)
    return EvalSet("coco-dominant", "coco128 photos by dominant object (largest total box area)",
                   loaders, truth).keep_classes_of_size(MIN_CLASS_SIZE)


def coco_objects(folder: Path) -> EvalSet:
    names = _coco_names(folder)
    candidates: dict[int, list[tuple[float, Path, tuple]]] = {}
    for path in list_photos([folder / "images"]):
        with Image.open(path) as im:
            width, height = im.size
        for i, (cls, cx, cy, w, h) in enumerate(_coco_boxes(folder, path)):
            if w * h < OBJECT_MIN_AREA or min(w * width, h * height) < OBJECT_MIN_SIDE:
                continue
            box = (max(0.0, cx - w * 0.6), max(0.0, cy - h * 0.6), min(1.0, cx + w * 0.6), min(1.0, cy + h * 0.6))
            candidates.setdefault(cls, []).append((w * h, path, (i, box)))
    loaders, truth = {}, {}
    for cls, items in candidates.items():
        items.sort(key=lambda t: (-t[0], str(t[1]), t[2][0]))
        for _, path, (i, box) in items[:OBJECTS_PER_CLASS]:
            key = f"object-{path.stem}-{i}"  # neutral: no class name in the key
            truth[key] = names.get(cls, "?")
            loaders[key] = lambda p=path, b=box: _crop(p, b)
    return EvalSet("coco-objects", f"crops of coco128 boxes (>= {OBJECT_MIN_AREA:.0%} of the image), "
                   f"by COCO class, at most {OBJECTS_PER_CLASS} per class", loaders,
                   truth).keep_classes_of_size(MIN_CLASS_SIZE)


def _crop(path: Path, box: tuple[float, float, float, float]) -> Image.Image:
    im = load_rgb(path)
    w, h = im.size
    return im.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))


def faces(folder: Path) -> EvalSet:
    loaders, truth = {}, {}
    for person in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("_")):
        for path in list_photos([person]):
            key = f"face-{path.stem}"
            truth[key] = person.name
            loaders[key] = lambda p=path: load_rgb(p)
    return EvalSet("faces", "faces-smoke photos by person (smoke set: most people have 1-2 photos)",
                   loaders, truth)


def list_photos(folders: list[Path]) -> list[Path]:
    return [p for folder in folders for p in sorted(folder.rglob("*")) if p.suffix.lower() in EXTENSIONS]


def picture_key(path: Path) -> str:
    """A photo's key: its folder and file name (neutral: coco ids, no class in it)."""
    return str(path.relative_to(path.parents[1]))


def load_rgb(path: Path) -> Image.Image:
    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


class EmbeddingCache:
    """key -> (embedding, top classes), kept in an .npz between runs."""

    def __init__(self, path: Path | None):
        self.path = path
        self.items: dict[str, tuple[np.ndarray, list]] = {}
        if path and path.exists():
            with np.load(path, allow_pickle=False) as data:
                keys = json.loads(str(data["keys"]))
                tops = json.loads(str(data["top_classes"]))
                embeddings = np.array(data["embeddings"])
                for i, k in enumerate(keys):
                    self.items[k] = (embeddings[i].copy(), tops[i])

    def embed(self, tagger, loaders: dict[str, Callable[[], Image.Image]], batch: int = 16, log=print) -> None:
        todo = [(k, f) for k, f in sorted(loaders.items()) if k not in self.items]
        t0 = time.perf_counter()
        for start in range(0, len(todo), batch):
            chunk = todo[start:start + batch]
            for (k, _), r in zip(chunk, tagger.analyze([f() for _, f in chunk])):
                self.items[k] = (r.embedding.astype(np.float32), [list(c) for c in r.top_classes])
            if (start // batch) % 10 == 0:
                log(f"  embedded {start + len(chunk)}/{len(todo)} ({time.perf_counter() - t0:.0f} s)")
        if todo and self.path:
            keys = sorted(self.items)
            np.savez(self.path, keys=np.array(json.dumps(keys)),
                     embeddings=np.stack([self.items[k][0] for k in keys]),
                     top_classes=np.array(json.dumps([self.items[k][1] for k in keys])))


def build_tagger(models_dir: Path, threads: int = 0):
    """The bundle's tagger at the precision the app runs (the benchmark needs no detector)."""
    from photoapp.core.models.bundle import selected_manifest
    from photoapp.core.models.tagger import OnnxTagger

    return OnnxTagger(selected_manifest(models_dir, "tagger"), "cpu", threads)


def build_sets(datasets: Path) -> list[EvalSet]:
    sets = []
    coco = datasets / "coco128"
    if coco.is_dir():
        sets += [coco_dominant(coco), coco_dominant(coco, super_category=True), coco_objects(coco)]
    if (datasets / "faces-smoke").is_dir():
        sets.append(faces(datasets / "faces-smoke"))
    return sets
