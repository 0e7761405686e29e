"""Word rules for text read in photos, shared by the analyzer, both index backends' explanations
and the front ends: folding (case and accents), words of a line with estimated boxes, and which
stored lines a query's words were found in."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ..records import TextLine, TextWord

_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower case without accents ("Café" -> "cafe"): what both backends' analysers index (FTS5
    ``unicode61 remove_diacritics 2``, Elasticsearch ``lowercase`` + ``asciifolding``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokens(text: str) -> list[str]:
    """Folded words of ``text`` (letters and digits; punctuation separates)."""
    return _WORD.findall(fold(text).replace("_", " "))


def split_words(text: str, box: tuple[float, float, float, float],
                char_scores: Sequence[float] | None = None, line_score: float = 1.0) -> tuple[TextWord, ...]:
    """The whitespace-separated words of a recognised line, each with a box cut from the line's
    box in proportion to its characters (the recogniser reads a line at a steady pace, so a
    word's share of the characters is close to its share of the width) and the mean confidence
    of its characters (``char_scores``, one per character of ``text``; else ``line_score``)."""
    x0, y0, x1, y1 = box
    n = max(1, len(text))
    out = []
    for m in re.finditer(r"\S+", text):
        a = x0 + (x1 - x0) * m.start() / n
        b = x0 + (x1 - x0) * m.end() / n
        scores = list(char_scores[m.start():m.end()]) if char_scores is not None else []
        score = sum(scores) / len(scores) if scores else line_score
        out.append(TextWord(m.group(0), (round(a, 5), y0, round(b, 5), y1), round(float(score), 4)))
    return tuple(out)


def searchable_text(lines: Sequence[TextLine]) -> str:
    """The text both backends index: every line, in reading order, one per line. A phrase may
    run on from one line to the next ("NO" above "PARKING" on a sign is "no parking")."""
    return "\n".join(line.text for line in lines)


def matched_lines(lines: Sequence[TextLine], query_text: str) -> list[int]:
    """Indexes of the lines holding the words of ``query_text`` as a phrase (folded, as the
    index matches them), including a phrase that runs over consecutive lines."""
    needle = tokens(query_text)
    if not needle or not lines:
        return []
    flat: list[tuple[str, int]] = [(t, i) for i, line in enumerate(lines) for t in tokens(line.text)]
    found: list[int] = []
    for start in range(len(flat) - len(needle) + 1):
        if all(flat[start + k][0] == w for k, w in enumerate(needle)):
            found.extend(flat[start + k][1] for k in range(len(needle)))
    return list(dict.fromkeys(found))
