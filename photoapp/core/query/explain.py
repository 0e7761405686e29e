"""Why a hit matched, computed from the stored fields of the hit, the same way for every backend.

Each backend fetches the few stored fields of its hits (tags, objects, paths, camera, colours)
into a ``Stored`` and calls ``explain``; the rules are the plan's (plan.py). Entries are
``(kind, what, value)``: ("tag", "golden retriever", 0.93), ("object", "dog", 0.88),
("name", "dog.jpg", 1.0), ("folder", "/photos/2019", 1.0), ("camera", "Canon EOS R", 1.0),
("text", "NO PARKING", 0.97) (a line read in the photo that holds the words),
("color", "red", 0.31). At most EXPLAIN_PER_KIND labels per term and kind, best first.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

EXPLAIN_PER_KIND = 3


@dataclass
class Stored:
    tags: Sequence[tuple[str, float]] = ()
    objects: Sequence[tuple[str, float]] = ()
    paths: Sequence[str] = ()
    camera: str = ""  # make, model and lens, as the text the query matched
    place: str = ""  # the place name ("Arezzo, Tuscany, Italy"), as Place.label
    colors: Sequence[tuple[str, float]] = ()
    text_lines: Sequence[tuple[str, float]] = ()  # text read in the photo: (line, confidence)


@dataclass(frozen=True)
class ExplainTerm:
    """A term as a backend resolved it: ``labels`` it matches, or None for "every label whose
    words contain the text" (then ``label_words(label)`` gives a label's words)."""

    text: str
    min_confidence: float | None
    tag_only: bool
    labels: frozenset[str] | None = field(default=None)
    text_only: bool = False  # text:... matches only the text read in the photo


def words(text: str) -> list[str]:
    return [t for w in re.findall(r"\w+", text.lower()) for t in w.split("_") if t]


def contains_phrase(haystack: str, text: str) -> bool:
    """Loose phrase check: each word of ``text`` in order, compared by its first four letters
    (what a stemmer would allow: "dogs" finds "dog")."""
    hay, needle = words(haystack), words(text)
    if not needle:
        return False
    for i in range(len(hay) - len(needle) + 1):
        if all(h.startswith(n[:4]) for h, n in zip(hay[i:i + len(needle)], needle)):
            return True
    return False


def explain(terms: Iterable[ExplainTerm], stored: Stored, colors: Iterable[str] = (),
            label_words: Callable[[str], str] | None = None) -> list[tuple[str, str, float]]:
    out: list[tuple[str, str, float]] = []
    for term in terms:
        if term.text_only:
            out.extend(_text_lines_hit(stored, term.text))
            continue
        minimum = term.min_confidence or 0.0
        for kind, items in (("tag", stored.tags), ("object", stored.objects)):
            best: dict[str, float] = {}
            for label, conf in items:
                if term.labels is not None:
                    hit = label in term.labels
                else:
                    hit = contains_phrase(label_words(label) if label_words else label, term.text)
                if hit and conf >= minimum:
                    best[label] = max(best.get(label, 0.0), float(conf))
            ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:EXPLAIN_PER_KIND]
            out.extend((kind, label, round(c, 4)) for label, c in ranked)
        if term.tag_only:
            continue
        for path in sorted(stored.paths):
            name = os.path.basename(path.replace("\\", "/"))
            if contains_phrase(name, term.text):
                out.append(("name", name, 1.0))
                break
        for folder in dict.fromkeys(os.path.dirname(p.replace("\\", "/")) for p in sorted(stored.paths)):
            if contains_phrase(folder, term.text):
                out.append(("folder", folder, 1.0))
                break
        if stored.camera and contains_phrase(stored.camera, term.text):
            out.append(("camera", stored.camera, 1.0))
        if stored.place and contains_phrase(stored.place, term.text):
            out.append(("place", stored.place, 1.0))
        out.extend(_text_lines_hit(stored, term.text))
    wanted = set(colors)
    out.extend(("color", name, round(float(share), 4)) for name, share in stored.colors if name in wanted)
    # Two terms can name the same tag ("tag:dog dog>=0.9"): say it once.
    return list(dict.fromkeys(out))


def _text_lines_hit(stored: Stored, text: str) -> list[tuple[str, str, float]]:
    """("text", line, confidence) for the lines read in the photo that hold ``text`` (the
    same folding as the indexes: case and accents; a phrase may run over two lines)."""
    from ..ocr.words import matched_lines
    from ..records import TextLine

    if not stored.text_lines:
        return []
    lines = [TextLine(t, float(c), (0.0, 0.0, 0.0, 0.0)) for t, c in stored.text_lines]
    return [("text", lines[i].text, round(lines[i].score, 4)) for i in matched_lines(lines, text)]
