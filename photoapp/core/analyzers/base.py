"""What an analyzer is: one unit of understanding of a photo.

An analyzer names the model(s) it loads from the bundle (and so from their manifests), derives
its version from them, says which decoded size it needs, which ``PhotoDocument`` fields it fills,
in which stage it runs, and roughly what it costs. The pipeline does the rest: decoding (once
per photo for every analyzer that needs it), batching, writing, recording versions in the
catalog, backfilling later stages, re-running an analyzer whose version changed and purging
one that was turned off.

    stage 1   makes a photo browsable, searchable and findable by similarity (tags, colours)
    stage 2+  backfilled in the background afterwards (objects now; faces, text later)

Work is split in three calls so the expensive parts land where they belong:
``prepare`` (decode worker threads: numpy/Pillow only, e.g. model preprocessing), ``run``
(the coordinator thread, batched: model inference) and ``apply`` (writes the result into a
document and says which fields changed, for ``backend.update_fields``).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from PIL import Image

from ..records import PhotoDocument


class Analyzer(ABC):
    name: ClassVar[str]  # short, stable: the settings key and the catalog record
    stage: ClassVar[int]
    fields: ClassVar[tuple[str, ...]]  # PhotoDocument attributes it fills
    # Rough CPU milliseconds per photo on the development machine (2 cores), fp32 models:
    # orders the work and lets front ends say what a stage costs. Measured, not promised.
    cost_ms: ClassVar[float]
    required: ClassVar[bool] = False  # cannot be turned off (the library is useless without it)
    # Bumped when the analyzer's own code changes its results (models have their own versions).
    code_version: ClassVar[str] = "1"
    # False for an analyzer that reads only the stored document (places reads its GPS): a
    # backfill of such analyzers alone neither reads nor decodes the photo (``prepare`` gets None).
    needs_pixels: ClassVar[bool] = True

    # --- what it needs ------------------------------------------------------------------------
    def models(self, bundle) -> list:
        """The model objects it runs (each has a ``manifest``, ``name``, ``version``)."""
        return []

    def available(self, bundle) -> bool:
        """False when the bundle lacks its model (e.g. ``detector: null`` in bundle.json)."""
        return True

    def version(self, bundle) -> str:
        """Its code version plus the identity of every model it loads (see model_identity):
        a new model file, precision or manifest version changes it, and only its own."""
        parts = [f"{self.name}/{self.code_version}"] + [model_identity(m) for m in self.models(bundle)]
        return "+".join(parts)

    @abstractmethod
    def input_side(self, bundle) -> int:
        """The smallest longer side of the decoded image it can work from (JPEG draft decoding
        picks a size at least this large for every analyzer of a run)."""

    # --- the work -----------------------------------------------------------------------------
    @abstractmethod
    def prepare(self, bundle, image: Image.Image) -> Any:
        """Runs in a decode worker: turn the decoded RGB image into this analyzer's input."""

    @abstractmethod
    def run(self, bundle, inputs: list[Any]) -> list[Any]:
        """Runs batched on the coordinator thread: one result per input."""

    @abstractmethod
    def apply(self, doc: PhotoDocument, result: Any, bundle) -> dict[str, Any]:
        """Put ``result`` into ``doc``; return the fields that changed (name -> new value)."""

    def withdraw(self, doc: PhotoDocument, bundle) -> dict[str, Any] | None:
        """Fields to write to take this analyzer's contribution out of ``doc`` (it was turned
        off). None: emptying ``fields`` (``backend.clear_fields``) is enough."""
        return None


def model_identity(model) -> str:
    """name@version. The models package derives ``version`` from the manifest: its release, the
    precision it runs (fp32/int8) and the start of the ONNX file's sha256, so a swapped model
    file is a new version even when nobody bumped the manifest."""
    return f"{model.name}@{model.version}"
