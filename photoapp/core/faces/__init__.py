"""Faces: detection (RetinaFace), alignment, descriptors (dlib ResNet in ONNX) and quality.

    from photoapp.core.faces import usable_for_people
    bundle.faces.detect(image) -> [records.Face]       (core/faces/models.py)

The faces analyzer (core/analyzers/faces.py) runs them as a later stage; people are grouped from
the faces ``usable_for_people`` accepts.
"""
from .quality import USABLE_QUALITY, USABLE_SCORE, face_quality, usable_for_people

__all__ = ["USABLE_QUALITY", "USABLE_SCORE", "face_quality", "usable_for_people"]
