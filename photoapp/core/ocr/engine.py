"""PP-OCR text detection and recognition with cost control.

The models are the PP-OCRv6 small detector and recogniser that PyPI ``rapidocr`` 3.10.0 ships
inside its wheel (Apache-2.0). We use rapidocr's pre- and post-processing (DB boxes, crops,
CTC decoding) but create the ONNX Runtime sessions ourselves, from files whose sha256 we check:
rapidocr's own engine classes download missing models from the network, and photoapp never
downloads anything (``_refuse_downloads`` turns any such attempt into an error).

Cost control (a photo without text must cost little):

1. ``probe`` (in a decode worker): the detector on the photo at PROBE_SIDE px. No box: done;
   the photo keeps nothing in memory.
2. ``read`` (the coordinator, only for photos the probe found text in): a probe box tall enough
   to read (a sign, a label) is cropped from the kept copy of the photo (WORK_SIDE px) and
   recognised as it is; small boxes, and boxes the recogniser is unsure of (lines merged at
   probe scale), get a second detection on the region around them at its own resolution (at
   most DETAIL_SIDE px); a page-like photo (PAGE_SHARE) gets it on the whole picture, since
   its body text is invisible to the probe. Lines under MIN_TEXT_PX high are skipped (too
   small to read); lines the recogniser is unsure of (score < MIN_LINE_SCORE) or that hold
   no letter or digit are dropped.

Measured in photoapp/bench/results/ocr.md. int8 was tried: ONNX Runtime's static QDQ
quantisation of the detector ran no faster on this CPU (33 vs 34 ms) and changed its text map
(a fifth of the probe mask flipped), so the float models stay.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import ModelError
from ..records import TextLine
from .words import split_words

log = logging.getLogger(__name__)

# The wheel's model files (rapidocr 3.10.0: default_models.yaml gives the same sha256).
DET_FILE = "PP-OCRv6_det_small.onnx"
DET_SHA256 = "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f"
REC_FILE = "PP-OCRv6_rec_small.onnx"
REC_SHA256 = "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884"
MODEL_NAMES = {"det": "ppocrv6-det-small", "rec": "ppocrv6-rec-small"}

PROBE_SIDE = 256  # longer side of the probe detection (320: same recall on text-photos, +40% CPU)
WORK_SIDE = 2048  # longer side of the copy kept for reading a photo the probe found text in
DETAIL_SIDE = 2048  # longer side of the second detection, on the text region only
READABLE_PROBE_PX = 12  # a probe box this high (probe pixels) is read without a second detection
PROBE_BOX_THRESH = 0.6  # mean text probability of a probe box (rapidocr: 0.5; 0.6 reads 49 of 200 imagenet photos, not 58)
PAGE_BOX_THRESH = 0.5  # on a page-like photo (PAGE_SHARE): its print is faint blocks at probe scale
MIN_TEXT_PX = 9  # lines lower than this (in WORK_SIDE pixels) are skipped: too small to read
MIN_PROBE_TEXT_PX = 9  # probe boxes lower than this in the photo: not worth a second look
MIN_LINE_SCORE = 0.6  # recogniser confidence under which a line is dropped
MAX_LINES = 200  # a page holds fewer; bounds the work on a pathological photo
REC_HEIGHT = 48
REC_BATCH = 8
MIN_REC_RATIO = 2.0  # lines padded to at least 2:1 (PaddleOCR pads to 320:48; same recall, less work)
REGION_MARGIN = 0.04  # share of the photo added around the probe's boxes for the second pass
# A page (scan, document, screenshot): most of the picture light and colourless. Its body text
# is too small for the probe to see (a 3300 px page at 256 px makes 25 px print 2 px high), so
# once the probe found any text there, the second detection covers the whole page. Measured:
# text-photos' pages and sheets 0.71-1.0, imagenet-sample's 95th percentile 0.59.
PAGE_SHARE = 0.7
PAGE_SAMPLE = 96


def _refuse_downloads() -> None:
    """rapidocr fetches models and dictionaries it cannot find; we never let it reach the
    network (our sessions are made from files we checked, so nothing should ask)."""
    from rapidocr.utils import download_file

    def refuse(*_args, **_kwargs):
        raise ModelError("rapidocr tried to download a file; photoapp runs offline only")

    download_file.DownloadFile.run = classmethod(refuse)


def _rapidocr_models_dir() -> Path:
    """rapidocr's models folder, found without importing it (its import loads OpenCV, Shapely
    and YAML files: a second or so that status and search never need to pay)."""
    import importlib.util

    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("rapidocr is not installed")
    return Path(list(spec.submodule_search_locations)[0]).resolve() / "models"


def engine_available() -> bool:
    try:
        folder = _rapidocr_models_dir()
    except ImportError:
        return False
    return (folder / DET_FILE).is_file() and (folder / REC_FILE).is_file()


def model_versions() -> dict[str, str]:
    """name -> version of each model (the start of its pinned sha256): what the analyzer's
    version is made of, without loading anything."""
    return {MODEL_NAMES["det"]: DET_SHA256[:12], MODEL_NAMES["rec"]: REC_SHA256[:12]}


@dataclass
class TextProbe:
    """What the probe found: nothing (``image`` None), or the photo's working copy (BGR, as
    rapidocr's processing expects) with the probe's boxes as quads in its pixels."""

    image: np.ndarray | None = None
    boxes: list[np.ndarray] = field(default_factory=list)
    page: bool = False  # page-like (see PAGE_SHARE): read the whole picture, not the boxes' region

    @property
    def has_text(self) -> bool:
        return self.image is not None and bool(self.boxes)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class TextReader:
    """Detector + recogniser sessions (created on first use, once) and the two-step reading.
    ``probe`` and ``read`` may run on several threads at once (ONNX Runtime sessions are)."""

    def __init__(self, compute: str = "auto", threads: int = 0):
        self.compute = compute
        self.threads = int(threads or 0)
        self._lock = threading.Lock()
        self._det = self._rec = None
        self._ctc = None

    # --- sessions ------------------------------------------------------------------------
    def _session(self, name: str, expected: str):
        import onnxruntime as ort

        from ..models.runner import choose_providers

        path = _rapidocr_models_dir() / name
        if not path.is_file():
            raise ModelError(f"{path}: missing (reinstall rapidocr==3.10.0)")
        if _sha256(path) != expected:
            raise ModelError(f"{path}: sha256 differs from the pinned one (corrupt or another rapidocr)")
        opts = ort.SessionOptions()
        if self.threads > 0:
            opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
        opts.enable_cpu_mem_arena = False  # input sizes vary per photo (see models/runner.py)
        opts.log_severity_level = 3
        try:
            return ort.InferenceSession(str(path), sess_options=opts,
                                        providers=choose_providers(self.compute))
        except Exception as e:  # onnxruntime raises its own types for bad files
            raise ModelError(f"{path}: ONNX Runtime cannot load it ({e})") from e

    def load(self) -> "TextReader":
        if self._det is None:
            with self._lock:
                if self._det is None:
                    _refuse_downloads()
                    from rapidocr.ch_ppocr_rec.utils import CTCLabelDecode

                    rec = self._session(REC_FILE, REC_SHA256)
                    chars = rec.get_modelmeta().custom_metadata_map.get("character")
                    if not chars:
                        raise ModelError(f"{REC_FILE}: no character list in the model")
                    self._ctc = CTCLabelDecode(character=chars.splitlines())
                    self._rec = rec
                    self._det = self._session(DET_FILE, DET_SHA256)
                    log.info("text reader: %s + %s, providers %s", DET_FILE, REC_FILE,
                             self._det.get_providers())
        return self

    # --- detection -----------------------------------------------------------------------
    def detect(self, bgr: np.ndarray, side: int, box_thresh: float = 0.5) -> list[np.ndarray]:
        """Text boxes (4-point quads in ``bgr`` pixels, reading order) with the detector run at
        ``side`` px on the longer side."""
        return [box for box, _ in self.detect_scored(bgr, side, box_thresh)]

    def detect_scored(self, bgr: np.ndarray, side: int, box_thresh: float = 0.5
                      ) -> list[tuple[np.ndarray, float]]:
        """(quad, mean text probability inside it) of every box, in reading order."""
        from rapidocr.ch_ppocr_det.utils import DBPostProcess, DetPreProcess

        self.load()
        x = DetPreProcess(side, "max")(bgr)
        if x is None:
            return []
        pred = self._det.run(None, {self._det.get_inputs()[0].name: x})[0]
        post = DBPostProcess(thresh=0.3, box_thresh=box_thresh, unclip_ratio=1.6, use_dilation=True)
        boxes, scores = post(pred, bgr.shape[:2])
        found = [(b.astype(np.float32), float(s)) for b, s in zip(boxes, scores)]
        found.sort(key=lambda f: (round(float(f[0][:, 1].min()) / 10), float(f[0][:, 0].min())))
        return found

    def probe(self, image: Image.Image) -> TextProbe:
        """The cheap pass (numpy + one small detection): whether and where the photo has text."""
        rgb = image.convert("RGB")
        scale = min(1.0, WORK_SIDE / max(rgb.size))
        if scale < 1.0:
            rgb = rgb.resize((max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))),
                             Image.Resampling.BILINEAR)
        bgr = np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])
        found = self.detect_scored(bgr, PROBE_SIDE, PAGE_BOX_THRESH)
        page = bool(found) and page_share(rgb) >= PAGE_SHARE
        # On a page any sign of text counts (its print is blurred into faint blocks at probe
        # scale); elsewhere a box must be surer, and text lower than MIN_PROBE_TEXT_PX in the
        # photo itself is skipped unread.
        boxes = [b for b, score in found
                 if page or (score >= PROBE_BOX_THRESH and _height(b) >= MIN_PROBE_TEXT_PX)]
        return TextProbe(bgr, boxes, page) if boxes else TextProbe()

    # --- recognition ---------------------------------------------------------------------
    def read(self, probe: TextProbe) -> list[TextLine]:
        if not probe.has_text:
            return []
        img = probe.image
        h, w = img.shape[:2]
        lines: list[tuple[np.ndarray, tuple[str, float, list[float]]]] = []
        if probe.page:
            # A page: its body text is too small for the probe; detect on the whole picture.
            unsure = [np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)]
        else:
            # A box tall enough at probe scale is usually one line (a sign, a label): read it as
            # it is. One the recogniser is unsure of (several lines merged) and boxes too small
            # to read go to a second detection on their region, at the region's own resolution
            # (capped): a label in a corner costs a tiny detection.
            scale = min(1.0, PROBE_SIDE / max(h, w))
            direct = [b for b in probe.boxes if _height(b) * scale >= READABLE_PROBE_PX]
            unsure = [b for b in probe.boxes if _height(b) * scale < READABLE_PROBE_PX]
            for box, read in zip(direct, self.recognise(img, direct)):
                if _is_text(read):
                    lines.append((box, read))
                else:
                    unsure.append(box)
        if unsure:
            boxes = [b for b in self._detail_boxes(img, unsure) if _height(b) >= MIN_TEXT_PX][:MAX_LINES]
            lines += [(box, read) for box, read in zip(boxes, self.recognise(img, boxes)) if _is_text(read)]
        lines.sort(key=lambda t: (round(float(t[0][:, 1].min()) / max(8.0, _height(t[0]))),
                                  float(t[0][:, 0].min())))
        out = []
        for box, (raw, score, char_scores) in lines:
            xs, ys = box[:, 0], box[:, 1]
            nbox = (round(max(0.0, float(xs.min()) / w), 5), round(max(0.0, float(ys.min()) / h), 5),
                    round(min(1.0, float(xs.max()) / w), 5), round(min(1.0, float(ys.max()) / h), 5))
            words = split_words(raw, nbox, char_scores, score)
            out.append(TextLine(" ".join(word.text for word in words), round(float(score), 4), nbox, words))
        return out

    def _detail_boxes(self, img: np.ndarray, boxes: list[np.ndarray]) -> list[np.ndarray]:
        """Detect again, at DETAIL_SIDE, on the region the probe's boxes cover."""
        h, w = img.shape[:2]
        pts = np.concatenate(boxes)
        mx, my = REGION_MARGIN * w, REGION_MARGIN * h
        x0, y0 = int(max(0, pts[:, 0].min() - mx)), int(max(0, pts[:, 1].min() - my))
        x1, y1 = int(min(w, pts[:, 0].max() + mx)), int(min(h, pts[:, 1].max() + my))
        region = np.ascontiguousarray(img[y0:y1, x0:x1])
        if region.size == 0:
            return boxes
        side = min(DETAIL_SIDE, _round32(max(region.shape[:2])))
        found = self.detect(region, side)
        for b in found:
            b[:, 0] += x0
            b[:, 1] += y0
        return found

    def recognise(self, img: np.ndarray, boxes: list[np.ndarray]) -> list[tuple[str, float, list[float]]]:
        """(text, confidence, each character's confidence) of each quad of ``img``, batched by
        width like rapidocr does."""
        import cv2
        from rapidocr.utils.process_img import get_rotate_crop_image

        self.load()
        crops = [get_rotate_crop_image(img, b.astype(np.float32)) for b in boxes]
        ratios = [c.shape[1] / max(1, c.shape[0]) for c in crops]
        order = np.argsort(ratios)
        out: list[tuple[str, float, list[float]]] = [("", 0.0, [])] * len(crops)
        name = self._rec.get_inputs()[0].name
        for start in range(0, len(order), REC_BATCH):
            idx = order[start:start + REC_BATCH]
            width = int(np.ceil(REC_HEIGHT * max(max(ratios[i] for i in idx), MIN_REC_RATIO)))
            batch = np.zeros((len(idx), 3, REC_HEIGHT, width), dtype=np.float32)
            for k, i in enumerate(idx):
                c = crops[i]
                cw = min(width, max(1, int(np.ceil(REC_HEIGHT * ratios[i]))))
                resized = cv2.resize(c, (cw, REC_HEIGHT)).astype(np.float32)
                batch[k, :, :, :cw] = (resized.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
            preds = self._rec.run(None, {name: batch})[0]
            for k, i in enumerate(idx):
                out[i] = self._decode(preds[k])
        return out

    def _decode(self, pred: np.ndarray) -> tuple[str, float, list[float]]:
        """CTC greedy decoding as rapidocr's CTCLabelDecode does (repeats merged, blanks
        dropped), keeping each character's confidence (for the words' scores)."""
        best = pred.argmax(axis=1)
        prob = pred.max(axis=1)
        keep = np.ones(len(best), dtype=bool)
        keep[1:] = best[1:] != best[:-1]
        for ignored in self._ctc.get_ignored_tokens():
            keep &= best != ignored
        chars = [self._ctc.character[i] for i in best[keep]]
        scores = [float(p) for p in prob[keep]]
        return "".join(chars), (float(np.mean(scores)) if scores else 0.0), scores


def page_share(rgb: Image.Image) -> float:
    """Share of a small copy's pixels that are light and colourless (paper, screens)."""
    small = rgb.copy()
    small.thumbnail((PAGE_SAMPLE, PAGE_SAMPLE))
    hsv = np.asarray(small.convert("HSV"))
    return float(((hsv[..., 1] < 64) & (hsv[..., 2] > 140)).mean())


def _is_text(read: tuple[str, float, list[float]]) -> bool:
    text, score, _ = read
    return score >= MIN_LINE_SCORE and any(c.isalnum() for c in text)


def _height(box: np.ndarray) -> float:
    """Height of a quad (the shorter of its two side lengths, for rotated text)."""
    a = float(np.linalg.norm(box[0] - box[3]))
    b = float(np.linalg.norm(box[0] - box[1]))
    return min(a, b)


def _round32(n: int) -> int:
    return max(32, int(round(n / 32)) * 32)


_readers: dict[tuple, TextReader] = {}
_readers_lock = threading.Lock()


def reader_for(compute: str = "auto", threads: int = 0) -> TextReader:
    """One reader per (compute, threads) in a process: sessions are made once."""
    key = (compute, int(threads or 0))
    with _readers_lock:
        reader = _readers.get(key)
        if reader is None:
            reader = _readers[key] = TextReader(compute, threads)
        return reader
