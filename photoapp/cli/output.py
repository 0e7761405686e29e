"""Turning core records into JSON objects and terminal text. No logic beyond formatting."""
from __future__ import annotations

import json
import sys
from dataclasses import asdict, is_dataclass
from datetime import datetime
from pathlib import Path

import numpy as np


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
        return asdict(o)
    return str(o)


def print_json(data) -> None:
    json.dump(data, sys.stdout, default=_default, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def hit_to_json(hit) -> dict:
    return {
        "path": hit.path,
        "score": round(float(hit.score), 6),
        "id": hit.id,
        "paths": list(hit.paths) or [hit.path],
        "explanation": [{"kind": k, "label": label, "value": round(float(v), 4)}
                        for k, label, v in hit.explanation],
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
        "camera_make": doc.camera_make,
        "camera_model": doc.camera_model,
        "lens": doc.lens,
        "gps": list(doc.gps) if doc.gps else None,
        "orientation": doc.orientation,
        "tags": [{"label": t.label, "confidence": round(t.confidence, 4), "source": t.source}
                 for t in sorted(doc.tags, key=lambda t: -t.confidence)],
        "objects": [{"label": o.label, "score": round(o.score, 4), "box": [round(b, 4) for b in o.box]}
                    for o in doc.objects],
        "cluster_id": doc.cluster_id,
        "phash": doc.phash,
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
        print(f"  taken:    {d['taken_at']}")
    camera = " ".join(x for x in (d["camera_make"], d["camera_model"]) if x)
    if camera:
        print(f"  camera:   {camera}" + (f" ({d['lens']})" if d["lens"] else ""))
    if d["gps"]:
        print(f"  gps:      {d['gps'][0]:.6f}, {d['gps'][1]:.6f}")
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
