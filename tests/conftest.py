"""Shared fixtures: a private copy of the sample photos, and an empty app data folder."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from photoapp.core.settings import Settings, default_models_dir

SAMPLE_PHOTOS = Path(__file__).parent / "data" / "photos"
MODELS_DIR = default_models_dir()  # the repo's models/, or $PHOTOAPP_MODELS_DIR


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    """A writable copy of tests/data/photos (small real photos), so tests may add, move, delete."""
    if not SAMPLE_PHOTOS.is_dir() or not any(SAMPLE_PHOTOS.iterdir()):
        pytest.skip("tests/data/photos is missing")
    dest = tmp_path / "photos"
    shutil.copytree(SAMPLE_PHOTOS, dest)
    return dest


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "appdata"
    d.mkdir()
    return d


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, models_dir=MODELS_DIR, decode_workers=2, batch_size=4)


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


@pytest.fixture(scope="session")
def model_bundle(tmp_path_factory):
    """The real model bundle from models/, loaded once per test session."""
    try:
        from photoapp.core.models import load_bundle
    except ImportError:
        pytest.skip("photoapp.core.models.load_bundle is not available yet")
    return load_bundle(Settings(data_dir=tmp_path_factory.mktemp("bundle"), models_dir=MODELS_DIR))


@pytest.fixture
def counting_bundle(model_bundle) -> CountingBundle:
    return CountingBundle(model_bundle)


@pytest.fixture
def library(settings, counting_bundle):
    from photoapp.core.library import Library

    lib = Library.open(settings, bundle=counting_bundle)
    yield lib
    lib.close()
