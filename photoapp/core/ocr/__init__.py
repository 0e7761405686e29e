"""Text in photos: PP-OCR detection and recognition (rapidocr's pre/post-processing, our own
ONNX Runtime sessions, nothing downloaded) and the word rules search and display share.

    from photoapp.core.ocr import reader_for, fold
    reader = reader_for(compute="auto", threads=0)
    probe = reader.probe(rgb_image)        # cheap: is there text, and where?
    lines = reader.read(probe)             # recognise only where the probe found text
"""
from __future__ import annotations

from .engine import TextReader, TextProbe, reader_for, engine_available
from .words import fold, matched_lines, searchable_text, split_words

__all__ = ["TextReader", "TextProbe", "reader_for", "engine_available", "fold", "matched_lines",
           "searchable_text", "split_words"]
