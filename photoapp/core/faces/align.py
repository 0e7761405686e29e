"""Face alignment: the similarity transform that puts a face's five landmarks where the embedder
expects them, and the warp that cuts the aligned chip out of the photo.

The embedder's manifest holds the target positions (``alignment.template``: five (x, y) points in
chip pixels, in the detector's landmark order). For the dlib ResNet they were measured, not
guessed: models/scripts/convert_face_embedder.py maps the RetinaFace landmarks of real faces
through dlib's own chip transform (5-point shape predictor, padding 0.25, 150x150) and averages.

Like dlib's ``extract_image_chip``, a chip that shrinks the face by 2x or more is cut from a
Gaussian pyramid level (cv2.pyrDown ~ dlib's pyramid_down<2>) rather than by bilinear sampling
alone, so a large face does not alias.
"""
from __future__ import annotations

import cv2
import numpy as np


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2x3 rotation + uniform scale + translation taking ``src`` points closest to ``dst``
    (least squares, Umeyama 1991; no reflection)."""
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    u, sv, vt = np.linalg.svd(d.T @ s / len(src))
    flip = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        flip[1, 1] = -1
    rot = u @ flip @ vt
    var = (s ** 2).sum(1).mean()
    scale = np.trace(np.diag(sv) @ flip) / var if var > 0 else 1.0
    m = np.zeros((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = mu_d - scale * rot @ mu_s
    return m


def warp_chip(image: np.ndarray, transform: np.ndarray, size: int) -> np.ndarray:
    """``size`` x ``size`` chip of an RGB uint8 image under a photo -> chip transform."""
    m = np.array(transform, np.float64)
    scale = float(np.hypot(m[0, 0], m[0, 1]))
    while scale <= 0.5 and min(image.shape[:2]) >= 8:
        image = cv2.pyrDown(image)
        m[:, :2] *= 2.0
        scale *= 2.0
    return cv2.warpAffine(image, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


def align_face(image: np.ndarray, landmarks: np.ndarray, template: np.ndarray, size: int) -> np.ndarray:
    """The aligned chip of the face whose five landmarks (photo pixels) are given."""
    return warp_chip(image, similarity_transform(landmarks, template), size)
