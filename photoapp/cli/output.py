"""Turning core records into JSON objects and terminal text. No logic beyond formatting.

File names need not be valid UTF-8 (Linux names are bytes; Python hands undecodable bytes over as
surrogates \\udc80-\\udcff). Two rules keep every name printable and lossless:

- Plain output writes each undecodable byte as ``\\xNN`` (like ``ls -b``); nothing else changes.
- JSON output writes the same readable text, and beside every field holding such a name adds
  ``<field>_bytes``: the exact name as base64 of its raw bytes (for a list field, a list of base64
  strings aligned with it). Fields whose names are all valid UTF-8 get no ``_bytes`` twin, so the
  JSON of an ordinary library is unchanged.
"""
from __future__ import annotations

import base64
import codecs
import json
import os
import sys
from dataclasses import asdict, is_dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from photoapp.core.capture_date import describe_source
from photoapp.core.faces.quality import usable_for_people

_ERROR_HANDLER = "photoapp-escape"


def _escape_unencodable(err: UnicodeError):
    """Codec error handler: undecodable file-name bytes become ``\\xNN``, any other character the
    stream cannot encode becomes ``\\uXXXX``; so printing a name never raises."""
    if not isinstance(err, UnicodeEncodeError):
        raise err
    out = []
    for ch in err.object[err.start:err.end]:
        code = ord(ch)
        out.append(f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF
                   else ch.encode("ascii", "backslashreplace").decode("ascii"))
    return "".join(out), err.end


codecs.register_error(_ERROR_HANDLER, _escape_unencodable)


def configure_streams() -> None:
    """Make stdout/stderr unable to crash on a file name, whatever $PYTHONIOENCODING says."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors=_ERROR_HANDLER)
            except (ValueError, OSError):  # a closed or detached stream: nothing to protect
                pass


def is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def path_text(path: str) -> str:
    """A name as readable text: valid UTF-8 unchanged, each undecodable byte as ``\\xNN``."""
    if is_utf8(path):
        return path
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def path_bytes(path: str) -> str:
    """The exact name as base64 of its bytes (what ``os.fsencode`` gives back)."""
    return base64.b64encode(os.fsencode(path)).decode("ascii")


def json_safe(data):
    """``data`` with every non-UTF-8 string made readable and given a lossless ``_bytes`` twin."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            out[key] = json_safe(value)
            if isinstance(value, str) and not is_utf8(value):
                out[f"{key}_bytes"] = path_bytes(value)
            elif (isinstance(value, (list, tuple)) and value
                  and all(isinstance(v, str) for v in value) and not all(map(is_utf8, value))):
                out[f"{key}_bytes"] = [path_bytes(v) for v in value]
        return out
    if isinstance(data, (list, tuple)):
        return [json_safe(v) for v in data]
    if isinstance(data, str):
        return path_text(data)
    return data


def _default(o):
    if isinstance(o, datetime):
        return o.isoformat()
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, np.ndarray):
        return None  # embeddings are never printed
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if is_dataclass(o):
        return json_safe(asdict(o))
    return path_text(str(o))


def print_json(data) -> None:
    json.dump(json_safe(data), sys.stdout, default=_default, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def purge_summary(report) -> str:
    """One readable line for ``Library.remove_folder``'s PurgeReport."""
    line = (f"removed {path_text(report.folder)} from the library: {report.files_removed} files "
            f"forgotten, {report.documents_deleted} photos deleted from the index")
    if report.documents_kept:
        line += f", {report.documents_kept} kept (they also live in other folders)"
    line += f", {report.thumbnails_deleted} thumbnails deleted; the photos themselves are untouched"
    return line


def hit_to_json(hit) -> dict:
    return {
        "path": hit.path,
        "score": round(float(hit.score), 6),
        "id": hit.id,
        "paths": list(hit.paths) or [hit.path],
        "explanation": [{"kind": k, "label": label, "value": round(float(v), 4)}
                        for k, label, v in hit.explanation],
        # The lines read in the photo that the query's words were found in.
        "matched_text": [label for k, label, _ in hit.explanation if k == "text"],
    }


def document_to_json(doc) -> dict:
    return {
        "path": doc.path,
        "id": doc.id,
        "paths": sorted(doc.paths),
        "width": doc.width,
        "height": doc.height,
        "size_bytes": doc.size_bytes,
        "format": doc.format,
        "taken_at": doc.taken_at.isoformat() if doc.taken_at else None,
        "taken_at_source": doc.taken_at_source,  # exif, exif+offset, filename, filetime
        "camera_make": doc.camera_make,
        "camera_model": doc.camera_model,
        "lens": doc.lens,
        "gps": list(doc.gps) if doc.gps else None,
        "place": ({"label": doc.place.label, "city": doc.place.city, "region": doc.place.region,
                   "country": doc.place.country, "country_code": doc.place.country_code}
                  if getattr(doc, "place", None) is not None else None),
        "orientation": doc.orientation,
        "tags": [{"label": t.label, "confidence": round(t.confidence, 4), "source": t.source}
                 for t in sorted(doc.tags, key=lambda t: -t.confidence)],
        "objects": [{"label": o.label, "score": round(o.score, 4), "box": [round(b, 4) for b in o.box]}
                    for o in doc.objects],
        "cluster_id": doc.cluster_id,
        "phash": doc.phash,
        "rating": doc.rating,  # the user's, from the library's user data (core/userdata.py)
        "favorite": doc.favorite,
        # Text read in the photo (text analyzer), in reading order; boxes in [0, 1].
        "text": [{"text": line.text, "score": round(line.score, 4), "box": [round(b, 4) for b in line.box],
                  "words": [{"text": w.text, "score": round(w.score, 4), "box": [round(b, 4) for b in w.box]}
                            for w in line.words]}
                 for line in getattr(doc, "text", [])],
        # Faces (faces analyzer), detection order; box and landmarks in [0, 1]. ``usable``: good
        # enough to form people (core/faces/quality.py). Descriptors stay out of the output.
        "faces": [{"box": [round(v, 4) for v in f.box], "landmarks": [[round(x, 4), round(y, 4)] for x, y in f.landmarks],
                   "score": round(f.score, 4), "quality": round(f.quality, 4), "usable": usable_for_people(f)}
                  for f in getattr(doc, "faces", [])],
    }


def print_hits(hits) -> None:
    if not hits:
        print("no results")
        return
    for h in hits:
        why = ", ".join(f"{kind} {label} {v:.2f}" for kind, label, v in h.explanation[:3])
        print(f"{h.score:8.4f}  {h.path}" + (f"   [{why}]" if why else ""))


def print_document(doc) -> None:
    d = document_to_json(doc)
    print(d["path"])
    for p in d["paths"][1:]:
        print(f"  also at: {p}")
    print(f"  size:     {d['width']}x{d['height']} {d['format']}, {d['size_bytes']:,} bytes")
    if d["taken_at"]:
        source = describe_source(d["taken_at_source"])  # "from the file name", ...
        print(f"  taken:    {d['taken_at']}" + (f" ({source})" if source else ""))
    camera = " ".join(x for x in (d["camera_make"], d["camera_model"]) if x)
    if camera:
        print(f"  camera:   {camera}" + (f" ({d['lens']})" if d["lens"] else ""))
    if d["gps"]:
        print(f"  gps:      {d['gps'][0]:.6f}, {d['gps'][1]:.6f}")
    if d.get("place"):
        print(f"  place:    {d['place']['label']}")
    if d["rating"] or d["favorite"]:
        print("  rating:   " + ("*" * d["rating"] or "none") + ("  favourite" if d["favorite"] else ""))
    if d["objects"]:
        counts: dict[str, int] = {}
        for o in d["objects"]:
            counts[o["label"]] = counts.get(o["label"], 0) + 1
        print("  objects:  " + ", ".join(f"{n} {label}" for label, n in counts.items()))
    tags = [t for t in d["tags"] if t["source"] != "ancestor"][:10]
    if tags:
        print("  tags:     " + ", ".join(f"{t['label']} {t['confidence']:.2f}" for t in tags))
    ancestors = [t for t in d["tags"] if t["source"] == "ancestor"][:8]
    if ancestors:
        print("  kinds:    " + ", ".join(f"{t['label']} {t['confidence']:.2f}" for t in ancestors))
    if d["faces"]:
        usable = sum(f["usable"] for f in d["faces"])
        print(f"  faces:    {len(d['faces'])}" + (f" ({usable} clear enough for people)" if usable != len(d["faces"]) else ""))
    for i, line in enumerate(d["text"]):
        print(("  text:     " if i == 0 else "            ") + line["text"])


def quiet_broken_pipe() -> int:
    """The reader of our stdout went away (``| head``): stop without a word.

    Python would report the failed flush again at exit; pointing stdout at /dev/null first keeps
    it quiet. The exit status is the shell's for a process ended by SIGPIPE (128 + 13)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (a test's StringIO)
        pass
    return 141
