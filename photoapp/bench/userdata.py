"""Ratings at library scale: how long rating a selection, undoing it and filtering on ratings
take on the embedded index (synthetic documents, no model run, real Library and SQLite files).

    python -m photoapp.bench.userdata --size 20000 --out /tmp/userdata-bench

Prints one line per measurement; a selection is rated, favourited and undone as the GUI does it
(one ``Library`` call each, mirrored into the index).
"""
from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from ..core.settings import Settings, default_models_dir
from .synthetic_library import SyntheticLibrary, label_list


def run(size: int, out: Path, selections: list[int]) -> list[str]:
    from ..core.library import Library
    from ..core.models import load_bundle

    if out.exists():
        shutil.rmtree(out)
    settings = Settings(data_dir=out / "appdata", models_dir=default_models_dir())
    bundle = load_bundle(settings)
    lines = []
    with Library.open(settings, bundle=bundle) as lib:
        synthetic = SyntheticLibrary(size, label_list(None), bundle.vocabulary)
        t0 = time.perf_counter()
        ids = []
        for start in range(0, size, 1000):
            docs = list(synthetic.documents(start, min(size, start + 1000), embeddings=False))
            for k, doc in enumerate(docs):
                doc.id = f"{start + k:032x}"  # the shape of a content hash (what the GUI passes)
            lib.backend.upsert(docs)
            ids += [d.id for d in docs]
        lib.backend.flush()
        lines.append(f"loaded {size:,} documents in {time.perf_counter() - t0:.1f} s")
        for n in selections:
            chosen = ids[:n]
            t = time.perf_counter()
            lib.set_rating(chosen, 4)
            rate_s = time.perf_counter() - t
            t = time.perf_counter()
            lib.set_favorite(chosen, True)
            fav_s = time.perf_counter() - t
            t = time.perf_counter()
            hits = lib.search("rating>=4 favorite", limit=n + 10)
            search_s = time.perf_counter() - t
            t = time.perf_counter()
            lib.undo()
            lib.undo()
            undo_s = time.perf_counter() - t
            assert len(hits) == min(n, n + 10), (len(hits), n)
            assert not lib.search("rating>=4", limit=10)
            lines.append(f"selection {n:>6,}: rate {rate_s * 1000:8.1f} ms, favourite {fav_s * 1000:8.1f} ms, "
                         f"search 'rating>=4 favorite' {search_s * 1000:7.1f} ms ({len(hits):,} hits), "
                         f"undo both {undo_s * 1000:8.1f} ms")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/photoapp-userdata-bench"))
    parser.add_argument("--selections", type=int, nargs="+", default=[1, 100, 1000, 10000])
    args = parser.parse_args(argv)
    for line in run(args.size, args.out, [n for n in args.selections if n <= args.size]):
        print(line, flush=True)


if __name__ == "__main__":
    main()
