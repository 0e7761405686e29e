"""Library's query-side calls end to end (real models, real embedded index): typed listings,
"did you mean", sidebar tag counts."""
from __future__ import annotations

import shutil

from photo_factory import make_photos
from photoapp.core.query import listing as L
from photoapp.core.query.plan import TAG_MIN_CONFIDENCE
from photoapp.core.query.tags import is_everyday


def test_folder_listing_by_path_components_and_odd_names(library, tmp_path):
    root = tmp_path / "p"
    make_photos(root / "2020", 2)
    make_photos(root / "2020-old", 1, start=10)
    quoted = root / 'say "cheese"'
    quoted.mkdir(parents=True)
    for i, src in enumerate(sorted((root / "2020").iterdir())):
        shutil.copy(src, quoted / f"copy{i}{src.suffix}")
    library.add_folder(root)
    library.index()
    listed = library.list_photos(L.Folder(str(root / "2020")), sort="name")
    assert len(listed) == 2  # not the photo of 2020-old
    assert all(any(p.startswith(str(root / "2020") + "/") for p in h.paths) for h in listed)
    in_quoted = library.list_photos(L.Folder(str(quoted)))
    assert len(in_quoted) == 2  # copies of the 2020 photos: same documents, listed by their copy
    assert len(library.list_photos(L.Folder(str(root / "2020-old")))) == 1
    assert len(library.list_photos(L.All(), limit=100)) == len(library.all_photos(limit=100))


def test_tag_counts_are_sure_and_everyday(library, tmp_path):
    make_photos(tmp_path / "photos", 6)
    library.add_folder(tmp_path / "photos")
    library.index()
    everything = dict(library.tag_counts(limit=10_000, min_confidence=0, everyday=False))
    sure = dict(library.tag_counts(limit=10_000, everyday=False))
    assert set(sure) <= set(everything)
    assert all(sure[label] <= everything[label] for label in sure)
    vocab = library.vocabulary()
    assert all(is_everyday(label, vocab) for label, _ in library.tag_counts(limit=10_000, min_confidence=0))
    for label, count in library.tag_counts(limit=5):
        assert len(library.list_photos(L.Tag(label), limit=1000)) == count
        assert all(h.score >= TAG_MIN_CONFIDENCE for h in library.list_photos(L.Tag(label), sort="relevance"))


def test_did_you_mean(library):
    assert library.suggest("dgo") == "dog"
    assert library.suggest("dog") is None
    assert library.suggest("elephnt last summer") == "elephant last summer"
