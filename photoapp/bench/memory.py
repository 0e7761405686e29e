"""Peak memory of `photoapp index`, measured by `/usr/bin/time -v` around a fresh process.

Two libraries (the targets of issue 12):
  giants    60 ordinary photos + four 12000x12000 PNGs   (target: peak RSS <= 1 GB)
  imagenet  ../shared/datasets/imagenet-sample, 1,000 photos (target: <= 800 MB)

    python -m photoapp.bench.memory                          # this checkout
    python -m photoapp.bench.memory --repo /tmp/old-checkout # another checkout, same models

Each run indexes into a new data folder, so it measures a first index. The giant PNGs are made
once (smooth content, each a little different so none is skipped as a copy) and cached in
--work. Peak RSS includes the models, the index and the decode stage.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
DATASETS = REPO.parent / "shared" / "datasets"
GIANT_SIDE = 12000


def giant_pngs(folder: Path, count: int = 4, side: int = GIANT_SIDE) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = [folder / f"giant-{i}.png" for i in range(count)]
    if all(p.exists() for p in out):
        return out
    rng = np.random.default_rng(12)
    small = Image.fromarray(rng.integers(0, 255, (96, 96, 3), dtype=np.uint8), "RGB")
    base = np.asarray(small.resize((side, side), Image.Resampling.BICUBIC)).copy()
    for i, path in enumerate(out):
        base[i * 10:(i + 1) * 10, :, :] = 255 - base[i * 10:(i + 1) * 10, :, :]  # distinct bytes
        tmp = path.with_suffix(".tmp")
        Image.fromarray(base).save(tmp, "PNG", compress_level=1)
        tmp.replace(path)
    return out


def library_folder(kind: str, work: Path) -> Path:
    if kind == "imagenet":
        src = DATASETS / "imagenet-sample"
        if not src.is_dir():
            sys.exit(f"{src} not found")
        return src
    folder = work / "giants-library"
    if folder.is_dir():
        return folder
    folder.mkdir(parents=True)
    ordinary = sorted((DATASETS / "coco128" / "images" / "train2017").glob("*.jpg"))[:60]
    if len(ordinary) < 60:
        sys.exit("coco128 photos not found (../shared/datasets)")
    for p in ordinary:
        shutil.copy2(p, folder / p.name)
    for p in giant_pngs(work / "giants"):
        os.link(p, folder / p.name) if p.stat().st_dev == folder.stat().st_dev else shutil.copy2(p, folder)
    return folder


def peak_rss_mb(repo: Path, python: str, folder: Path, models: Path) -> tuple[float, float, str]:
    data = Path(tempfile.mkdtemp(prefix="photoapp-mem-"))
    try:
        env = dict(os.environ, PYTHONPATH=str(repo), PHOTOAPP_MODELS_DIR=str(models))
        cmd = ["/usr/bin/time", "-v", python, "-m", "photoapp.cli.main", "--data-dir", str(data),
               "index", str(folder)]
        start = time.monotonic()
        r = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
        elapsed = time.monotonic() - start
        if r.returncode != 0:
            sys.exit(f"index failed ({r.returncode}):\n{r.stderr[-3000:]}")
        kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1))
        return kb / 1024, elapsed, r.stdout.strip().splitlines()[-1]
    finally:
        shutil.rmtree(data, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--library", choices=["giants", "imagenet", "both"], default="both")
    ap.add_argument("--repo", type=Path, default=REPO, help="checkout to measure (default: this one)")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--models", type=Path, default=REPO / "models")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "photoapp-bench-memory")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    kinds = ["giants", "imagenet"] if args.library == "both" else [args.library]
    results = []
    for kind in kinds:
        folder = library_folder(kind, args.work)
        mb, s, summary = peak_rss_mb(args.repo.resolve(), args.python, folder, args.models)
        results.append({"library": kind, "repo": str(args.repo), "peak_rss_mb": round(mb),
                        "seconds": round(s, 1), "summary": summary})
        print(f"{kind:>9}: peak RSS {mb:7.0f} MB in {s:6.1f} s   ({summary})", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
