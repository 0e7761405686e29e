"""Text in photos: what the text stage reads, and what it costs.

    python -m photoapp.bench.ocr [--photos 200] [--renders 60] [--skip-index]

Measures, with the real PP-OCR models (core/ocr) and the analyzer's own two calls (``prepare``
= the probe, ``run`` = reading):

* ms per ordinary photo on imagenet-sample (few have text), split into photos the probe let go
  (detection only) and photos it read (recognition too), and the load average meanwhile (the
  machine is shared);
* word recall and precision on ../shared/datasets/text-photos (labels.json holds the words to
  expect; precision = share of the words read that are among the expected ones, on the photos
  whose labels list every word: the sign crops and the short paragraphs), and on renders made
  here: words drawn on imagenet photos as signs with perspective, blur and small sizes;
* search: for each labelled word, is its photo in the top 10 of ``text:WORD`` (embedded index);
* ``photoapp index`` on imagenet-sample with and without the text stage: the first, searchable
  pass (stage 1) must not get slower, and how much the whole index takes with text.

Writes photoapp/bench/results/ocr.md.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

DATASETS = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets"
IMAGENET = DATASETS / "imagenet-sample"
TEXT_PHOTOS = DATASETS / "text-photos"
RESULTS = Path(__file__).parent / "results" / "ocr.md"

# Words for the renders: street signs, shop fronts, labels (upper and mixed case, accents).
SIGN_WORDS = ["PARKING", "EXIT", "BAKERY", "Pharmacy", "Museum", "STOP", "Station", "Hotel",
              "Café", "OPEN", "Library", "Garden", "Bistro", "Theatre", "POLICE", "Market",
              "Fromagerie", "Zürich", "Harbour", "Bicycle"]


# Measured once by hand (2026-12-01, same machine, one ONNX Runtime thread, CPU time) while
# choosing; kept here so the results file says why the engine looks the way it does.
NOTES = [
    "## Choices (measured once while tuning, CPU time, one thread)", "",
    "* Probe side: 320 px finds text on the same 12 of 13 text-photos as 256 px (opencv_scenetext_word04, "
    "a stylised 'Produkt', is missed at both) and reads the same words; 256 px costs 24 ms of detector "
    "CPU per photo instead of 34 ms. imagenet-sample: 36 of 100 photos read at 320 px, 28 at 256 px.",
    "* Page-like photos (most pixels light and colourless, PAGE_SHARE 0.7) are read whole: without it "
    "ocrmypdf_linn (a 2550x3300 scan) gave 23 of 306 words, as its body print is ~2 px high at probe "
    "scale; with it 291. imagenet-sample's 95th percentile of that share is 0.59.",
    "* Probe box threshold (mean text probability): 0.6 on ordinary photos sends 49 of 200 imagenet "
    "photos to reading instead of 58 (CPU 67 -> 51 ms/photo); on page-like photos it stays 0.5, as at "
    "0.6 the faint blocks of a page's print were missed (text-photos recall fell to 0.28).",
    "* Lines padded to 2:1 instead of PaddleOCR's 320x48: same recall, imagenet CPU 97 -> 83 ms/photo.",
    "* int8: ONNX Runtime static QDQ quantisation of the detector (opset 13, per channel, 40 imagenet "
    "calibration photos) ran at 33 ms vs 34 ms fp32 and flipped up to 18% of the probe's text mask: kept fp32.",
    "* PP-OCRv4 (PyPI rapidocr-onnxruntime): detector 17.7 ms vs 23.9 ms (v6 small) at 256 px, recogniser "
    "23.9 vs 22.3 ms per 48x160 line. Not taken: a second package for 6 ms, and the issue prefers v6.",
    "",
]
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian fonts-dejavu-core (.ci/run)


def has_accents_font() -> bool:
    """Pillow's own font has no accented letters; DejaVu has."""
    return DEJAVU.is_file()


def font(size: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans when installed (accents: "Café"), else Pillow's bundled TrueType font (offline,
    on every Pillow with FreeType; ASCII only)."""
    if DEJAVU.is_file():
        return ImageFont.truetype(str(DEJAVU), size)
    return ImageFont.load_default(size=size)


def render_sign(background: Image.Image, words: str, *, height_share: float = 0.12,
                tilt: float = 0.0, blur: float = 0.0, seed: int = 0,
                colors: tuple[str, str] = ("white", "black")) -> Image.Image:
    """``words`` on a sign pasted on ``background``: text ``height_share`` of the photo high,
    the sign seen at an angle (``tilt`` 0..0.3: perspective), then the whole photo blurred."""
    rng = random.Random(seed)
    photo = background.convert("RGB").copy()
    size = max(8, int(photo.height * height_share))
    f = font(size)
    left, top, right, bottom = f.getbbox(words)
    pad = size // 3
    sign = Image.new("RGB", (right - left + 2 * pad, bottom - top + 2 * pad), colors[0])
    ImageDraw.Draw(sign).text((pad - left, pad - top), words, font=f, fill=colors[1])
    if tilt:
        w, h = sign.size
        d = tilt * h
        # Perspective: the right edge farther away (shorter) than the left.
        coeffs = _perspective_coeffs([(0, 0), (w, d), (w, h - d), (0, h)], [(0, 0), (w, 0), (w, h), (0, h)])
        sign = sign.transform(sign.size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC,
                              fillcolor=None)
        mask = Image.new("L", sign.size, 255).transform(sign.size, Image.Transform.PERSPECTIVE, coeffs,
                                                        Image.Resampling.BICUBIC)
    else:
        mask = None
    if sign.width > photo.width - 4:
        scale = (photo.width - 4) / sign.width
        sign = sign.resize((photo.width - 4, max(1, int(sign.height * scale))))
        mask = mask.resize(sign.size) if mask is not None else None
    x = rng.randint(2, max(2, photo.width - sign.width - 2))
    y = rng.randint(2, max(2, photo.height - sign.height - 2))
    photo.paste(sign, (x, y), mask)
    if blur:
        photo = photo.filter(ImageFilter.GaussianBlur(blur))
    return photo


def _perspective_coeffs(src, dst) -> list[float]:
    """Coefficients for Image.transform(PERSPECTIVE) mapping output points ``dst`` to ``src``."""
    import numpy as np

    rows = []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=np.float64)
    b = np.array([c for p in src for c in p], dtype=np.float64)
    return list(np.linalg.solve(a, b))


PUNCT = ".,;:!?\"'()[]{}"


def fold(text: str) -> str:
    from ..core.ocr.words import fold as fold_text

    return fold_text(text)


def read_words(lines) -> list[str]:
    """Words of recognised lines as compared with the labels: folded, punctuation stripped."""
    from ..core.ocr.words import tokens

    return [w for line in lines for w in tokens(line.text)]


def expected_words(words: list[str]) -> list[str]:
    from ..core.ocr.words import tokens

    return [w for word in words for w in tokens(word)]


class _Bundle:
    """The analyzer only needs compute settings from a bundle."""

    class tagger:  # noqa: N801 - attribute access like ModelBundle.tagger.model.compute
        class model:  # noqa: N801
            compute, threads = "cpu", 1  # one thread: CPU time is then the work, not spinning


def _stage(analyzer, image: Image.Image):
    """Probe then read, timed apart: (lines, probe seconds, read seconds, read at all?)."""
    t0 = time.perf_counter()
    probe = analyzer.prepare(_Bundle, image)
    t1 = time.perf_counter()
    lines = analyzer.run(_Bundle, [probe])[0]
    return lines, t1 - t0, time.perf_counter() - t1, probe.has_text


def ordinary_photos(analyzer, files: list[Path]) -> dict:
    from ..core.decode import decode_file
    from ..core.analyzers.text import INPUT_SIDE

    images = [decode_file(str(p), INPUT_SIDE).image for p in files]
    for im in images[:3]:  # sessions made and warm before timing
        _stage(analyzer, im)
    load0 = os.getloadavg()[0]
    probe_only, read = [], []  # (wall, cpu) seconds per photo
    lines_found = 0
    for im in images:
        c0 = time.process_time()
        lines, tp, tr, had = _stage(analyzer, im)
        (read if had else probe_only).append((tp + tr, time.process_time() - c0))
        lines_found += len(lines)
    load1 = os.getloadavg()[0]
    allt = probe_only + read

    def mean_ms(rows, k):
        return 1000 * sum(r[k] for r in rows) / max(1, len(rows))

    return {"n": len(images), "mean_ms": mean_ms(allt, 0), "mean_cpu_ms": mean_ms(allt, 1),
            "probe_only": (len(probe_only), mean_ms(probe_only, 0), mean_ms(probe_only, 1)),
            "read": (len(read), mean_ms(read, 0), mean_ms(read, 1)),
            "lines": lines_found, "load": (load0, load1)}


def text_photo_quality(analyzer) -> tuple[list[dict], dict]:
    labels = json.loads((TEXT_PHOTOS / "labels.json").read_text())
    rows = []
    for name, words in labels.items():
        image = Image.open(TEXT_PHOTOS / name).convert("RGB")
        lines, tp, tr, _ = _stage(analyzer, image)
        got = read_words(lines)
        want = expected_words(words)
        found = set(got)
        hits = sum(1 for w in want if w in found)
        # Strict: the labelled word as a whole (case folded, punctuation around it stripped)
        # among the whitespace-separated words read.
        whole = {fold(w).strip(PUNCT) for line in lines for w in line.text.split()}
        strict = sum(1 for w in words if fold(w).strip(PUNCT) in whole)
        rows.append({"name": name, "size": image.size, "expected": len(want), "recalled": hits,
                     "words": len(words), "strict": strict,
                     "read": len(got), "read_expected": sum(1 for w in got if w in set(want)),
                     "ms": 1000 * (tp + tr), "lines": lines})
    return rows, labels


def render_quality(analyzer, files: list[Path], n: int) -> list[dict]:
    """Signs drawn over real photos: sizes from large to small, tilt and blur."""
    variants = [("large, flat", 0.12, 0.0, 0.0), ("small (4% of height)", 0.04, 0.0, 0.0),
                ("tilted 25%", 0.10, 0.25, 0.0), ("blurred (r=1.5)", 0.10, 0.0, 1.5),
                ("small + tilted + blurred", 0.05, 0.15, 1.0)]
    rng = random.Random(7)
    out = []
    for label, share, tilt, blur in variants:
        hits = total = read = 0
        for i in range(n // len(variants)):
            word = rng.choice(SIGN_WORDS)
            bg = Image.open(rng.choice(files)).convert("RGB")
            bg.thumbnail((800, 800))
            photo = render_sign(bg, word, height_share=share, tilt=tilt, blur=blur, seed=i)
            lines, *_ = _stage(analyzer, photo)
            words = read_words(lines)
            got = set(words)
            want = expected_words([word])
            total += len(want)
            hits += sum(1 for w in want if w in got)
            read += len(words)
        out.append({"variant": label, "words": total, "recalled": hits, "read": read})
    return out


def search_top10(rows: list[dict], labels: dict) -> tuple[int, int]:
    """Every text photo in one embedded index; for each labelled word, is its photo in the top
    10 of ``text:WORD``?"""
    from ..core.index.embedded.backend import EmbeddedIndex
    from ..core.query import parse_query
    from ..core.records import PhotoDocument

    with tempfile.TemporaryDirectory() as d:
        index = EmbeddedIndex(d)
        docs = [PhotoDocument(id=f"{i:040x}", paths=[f"/p/photo{i}.png"], text=r["lines"])
                for i, r in enumerate(rows)]
        index.upsert(docs)
        index.flush()
        found = total = 0
        for doc, r in zip(docs, rows):
            for word in dict.fromkeys(expected_words(labels[r["name"]])):
                total += 1
                hits = index.search(parse_query(f'text:"{word}"'), limit=10)
                found += any(h.id == doc.id for h in hits)
        index.close()
    return found, total


def index_times(photos: int) -> dict:
    """`photoapp index` on a copy of the first ``photos`` imagenet photos: quick pass, then the
    later stages, with and without text, in fresh libraries (each run in a new process)."""
    import shutil
    import subprocess

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "photos"
        src.mkdir()
        for p in sorted(IMAGENET.glob("*.JPEG"))[:photos]:
            shutil.copy(p, src / p.name)
        for label, analyzers in (("without text", {"text": False}), ("with text", {})):
            data = Path(tmp) / label.replace(" ", "-")
            data.mkdir()
            (data / "settings.json").write_text(json.dumps({"analyzers": analyzers}))
            code = ("import sys, time, json\n"
                    "from photoapp.core.library import Library\n"
                    "from photoapp.core.settings import Settings\n"
                    f"s = Settings.load({str(data)!r})\n"
                    "with Library.open(s) as lib:\n"
                    f"    lib.add_folder({str(src)!r})\n"
                    "    t = time.perf_counter(); lib.index(quick=True); q = time.perf_counter() - t\n"
                    "    t = time.perf_counter(); r = lib.index(); b = time.perf_counter() - t\n"
                    "print(json.dumps({'quick': q, 'later': b}))\n")
            res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 env={**os.environ, "PHOTOAPP_DATA_DIR": str(data)})
            if res.returncode:
                raise SystemExit(res.stderr[-2000:])
            out[label] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def main(argv: list[str] | None = None) -> int:
    from ..core.analyzers.text import TextAnalyzer
    from ..core.ocr import engine

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photos", type=int, default=200)
    ap.add_argument("--renders", type=int, default=60)
    ap.add_argument("--index-photos", type=int, default=200)
    ap.add_argument("--skip-index", action="store_true")
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    analyzer = TextAnalyzer()
    files = sorted(IMAGENET.glob("*.JPEG"))
    def step(what: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {what}", file=sys.stderr, flush=True)

    step("ordinary photos")
    ordinary = ordinary_photos(analyzer, files[:args.photos])
    step("text-photos")
    rows, labels = text_photo_quality(analyzer)
    step("renders")
    renders = render_quality(analyzer, files[args.photos:] or files, args.renders)
    step("search")
    found, total = search_top10(rows, labels)
    step("photoapp index")
    index = None if args.skip_index else index_times(args.index_photos)

    exp = sum(r["expected"] for r in rows)
    rec = sum(r["recalled"] for r in rows)
    read = sum(r["read"] for r in rows)
    read_ok = sum(r["read_expected"] for r in rows)
    signs = [r for r in rows if r["name"].startswith("opencv_")]
    md = ["# Text in photos (PP-OCRv6 small, rapidocr 3.10.0)", "",
          f"`python -m photoapp.bench.ocr --photos {args.photos} --renders {args.renders}"
          f"{' --skip-index' if args.skip_index else ''}`, CPU, {os.cpu_count()} cores, "
          f"one ONNX Runtime thread (the `photoapp index` runs: the app's default). Probe at {engine.PROBE_SIDE} px, reading at up to "
          f"{engine.DETAIL_SIDE} px on the region the probe found.", "",
          "## Cost on ordinary photos (imagenet-sample)", "",
          f"Load average (1 min) while measuring: {ordinary['load'][0]:.1f} at the start, "
          f"{ordinary['load'][1]:.1f} at the end, on {os.cpu_count()} cores (a shared machine: other "
          "sessions' tests and benchmarks ran meanwhile).", "",
          "Wall time is what the stage took here; CPU time (the process's, one ONNX Runtime thread) "
          "is what it costs, and what the load does not inflate.", "",
          "| photos | n | wall ms/photo | CPU ms/photo |", "|---|---:|---:|---:|",
          f"| all | {ordinary['n']} | {ordinary['mean_ms']:.1f} | {ordinary['mean_cpu_ms']:.1f} |",
          f"| probe found no text (detection only) | {ordinary['probe_only'][0]} | {ordinary['probe_only'][1]:.1f} | {ordinary['probe_only'][2]:.1f} |",
          f"| probe found text (recognised) | {ordinary['read'][0]} | {ordinary['read'][1]:.1f} | {ordinary['read'][2]:.1f} |", "",
          f"Lines kept on those photos: {ordinary['lines']}.", "",
          "## Word recall on text-photos", "",
          "Search words: the labels split as both indexes split text (\"real-world\" is real + world), "
          "each found among the words read. Whole words: each labelled word as written (case "
          "folded, surrounding punctuation stripped) among the words read.", "",
          "| photo | size | search words | recalled | whole words | recalled | words read | wall ms |",
          "|---|---|---:|---:|---:|---:|---:|---:|"]
    md += [f"| {r['name']} | {r['size'][0]}x{r['size'][1]} | {r['expected']} | {r['recalled']} | {r['words']} | "
           f"{r['strict']} | {r['read']} | {r['ms']:.0f} |" for r in rows]
    linn = next((r for r in rows if r["name"] == "ocrmypdf_linn.png"), {"expected": 0})
    words_n = sum(r["words"] for r in rows)
    strict_n = sum(r["strict"] for r in rows)
    md += ["", f"**Word recall: {rec}/{exp} = {rec / max(1, exp):.3f}** (search words, counted per occurrence; "
               f"the largest page, ocrmypdf_linn, holds {linn['expected']} of them). Whole words: "
               f"{strict_n}/{words_n} = {strict_n / max(1, words_n):.3f}.",
           f"Recall without ocrmypdf_linn: "
           + (lambda rs: f"{sum(r['recalled'] for r in rs)}/{sum(r['expected'] for r in rs)} = "
              f"{sum(r['recalled'] for r in rs) / max(1, sum(r['expected'] for r in rs)):.3f}")(
               [r for r in rows if r["name"] != "ocrmypdf_linn.png"]) + ".",
           f"Precision on the photos whose labels list every word (the four sign crops): "
           f"{sum(r['read_expected'] for r in signs if 'scenetext' in r['name'])}/"
           f"{sum(r['read'] for r in signs if 'scenetext' in r['name'])} words read are right. "
           f"(Over all photos {read_ok}/{read} words read are among the labels, but the page labels "
           "list a selection of their words, so that is not a precision.)", "",
           "## Renders: signs drawn on imagenet photos", "",
           "One word per photo, drawn with DejaVu Sans on a sign over an imagenet photo (the photos "
           "of the cost table are not among them). Words read = every word read in those photos: "
           "recalled / read is a lower bound of precision, as the photos may hold text of their own.", "",
           "| variant | words | recalled | words read |", "|---|---:|---:|---:|"]
    md += [f"| {r['variant']} | {r['words']} | {r['recalled']} | {r['read']} |" for r in renders]
    md += ["", "## Search", "",
           f"For each distinct labelled word of a text photo, its photo is in the top 10 of "
           f"`text:\"WORD\"` (embedded index, all 13 photos): {found}/{total} = {found / max(1, total):.3f}.", ""]
    if index is not None:
        md += ["## `photoapp index` on imagenet-sample", "",
               f"{args.index_photos} photos, fresh library each, quick pass (stage 1, searchable) then the "
               "later stages (objects, text).", "",
               "| library | stage 1 (s) | later stages (s) |", "|---|---:|---:|"]
        md += [f"| {k} | {v['quick']:.1f} | {v['later']:.1f} |" for k, v in index.items()]
        md += [""]
    md += NOTES
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
