"""The real bundled ONNX models on small real photos (tests/data/photos)."""
from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photoapp.core.errors import ModelError
from photoapp.core.models import build_bundle, choose_providers, load_bundle, load_manifest
from photoapp.core.models.runner import OnnxModel
from photoapp.core.models.tagger import OnnxTagger
from photoapp.core.settings import Settings, default_models_dir

MODELS = default_models_dir()
PHOTOS = Path(__file__).parent / "data" / "photos"


def photo(name: str) -> Image.Image:
    with Image.open(PHOTOS / name) as im:
        return im.convert("RGB")


@pytest.fixture(scope="module")
def bundle():
    return build_bundle(MODELS, compute="cpu", threads=2)


def test_load_bundle_is_shared_and_lazy(tmp_path):
    s = Settings(data_dir=tmp_path, models_dir=MODELS, compute="cpu", threads=1)
    b = load_bundle(s)
    assert load_bundle(Settings(data_dir=tmp_path / "x", models_dir=MODELS, compute="cpu", threads=1)) is b
    assert b.tagger.model._session is None  # nothing loaded until the first run
    assert b.tagger.input_size == (260, 260) and b.tagger.embedding_dim == 1280
    assert b.detector.input_size == (300, 300)
    assert b.version == (f"efficientnet-lite2-imagenet@{b.tagger.version}"
                         f"+ssd-mobilenet-v2-coco@{b.detector.version}")


def test_tagger_finds_the_cat_on_chelsea(bundle):
    [r] = bundle.tagger.analyze([photo("chelsea.jpg")])
    assert len(r.top_classes) == 10
    labels = [label for label, _ in r.top_classes[:3]]
    assert labels[0] in bundle.vocabulary.descendants("cat"), labels
    tags = {t.label: t for t in bundle.vocabulary.expand(r.top_classes, [])}
    assert tags["cat"].source == "ancestor" and tags["cat"].confidence > 0.5


def test_tagger_finds_coffee(bundle):
    [r] = bundle.tagger.analyze([photo("coffee.jpg")])
    label, p = r.top_classes[0]
    assert label == "espresso" and p > 0.5
    probs = [p for _, p in r.top_classes]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0 + 1e-6


def test_embeddings_are_unit_length_and_meaningful(bundle):
    names = ["chelsea.jpg", "coffee.jpg", "astronaut.jpg"]
    ims = [photo(n) for n in names]
    mirrored = ims[0].transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    rs = bundle.tagger.analyze(ims + [mirrored])
    e = np.stack([r.embedding for r in rs])
    assert e.dtype == np.float32 and e.shape == (4, 1280)
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    # The mirrored cat is far closer to the cat than the coffee or the astronaut are.
    assert e[3] @ e[0] > 0.8
    assert e[3] @ e[0] > e[0] @ e[1] + 0.2 and e[3] @ e[0] > e[0] @ e[2] + 0.2


def test_batched_equals_one_by_one(bundle):
    ims = [photo(n) for n in ("chelsea.jpg", "coffee.jpg", "rocket.jpg")]
    batch = bundle.tagger.run(np.stack([bundle.tagger.preprocess(im) for im in ims]))
    for im, b in zip(ims, batch):
        [one] = bundle.tagger.analyze([im])
        assert [l for l, _ in one.top_classes] == [l for l, _ in b.top_classes]
        np.testing.assert_allclose(one.embedding, b.embedding, atol=1e-4)


def test_grayscale_photo_is_tagged(bundle):
    with Image.open(PHOTOS / "camera.jpg") as im:
        assert im.mode == "L"
        [r] = bundle.tagger.analyze([im])
    assert len(r.top_classes) == 10 and np.isfinite(r.embedding).all()


def test_detector_finds_person_on_astronaut(bundle):
    [objs] = bundle.detector.detect([photo("astronaut.jpg")])
    people = [o for o in objs if o.label == "person"]
    assert people and people[0].score > 0.5
    x0, y0, x1, y1 = people[0].box
    assert 0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0
    assert all(o.score >= bundle.detector.score_threshold for o in objs)


def test_detector_on_coffee_and_motorcycle(bundle):
    coffee, moto = bundle.detector.detect([photo("coffee.jpg"), photo("motorcycle.jpg")])
    assert "cup" in {o.label for o in coffee}
    assert moto and moto[0].label == "motorcycle" and moto[0].score > 0.9
    # a wide motorcycle photo: the box spans most of its width
    assert moto[0].box[2] - moto[0].box[0] > 0.5


def test_detector_threshold_override(bundle):
    im = photo("astronaut.jpg")
    [strict] = bundle.detector.detect([im], score_threshold=0.9)
    [loose] = bundle.detector.detect([im], score_threshold=0.05)
    assert len(loose) > len(strict)
    assert all(o.score >= 0.9 for o in strict)


def test_vocabulary_expand_on_real_outputs(bundle):
    im = photo("astronaut.jpg")
    [r] = bundle.tagger.analyze([im])
    [objs] = bundle.detector.detect([im])
    tags = bundle.vocabulary.expand(r.top_classes, objs)
    by_label = {t.label: t for t in tags}
    assert by_label["person"].source == "detector"
    assert len(by_label) == len(tags)  # one tag per label


def test_run_is_thread_safe(bundle):
    ims = [photo(n) for n in ("chelsea.jpg", "coffee.jpg", "rocket.jpg", "astronaut.jpg")]
    batch = np.stack([bundle.tagger.preprocess(im) for im in ims])
    expected = [r.top_classes for r in bundle.tagger.run(batch)]
    got, errors = [], []

    def work():
        try:
            got.append([r.top_classes for r in bundle.tagger.run(batch)])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(got) == 4
    for g in got:
        assert [[l for l, _ in r] for r in g] == [[l for l, _ in r] for r in expected]


def test_provider_choice():
    assert choose_providers("cpu", ["CUDAExecutionProvider", "CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    assert choose_providers("auto", ["CUDAExecutionProvider", "CPUExecutionProvider"]) == [
        "CUDAExecutionProvider", "CPUExecutionProvider"]
    assert choose_providers("auto", ["CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    assert choose_providers("gpu", ["CoreMLExecutionProvider", "CPUExecutionProvider"])[0] == "CoreMLExecutionProvider"
    assert choose_providers("gpu", ["DmlExecutionProvider", "CPUExecutionProvider"])[0] == "DmlExecutionProvider"
    assert choose_providers("gpu", ["CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    with pytest.raises(ModelError):
        choose_providers("tpu", ["CPUExecutionProvider"])


def test_session_logs_its_providers_and_threads(caplog):
    import logging
    m = OnnxModel(load_manifest(MODELS / "efficientnet-lite2"), compute="cpu", threads=1)
    with caplog.at_level(logging.INFO, logger="photoapp.core.models.runner"):
        m.load()
    assert m.providers == ["CPUExecutionProvider"]
    assert "CPUExecutionProvider" in caplog.text and "threads 1" in caplog.text


def test_an_accelerator_that_does_not_start_is_a_warning(caplog, monkeypatch):
    """onnxruntime-gpu without CUDA libraries drops CUDA from the session without an error: the
    user must hear that the models run on the CPU. The session here is a real ONNX Runtime one
    asked for CUDA on a machine that has none; only the provider choice is forced."""
    import logging

    from photoapp.core.models import runner
    monkeypatch.setattr(runner, "choose_providers",
                        lambda compute: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    m = OnnxModel(load_manifest(MODELS / "efficientnet-lite2"), compute="gpu", threads=1)
    with caplog.at_level(logging.WARNING, logger="photoapp.core.models.runner"):
        m.load()
    assert m.providers == ["CPUExecutionProvider"]
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warned and "CUDAExecutionProvider could not start" in warned[0].getMessage()
    assert "running on CPU" in warned[0].getMessage()


# --- bad model folders ------------------------------------------------------------------------

@pytest.fixture
def tagger_copy(tmp_path) -> Path:
    """A copy of the tagger folder (the ONNX file symlinked where possible, to stay fast)."""
    src = MODELS / "efficientnet-lite2"
    dst = tmp_path / "tagger"
    dst.mkdir()
    for f in src.iterdir():
        if f.suffix == ".onnx":
            try:
                (dst / f.name).symlink_to(f)
            except OSError:
                shutil.copy(f, dst / f.name)
        else:
            shutil.copy(f, dst / f.name)
    return dst


def edit_manifest(folder: Path, **changes) -> None:
    path = folder / "manifest.json"
    m = json.loads(path.read_text())
    for k, v in changes.items():
        if v is None:
            m.pop(k, None)
        else:
            m[k] = v
    path.write_text(json.dumps(m))


def test_missing_folder_and_manifest(tmp_path, tagger_copy):
    with pytest.raises(ModelError, match="not a folder"):
        load_manifest(tmp_path / "nope")
    (tagger_copy / "manifest.json").unlink()
    with pytest.raises(ModelError, match="no manifest.json"):
        load_manifest(tagger_copy)


def test_malformed_manifest(tagger_copy):
    (tagger_copy / "manifest.json").write_text("{not json")
    with pytest.raises(ModelError, match="unreadable"):
        load_manifest(tagger_copy)


@pytest.mark.parametrize("changes, message", [
    ({"task": "segmenter"}, "task must be"),
    ({"outputs": {"embedding": "embedding"}}, "outputs must map"),
    ({"labels": None}, "lacks labels"),
    ({"model": "missing.onnx"}, "missing.onnx is missing"),
    ({"preprocessing": {"size": [260]}}, "preprocessing"),
    ({"preprocessing": {"size": [260, 260], "resample": "magic"}}, "resample"),
])
def test_invalid_manifest_fields(tagger_copy, changes, message):
    edit_manifest(tagger_copy, **changes)
    with pytest.raises(ModelError, match=message):
        load_manifest(tagger_copy)


def test_bad_labels_file(tagger_copy):
    (tagger_copy / "labels.txt").write_text("zero\tcat\n")
    with pytest.raises(ModelError, match="labels file"):
        load_manifest(tagger_copy)


def test_corrupt_onnx_file_fails_at_first_run(tagger_copy):
    (tagger_copy / "model.onnx").unlink()
    (tagger_copy / "model.onnx").write_bytes(b"this is not an onnx model")
    edit_manifest(tagger_copy, sha256=None)
    tagger = OnnxTagger(load_manifest(tagger_copy), compute="cpu")
    with pytest.raises(ModelError, match="cannot load"):
        tagger.analyze([photo("chelsea.jpg")])


def test_checksum_mismatch(tagger_copy):
    edit_manifest(tagger_copy, sha256="0" * 64)
    tagger = OnnxTagger(load_manifest(tagger_copy), compute="cpu")
    with pytest.raises(ModelError, match="sha256"):
        tagger.analyze([photo("chelsea.jpg")])


def test_output_name_mismatch(tagger_copy):
    edit_manifest(tagger_copy, outputs={"logits": "probabilities"})
    tagger = OnnxTagger(load_manifest(tagger_copy), compute="cpu")
    with pytest.raises(ModelError, match="no output named"):
        tagger.analyze([photo("chelsea.jpg")])


def test_wrong_task_for_role(tmp_path):
    with pytest.raises(ModelError, match="needs 'classifier'"):
        OnnxTagger(load_manifest(MODELS / "ssd-mobilenet-v2-coco"))


def test_bundle_with_broken_layout(tmp_path, tagger_copy):
    with pytest.raises(ModelError, match="does not exist"):
        build_bundle(tmp_path / "nothing")
    (tmp_path / "bundle.json").write_text(json.dumps({"tagger": "tagger", "detector": None,
                                                       "vocabulary": "missing.json"}))
    with pytest.raises(ModelError, match="vocabulary file"):
        build_bundle(tmp_path)


def test_drop_in_model_folder_without_detector(tmp_path, tagger_copy):
    """Another folder + manifest is enough: here the same tagger renamed, no detector."""
    edit_manifest(tagger_copy, name="my-tagger", version="7", postprocessing={"top_k": 3})
    shutil.copytree(MODELS / "vocabulary", tmp_path / "vocab")
    (tmp_path / "bundle.json").write_text(json.dumps(
        {"tagger": "tagger", "detector": None, "vocabulary": "vocab/vocabulary.json"}))
    b = build_bundle(tmp_path, compute="cpu")
    sha = json.loads((tagger_copy / "manifest.json").read_text())["sha256"]
    assert b.detector is None and b.version == f"my-tagger@7-fp32-{sha[:12]}"
    [r] = b.tagger.analyze([photo("coffee.jpg")])
    assert len(r.top_classes) == 3 and r.top_classes[0][0] == "espresso"


def test_empty_or_bad_batch(bundle):
    assert bundle.tagger.analyze([]) == []
    assert bundle.detector.detect([]) == []
    with pytest.raises(ModelError):
        bundle.tagger.run(np.zeros((3, 260, 260), np.float32))


# --- detector tiling (small objects) -----------------------------------------------------------

def test_tile_views_cover_the_photo_with_overlap():
    from photoapp.core.models.detector import FULL_VIEW, tile_views
    assert tile_views(0, 0.2) == [FULL_VIEW] == tile_views(1, 0.2)
    views = tile_views(2, 0.2)
    assert len(views) == 5 and views[0] == FULL_VIEW
    left, right = views[1], views[2]
    side = left[2] - left[0]
    assert left[0] == 0.0 and right[2] == pytest.approx(1.0)
    assert left[2] - right[0] == pytest.approx(0.2 * side)  # neighbours share 20% of a side
    assert len(tile_views(3, 0.2)) == 10 and tile_views(3, 0.2)[-1][3] == pytest.approx(1.0)


def test_merge_views_maps_tiles_back_and_keeps_one_box_per_object():
    from photoapp.core.models.detector import FULL_VIEW, merge_views
    from photoapp.core.records import DetectedObject
    left = (0.0, 0.0, 0.6, 1.0)
    full = [DetectedObject("person", 0.6, (0.10, 0.2, 0.30, 0.8))]
    tile = [DetectedObject("person", 0.9, (0.18, 0.2, 0.5, 0.8)),   # the same person, zoomed in
            DetectedObject("dog", 0.7, (0.18, 0.2, 0.5, 0.8)),      # other class: never merged
            DetectedObject("car", 0.8, (0.7, 0.1, 1.0, 0.3))]       # cut by the tile's right side
    merged = merge_views([full, tile], [FULL_VIEW, left], iou=0.5)
    assert [(o.label, o.score) for o in merged] == [("person", 0.9), ("dog", 0.7)]
    assert merged[0].box == pytest.approx((0.108, 0.2, 0.3, 0.8))


def test_tiled_detector_maps_tile_boxes_back_and_merges_them(bundle):
    # The astronaut at 1/9 of an 1800x1200 photo, inside the bottom-right tile of a 2x2 grid.
    from photoapp.core.models.detector import box_iou, to_photo
    canvas = photo("brick.jpg").resize((1800, 1200))
    canvas.paste(photo("astronaut.jpg").resize((200, 200)), (1000, 700))
    truth = (1000 / 1800, 700 / 1200, 1200 / 1800, 900 / 1200)
    det = bundle.detector
    before = det.tiles
    try:
        det.set_tiling(2)
        x = det.preprocess(canvas)
        assert x.shape == (5, 300, 300, 3) and det.input_size == (540, 540)
        tile = det.views[4]
        seen = [to_photo(o.box, tile) for o in det._decode(det.raw(x), 4, 0.5) if o.label == "person"]
        [objs] = det.run([x], score_threshold=0.5)
        with pytest.raises(ModelError, match="views"):
            det.run([x[:3]])  # inputs made under another tiling setting
    finally:
        det.set_tiling(before)
    assert any(box_iou(b, truth) >= 0.5 for b in seen), seen  # the tile's box, in photo coordinates
    people = [o for o in objs if o.label == "person"]
    assert len(people) == 1 and box_iou(people[0].box, truth) >= 0.5, objs  # full view + tile: one box


def test_tiling_is_a_manifest_setting(tmp_path):
    src = MODELS / "ssd-mobilenet-v2-coco"
    dst = tmp_path / "detector"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.onnx"))
    (dst / "model.onnx").symlink_to(src / "model.onnx")
    m = json.loads((dst / "manifest.json").read_text())
    edit_manifest(dst, postprocessing={**m["postprocessing"], "tiles": 3, "tile_overlap": 0.25})
    from photoapp.core.models.detector import OnnxDetector
    det = OnnxDetector(load_manifest(dst), compute="cpu")
    assert det.tiles == 3 and len(det.views) == 10 and det.input_size[0] > 600
    edit_manifest(dst, postprocessing={**m["postprocessing"], "tiles": -1})
    with pytest.raises(ModelError, match="tiles"):
        OnnxDetector(load_manifest(dst), compute="cpu")
