"""Cluster quality against known classes: plain k-means on the raw embedding (the baseline)
vs the default method of photoapp.core.clusters, same k, same run.

Ground truth:
- imagenet-sample: each photo's class grouped by a WordNet ancestor (dog, bird, fish, vehicle,
  food, ...; first match in ``IMAGENET_GROUPS``, from the shipped vocabulary's hypernyms);
  photos whose class falls in none of the groups are left out of the scores.
- coco128: the class with the largest total box area in the photo's label file.

Reported per dataset and method: purity, NMI, silhouette and Davies-Bouldin in the method's own
space, and silhouette in the common raw-cosine space; then the automatic k choice.

    python -m photoapp.bench.clusters --imagenet ../shared/datasets/imagenet-sample \\
        --coco ../shared/datasets/coco128 --cache /tmp/dup-embeddings.npz
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from photoapp.bench.duplicates import EmbeddingCache, build_tagger, list_photos, load_rgb, picture_key
from photoapp.core.clusters import DEFAULT_METHOD, cluster_embeddings

# (group, WordNet ancestors that put a class in it), first match wins.
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


def imagenet_truth(folder: Path, vocabulary_path: Path) -> dict[Path, str]:
    from photoapp.core.models.vocabulary import WordNetVocabulary

    vocab = WordNetVocabulary.from_file(vocabulary_path)
    by_wnid = {c["wnid"]: c["label"] for c in json.loads(vocabulary_path.read_text())["concepts"]}
    truth = {}
    for path in list_photos([folder]):
        label = by_wnid.get(path.name.split("_")[0])
        if label is None:
            continue
        ancestors = vocab.ancestors(label) | {label}
        group = next((g for g, keys in IMAGENET_GROUPS if ancestors & set(keys)), None)
        if group:
            truth[path] = group
    return truth


def coco_truth(folder: Path) -> dict[Path, str]:
    names = {}
    for line in (folder / "object_detection" / "config.yaml").read_text().splitlines():
        key, _, value = line.strip().partition(":")
        if key.isdigit() and value.strip():
            names[int(key)] = value.strip()
    truth = {}
    for path in list_photos([folder / "images"]):
        label_file = folder / "object_detection" / "labels" / path.parent.name / (path.stem + ".txt")
        if not label_file.exists():
            continue
        area: dict[int, float] = {}
        for row in label_file.read_text().split("\n"):
            parts = row.split()
            if len(parts) == 5:
                area[int(parts[0])] = area.get(int(parts[0]), 0.0) + float(parts[3]) * float(parts[4])
        if area:
            truth[path] = names.get(max(area, key=area.get), "?")
    return truth


def purity(truth: list[str], labels: dict[str, int], ids: list[str]) -> float:
    by_cluster: dict[int, dict[str, int]] = {}
    for doc_id, cls in zip(ids, truth):
        counts = by_cluster.setdefault(labels[doc_id], {})
        counts[cls] = counts.get(cls, 0) + 1
    return sum(max(c.values()) for c in by_cluster.values()) / len(ids)


def evaluate(name: str, truth: dict[Path, str], cache: EmbeddingCache, tagger, vocabulary,
             seed: int, methods: list[str], log=print) -> dict:
    from sklearn.metrics import normalized_mutual_info_score, silhouette_score

    paths = sorted(truth)
    cache.embed(tagger, [(picture_key(p), lambda p=p: load_rgb(p)) for p in paths], log=log)
    ids = [picture_key(p) for p in paths]
    x = np.stack([cache.items[i][0] for i in ids])
    tags = {i: vocabulary.expand([tuple(c) for c in cache.items[i][1]], []) for i in ids}
    classes = [truth[p] for p in paths]
    k = len(set(classes))
    out: dict = {"photos": len(ids), "classes": k, "k": k, "methods": {}}
    for method in methods:
        t0 = time.perf_counter()
        res = cluster_embeddings(ids, x, tags, k=k, seed=seed, method=method)
        seconds = time.perf_counter() - t0
        pred = [res.assignment[i] for i in ids]
        out["methods"][method] = {
            "purity": round(purity(classes, res.assignment, ids), 4),
            "nmi": round(float(normalized_mutual_info_score(classes, pred)), 4),
            "silhouette_own_space": round(res.silhouette, 4),
            "davies_bouldin_own_space": round(res.davies_bouldin, 4),
            "silhouette_raw_cosine": round(float(silhouette_score(x, pred, metric="cosine")), 4),
            "seconds": round(seconds, 2),
            "example_names": [f"{c.name} ({c.size})" for c in res.clusters[:8]],
        }
        log(f"{name} {method}: {out['methods'][method]}")
    t0 = time.perf_counter()
    auto = cluster_embeddings(ids, x, tags, k=None, seed=seed)
    pred = [auto.assignment[i] for i in ids]
    out["auto_k"] = {"method": DEFAULT_METHOD, "k": auto.k, "seconds": round(time.perf_counter() - t0, 2),
                     "purity": round(purity(classes, auto.assignment, ids), 4),
                     "nmi": round(float(normalized_mutual_info_score(classes, pred)), 4),
                     "silhouette": round(auto.silhouette, 4), "davies_bouldin": round(auto.davies_bouldin, 4)}
    return out


def main(argv: list[str] | None = None) -> int:
    shared = Path(__file__).resolve().parents[3] / "shared" / "datasets"
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--imagenet", type=Path, default=shared / "imagenet-sample")
    ap.add_argument("--coco", type=Path, default=shared / "coco128")
    ap.add_argument("--models", type=Path, default=None, help="models folder (default: Settings)")
    ap.add_argument("--cache", type=Path, default=None, help="embedding cache .npz (created if missing)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--methods", default="raw,embedding,semantic")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    from photoapp.core.models.bundle import read_layout
    from photoapp.core.models.vocabulary import WordNetVocabulary
    from photoapp.core.settings import Settings

    models_dir = args.models or Settings().models_dir
    vocab_path = models_dir / read_layout(models_dir)["vocabulary"]
    vocabulary = WordNetVocabulary.from_file(vocab_path)
    tagger = build_tagger(models_dir, args.threads)
    cache = EmbeddingCache(args.cache)
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    methods = args.methods.split(",")
    report = {}
    if args.imagenet.is_dir():
        report["imagenet-sample"] = evaluate("imagenet-sample", imagenet_truth(args.imagenet, vocab_path),
                                             cache, tagger, vocabulary, args.seed, methods, log)
    if args.coco.is_dir():
        report["coco128"] = evaluate("coco128", coco_truth(args.coco), cache, tagger, vocabulary,
                                     args.seed, methods, log)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
