"""Stage 3: text in the photo (signs, pages, screenshots), read by PP-OCR (core/ocr).

Cost control lives in the split of work: ``prepare`` (decode workers) runs the cheap probe
detection at 256 px and keeps a working copy of the photo only when it found text; ``run``
(coordinator) reads only those photos. A photo without text costs one small detection.
A later stage: the quick first pass (``index --quick``, the watcher, the GUI) never waits for it;
it is backfilled afterwards. (A plain ``photoapp index`` gives new photos every stage at once.)
"""
from __future__ import annotations

from ..ocr import engine as ocr
from ..records import PhotoDocument
from .base import Analyzer

# The decode size the text stage asks for (shorter side): small print on a page needs far
# more pixels than the tagger's 260 px; the reader itself works at most at ocr.WORK_SIDE.
INPUT_SIDE = 1024


def reader_of(bundle) -> ocr.TextReader:
    """The text reader for the bundle's compute settings (one per process and settings)."""
    model = getattr(getattr(bundle, "tagger", None), "model", None)
    return ocr.reader_for(getattr(model, "compute", "auto"), getattr(model, "threads", 0))


class TextAnalyzer(Analyzer):
    name = "text"
    stage = 3
    fields = ("text",)
    # Probe on every photo plus reading on the few with text: imagenet-sample average,
    # photoapp/bench/results/ocr.md.
    cost_ms = 60.0
    code_version = "1"

    def available(self, bundle) -> bool:
        return ocr.engine_available()

    def version(self, bundle) -> str:
        parts = [f"{self.name}/{self.code_version}"]
        parts += [f"{name}@{v}" for name, v in ocr.model_versions().items()]
        return "+".join(parts)

    def input_side(self, bundle) -> int:
        return INPUT_SIDE

    def prepare(self, bundle, image):
        # ONNX Runtime in a decode worker: the probe is small, and deciding here lets a photo
        # without text drop its pixels at once instead of holding a large copy until the batch.
        return reader_of(bundle).probe(image)

    def run(self, bundle, inputs):
        reader = reader_of(bundle)
        return [reader.read(probe) for probe in inputs]

    def apply(self, doc: PhotoDocument, result, bundle):
        doc.text = list(result)
        return {"text": doc.text}
