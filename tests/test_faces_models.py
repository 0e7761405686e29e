"""The face models for real: RetinaFace finds the faces in committed photos, the ONNX rebuild of
dlib's ResNet gives dlib's descriptors, alignment and quality behave, and the same face is closer
to itself than to other people. Photos: tests/data/faces (Grace Hopper, public domain) and
tests/data/photos (scikit-image samples); licences in their LICENSE.txt."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from library_support import MODELS_DIR, SAMPLE_PHOTOS
from photoapp.core.faces import USABLE_QUALITY, usable_for_people
from photoapp.core.faces.align import similarity_transform, warp_chip
from photoapp.core.faces.detect import nms, priors
from photoapp.core.faces.models import FaceModels
from photoapp.core.faces.quality import sharpness
from photoapp.core.models.bundle import selected_manifest
from photoapp.core.records import Face

FACES = Path(__file__).parent / "data" / "faces"
WITHOUT_PEOPLE = ("coffee.jpg", "brick.jpg", "coins.jpg", "hubble_deep_field.jpg", "retina.jpg", "chelsea.jpg")


@pytest.fixture(scope="module")
def faces() -> FaceModels:
    return FaceModels(selected_manifest(MODELS_DIR, "face_detector"), selected_manifest(MODELS_DIR, "face_embedder"),
                      compute="cpu", threads=2)


def photo(name: str) -> Image.Image:
    path = FACES / name if (FACES / name).exists() else SAMPLE_PHOTOS / name
    return Image.open(path).convert("RGB")


def cos(a, b) -> float:
    return float(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b))


@pytest.mark.parametrize("name, centre", [("hopper.jpg", (0.49, 0.39)), ("astronaut.jpg", (0.44, 0.23))])
def test_finds_the_one_face_with_its_landmarks(faces, name, centre):
    found = faces.detect(photo(name))
    assert len(found) == 1
    face = found[0]
    x0, y0, x1, y1 = face.box
    assert face.score > 0.95
    assert abs((x0 + x1) / 2 - centre[0]) < 0.05 and abs((y0 + y1) / 2 - centre[1]) < 0.05
    (ex0, ey0), (ex1, ey1), (nx, ny), (mx0, my0), (mx1, my1) = face.landmarks
    assert all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in face.landmarks)
    assert ex0 < ex1 and mx0 < mx1  # image-left one of each pair first
    assert max(ey0, ey1) < ny < min(my0, my1)  # eyes above the nose above the mouth
    assert face.embedding.shape == (128,) and face.embedding.dtype == np.float32
    assert np.linalg.norm(face.embedding) == pytest.approx(1.0, abs=1e-5)
    assert usable_for_people(face)


@pytest.mark.parametrize("name", WITHOUT_PEOPLE)
def test_no_face_where_there_is_none(faces, name):
    assert faces.detect(photo(name)) == []


def test_several_faces_in_one_picture_and_tiny_ones_flagged(faces):
    canvas = Image.new("RGB", (640, 420), (90, 110, 100))  # the detector's own size: no resampling
    canvas.paste(photo("astronaut.jpg").crop((120, 0, 400, 260)), (10, 30))
    canvas.paste(photo("hopper.jpg").resize((200, 200), Image.Resampling.BICUBIC), (300, 20))
    canvas.paste(photo("hopper.jpg").resize((64, 64), Image.Resampling.BICUBIC), (540, 330))  # a ~22 px face
    found = faces.detect(canvas)
    assert len(found) == 3
    assert found == sorted(found, key=lambda f: -f.score)
    small = min(found, key=lambda f: f.box[2] - f.box[0])
    large = [f for f in found if f is not small]
    assert small.box[0] > 0.7 and small.box[1] > 0.6
    assert small.quality < USABLE_QUALITY and not usable_for_people(small)
    assert all(usable_for_people(f) for f in large)
    # The small Hopper is still Hopper: closer to the large one than the astronaut is.
    hopper = max(large, key=lambda f: f.box[0])
    astronaut = min(large, key=lambda f: f.box[0])
    assert cos(small.embedding, hopper.embedding) > cos(small.embedding, astronaut.embedding)


def test_onnx_embedder_gives_dlibs_descriptors_on_dlibs_chips(faces):
    reference = np.load(FACES / "dlib_reference.npz")
    for name in ("hopper", "astronaut"):
        chip = np.asarray(Image.open(FACES / f"{name}_dlib_chip.png").convert("RGB"))
        raw = faces.embedder.model.run(chip.astype(np.float32).transpose(2, 0, 1)[None].copy())["embedding"][0]
        assert np.abs(raw - reference[name]).max() < 1e-4
        assert cos(faces.embedder.embed([chip])[0], reference[name]) > 0.99999


def test_whole_path_is_close_to_dlibs_whole_path(faces):
    """RetinaFace landmarks + the measured template + our warp, against dlib's detector, shape
    predictor and chip: the same identity, well inside dlib's own 0.6 distance rule."""
    reference = np.load(FACES / "dlib_reference.npz")
    for name, file in (("hopper", "hopper.jpg"), ("astronaut", "astronaut.jpg")):
        ours = faces.detect(photo(file))[0].embedding
        theirs = reference[name + "_full"]
        assert cos(ours, theirs) > 0.98
        assert np.linalg.norm(ours * np.linalg.norm(theirs) - theirs) < 0.3


def test_the_same_face_is_closer_than_a_different_one(faces):
    astronaut = photo("astronaut.jpg")
    variants = {
        "astronaut": astronaut,
        "astronaut smaller, shifted": astronaut.crop((40, 10, 512, 400)).resize((354, 292), Image.Resampling.LANCZOS),
        "astronaut mirrored": astronaut.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        "hopper": photo("hopper.jpg"),
        "hopper larger": photo("hopper.jpg").resize((300, 300), Image.Resampling.BICUBIC),
        "cameraman": photo("camera.jpg"),
    }
    emb = {k: max(faces.detect(v), key=lambda f: f.score).embedding for k, v in variants.items()}
    person = {k: k.split()[0] for k in emb}
    same = [cos(emb[a], emb[b]) for a in emb for b in emb if a < b and person[a] == person[b]]
    different = [cos(emb[a], emb[b]) for a in emb for b in emb if a < b and person[a] != person[b]]
    assert min(same) > max(different)


def test_priors_line_up_with_the_network_heads(faces):
    inp = faces.detector.prepare(Image.new("RGB", (500, 333), (128, 128, 128)))
    tensor = faces.detector.tensor(inp)
    assert tensor.shape == (3, 352, 512)  # padded to multiples of 32
    out = faces.detector.model.run(tensor[None])
    assert out["boxes"].shape[1] == out["landmarks"].shape[1] == len(priors(352, 512))
    assert out["scores"][0][:, 1].max() < 0.5  # a grey picture has no face


def test_nms_keeps_the_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 10.5]], np.float32)
    scores = np.array([0.9, 0.95, 0.5, 0.8], np.float32)
    assert nms(boxes, scores, 0.4) == [1, 2]


def test_similarity_transform_recovers_rotation_scale_and_shift():
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 100, size=(5, 2))
    angle, scale, shift = 0.3, 1.7, np.array([12.0, -4.0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    m = similarity_transform(src, src @ rot.T + shift)
    np.testing.assert_allclose(m[:, :2], rot, atol=1e-9)
    np.testing.assert_allclose(m[:, 2], shift, atol=1e-9)


def test_blur_lowers_sharpness_and_quality(faces):
    sharp = photo("astronaut.jpg")
    blurred = sharp.filter(ImageFilter.GaussianBlur(4))
    a, b = faces.detect(sharp)[0], faces.detect(blurred)
    assert b, "a blurred face is still found"
    assert b[0].quality < a.quality and b[0].quality < USABLE_QUALITY
    t = faces.embedder.template
    chip = warp_chip(np.asarray(sharp), similarity_transform(np.asarray(a.landmarks) * 512, t), 150)
    chip_blurred = warp_chip(np.asarray(blurred), similarity_transform(np.asarray(a.landmarks) * 512, t), 150)
    assert sharpness(chip_blurred) < sharpness(chip) / 4


def test_usable_for_people_needs_quality_score_and_a_descriptor():
    v = np.ones(128, np.float32) / np.sqrt(128)
    box, marks = (0.1, 0.1, 0.3, 0.3), ((0.15, 0.15),) * 5
    assert usable_for_people(Face(box, marks, 0.99, 0.9, v))
    assert not usable_for_people(Face(box, marks, 0.99, 0.2, v))
    assert not usable_for_people(Face(box, marks, 0.55, 0.9, v))
    assert not usable_for_people(Face(box, marks, 0.99, 0.9, None))


@pytest.mark.parametrize("image", [Image.new("RGB", (1, 1)), Image.new("RGB", (10, 3000), (200, 100, 50)),
                                   Image.new("L", (300, 200), 128), Image.new("RGBA", (64, 64))],
                         ids=["1x1", "10x3000", "grey", "rgba"])
def test_odd_pictures_give_no_faces_and_no_error(faces, image):
    assert faces.detect(image) == []


def test_a_grey_photo_still_has_its_face(faces):
    grey = photo("hopper.jpg").convert("L").convert("RGB")
    found = faces.detect(grey)
    assert len(found) == 1
    assert cos(found[0].embedding, faces.detect(photo("hopper.jpg"))[0].embedding) > 0.95
