"""The shipped WordNet vocabulary: words people type reach the labels the models emit."""
from __future__ import annotations

import json

import pytest

from photoapp.core.errors import ModelError
from photoapp.core.models import WordNetVocabulary, load_manifest
from photoapp.core.models.vocabulary import MIN_ANCESTOR_CONFIDENCE
from photoapp.core.records import DetectedObject, Tag
from photoapp.core.settings import default_models_dir

MODELS = default_models_dir()


@pytest.fixture(scope="module")
def vocab() -> WordNetVocabulary:
    return WordNetVocabulary.from_file(MODELS / "vocabulary" / "vocabulary.json")


@pytest.fixture(scope="module")
def tagger_labels() -> list[str]:
    return list(load_manifest(MODELS / "efficientnet-lite2").labels.values())


@pytest.fixture(scope="module")
def detector_labels() -> list[str]:
    return list(load_manifest(MODELS / "ssd-mobilenet-v2-coco").labels.values())


def test_every_model_label_is_a_concept(vocab, tagger_labels, detector_labels):
    labels = set(vocab.labels())
    assert len(tagger_labels) == 1000 and len(set(tagger_labels)) == 1000
    assert len(detector_labels) == 80
    assert set(tagger_labels) <= labels and set(detector_labels) <= labels
    assert all(label == label.lower() for label in labels)


@pytest.mark.parametrize("word, kinds", [
    ("dog", ["golden retriever", "beagle", "chihuahua", "german shepherd"]),
    ("bird", ["goldfinch", "ostrich", "bald eagle", "cock", "hen"]),
    ("vehicle", ["sports car", "school bus", "tractor", "mountain bike", "canoe"]),
    ("fruit", ["banana", "granny smith", "strawberry", "orange", "pineapple"]),
    ("musical instrument", ["acoustic guitar", "grand piano", "violin", "trombone"]),
    ("cat", ["tabby", "siamese cat", "persian cat", "egyptian cat"]),
])
def test_a_general_word_covers_every_kind_under_it(vocab, word, kinds):
    label = vocab.resolve(word)[0]  # the concept named exactly so comes first
    assert label == word
    under = set(vocab.descendants(label))
    assert set(kinds) <= under, set(kinds) - under


def test_breed_counts(vocab, tagger_labels):
    dogs = set(vocab.descendants("dog")) & set(tagger_labels)
    birds = set(vocab.descendants("bird")) & set(tagger_labels)
    assert len(dogs) >= 110 and len(birds) >= 55  # ImageNet-1k: 118 dog classes, 59 birds
    assert "tiger" not in vocab.descendants("cat")  # big cats are felines, not cats


@pytest.mark.parametrize("text, expected", [
    ("rooster", ("cock",)),
    ("stop sign", ("stop sign",)),
    ("people", ("person",)), ("persons", ("person",)), ("man", ("person",)),
    ("woman", ("person",)), ("men", ("person",)), ("Person", ("person",)),
    ("dogs", ("dog",)), ("Dogs", ("dog",)), ("golden retrievers", ("golden retriever",)),
    ("puppies", ("dog",)), ("buses", ("bus",)), ("geese", ("goose",)),
    ("tv", ("television",)), ("sofa", ("couch",)), ("automobile", ("car",)),
    ("  Golden   Retriever ", ("golden retriever",)), ("golden-retriever", ("golden retriever",)),
])
def test_resolve_everyday_words(vocab, text, expected):
    assert vocab.resolve(text)[: len(expected)] == expected


def test_resolve_ambiguous_and_unknown(vocab):
    assert set(vocab.resolve("crane")) == {"crane", "crane (wading bird)"}
    assert vocab.resolve("xyzzy") == ()
    assert vocab.resolve("") == ()
    assert vocab.resolve("!!!") == ()


def test_synonyms(vocab):
    assert "domestic dog" in vocab.synonyms("dog")
    assert "sofa" in vocab.synonyms("couch")
    assert "tv" in vocab.synonyms("television")
    assert vocab.synonyms("no such label") == []


def test_generic_ancestors_are_skipped(vocab):
    labels = set(vocab.labels())
    for generic in ("entity", "physical entity", "object", "whole", "artifact", "organism",
                    "living thing", "abstraction"):
        assert generic not in labels
    assert {"animal", "dog", "vehicle", "food", "furniture"} <= labels
    assert "animal" in vocab.ancestors("golden retriever")
    assert "entity" not in vocab.ancestors("golden retriever")


def test_expand_sums_class_probabilities_under_ancestors(vocab):
    top = [("golden retriever", 0.5), ("labrador retriever", 0.3), ("tabby", 0.15), ("espresso", 0.01)]
    tags = {t.label: t for t in vocab.expand(top, [])}
    assert tags["golden retriever"] == Tag("golden retriever", 0.5, "classifier")
    assert tags["dog"].source == "ancestor"
    assert tags["dog"].confidence == pytest.approx(0.8)
    assert tags["retriever"].confidence == pytest.approx(0.8)
    assert tags["mammal"].confidence == pytest.approx(0.95)
    assert tags["cat"].confidence == pytest.approx(0.15)
    # the 0.01 espresso is still a class tag, but its ancestors are below the cut-off
    assert tags["espresso"].confidence == pytest.approx(0.01)
    assert all(t.confidence >= MIN_ANCESTOR_CONFIDENCE for t in tags.values() if t.source == "ancestor")
    assert "beverage" not in tags
    confs = [t.confidence for t in vocab.expand(top, [])]
    assert confs == sorted(confs, reverse=True)


def test_expand_caps_at_one_and_merges_detector_labels(vocab):
    top = [("golden retriever", 0.7), ("labrador retriever", 0.6)]  # not a softmax, still capped
    objs = [DetectedObject("dog", 0.4, (0, 0, 1, 1)), DetectedObject("dog", 0.9, (0, 0, .5, .5)),
            DetectedObject("car", 0.6, (0, 0, .2, .2)), DetectedObject("stop sign", 0.7, (0, 0, .1, .1))]
    tags = vocab.expand(top, objs)
    by_label = {t.label: t for t in tags}
    assert len(by_label) == len(tags)
    assert by_label["dog"].confidence == 1.0  # 0.7 + 0.6 capped; beats the detector's 0.9
    assert by_label["car"] == Tag("car", 0.6, "detector")
    assert by_label["vehicle"] == Tag("vehicle", 0.6, "ancestor")  # a detected car is a vehicle
    assert by_label["stop sign"] == Tag("stop sign", 0.7, "detector")


def test_expand_with_unknown_labels(vocab):
    tags = vocab.expand([("some new class", 0.9)], [DetectedObject("widget", 0.5, (0, 0, 1, 1))])
    assert {t.label for t in tags} == {"some new class", "widget"}


def test_malformed_vocabulary_file(tmp_path):
    with pytest.raises(ModelError, match="missing"):
        WordNetVocabulary.from_file(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"concepts": [{"no_label": 1}]}))
    with pytest.raises(ModelError, match="malformed"):
        WordNetVocabulary.from_file(bad)
