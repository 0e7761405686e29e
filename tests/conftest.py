"""Shared fixtures: a private copy of the sample photos, and an empty app data folder."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from photoapp.core.settings import Settings

from library_support import MODELS_DIR, SAMPLE_PHOTOS, CountingBundle  # noqa: F401 (re-exported)


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
