"""Offline models: ONNX tagger + detector and the WordNet label vocabulary (see api.py)."""
from .api import ImageTagger, ObjectDetector, TaggerResult, Vocabulary
from .bundle import ModelBundle, build_bundle, load_bundle
from .detector import OnnxDetector
from .manifest import ModelManifest, load_manifest
from .runner import OnnxModel, choose_providers
from .tagger import OnnxTagger
from .vocabulary import WordNetVocabulary

__all__ = [
    "ImageTagger", "ObjectDetector", "TaggerResult", "Vocabulary", "ModelBundle", "build_bundle",
    "load_bundle", "OnnxDetector", "ModelManifest", "load_manifest", "OnnxModel",
    "choose_providers", "OnnxTagger", "WordNetVocabulary",
]
