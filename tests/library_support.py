"""What test modules share besides fixtures: import it as `from library_support import ...`.

It is a plain module, not conftest.py, because several folders of tests/ have a conftest.py and
`from conftest import X` would get whichever of them was imported last."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

from photoapp.core.settings import default_models_dir

SAMPLE_PHOTOS = Path(__file__).parent / "data" / "photos"
MODELS_DIR = default_models_dir()  # the repo's models/, or $PHOTOAPP_MODELS_DIR


def count_decodes(monkeypatch) -> list[str]:
    """The paths the index pipeline decodes from now on (the real decoder still runs)."""
    import photoapp.core.pipeline as pipeline

    decoded: list[str] = []
    real = pipeline.decode_bytes

    def counting(data, path, *args, **kwargs):
        decoded.append(path)
        return real(data, path, *args, **kwargs)

    monkeypatch.setattr(pipeline, "decode_bytes", counting)
    return decoded


def run_cli(*args: str) -> tuple[int, str, str]:
    """``photoapp ARGS`` in this process: (exit code, stdout, stderr)."""
    from photoapp.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


class _CountedModel:
    """The real model, with a count of its inference calls (to prove work was skipped)."""

    def __init__(self, model):
        self._model = model
        self.calls = 0

    def __getattr__(self, name):
        return getattr(self._model, name)

    def run(self, batch):
        self.calls += 1
        return self._model.run(batch)

    def analyze(self, images):
        self.calls += 1
        return self._model.analyze(images)

    def detect(self, images):
        self.calls += 1
        return self._model.detect(images)


class CountingBundle:
    def __init__(self, bundle):
        self.bundle = bundle
        self.tagger = _CountedModel(bundle.tagger)
        self.detector = _CountedModel(bundle.detector) if bundle.detector is not None else None
        self.vocabulary = bundle.vocabulary
        self.version = getattr(bundle, "version", "")

    @property
    def calls(self) -> int:
        return self.tagger.calls + (self.detector.calls if self.detector is not None else 0)
