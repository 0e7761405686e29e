""""Did you mean dog?": the closest vocabulary words to an unknown word, by edit distance.

Distance is Damerau-Levenshtein (a swapped pair of letters, "dgo", counts as one edit). How far a
suggestion may be grows with the word: 1 edit up to 4 letters, 2 up to 8, 3 beyond; anything
further is not a typo of it. Among equally close words, one starting with the same letter and
then the shorter one wins (people rarely mistype the first letter).
"""
from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[^\W\d_][\w'-]*")


def max_edits(word: str) -> int:
    return 1 if len(word) <= 4 else 2 if len(word) <= 8 else 3


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance between a and b, or limit + 1 once it exceeds limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def vocabulary_words(vocabulary) -> list[str]:
    """The words a vocabulary knows: ``words()`` (labels, synonyms, aliases) when it has it, else
    ``labels()``; or the strings themselves when given a plain iterable."""
    if hasattr(vocabulary, "words"):
        return list(vocabulary.words())
    if hasattr(vocabulary, "labels"):
        return list(vocabulary.labels())
    return list(vocabulary)


def suggest(text: str, vocabulary, limit: int = 3) -> list[str]:
    """Up to ``limit`` vocabulary words closest to ``text`` (best first); [] when ``text`` is
    itself a known word or nothing is close enough. ``vocabulary``: see vocabulary_words()."""
    word = " ".join(text.lower().split())
    if not word:
        return []
    words: Iterable[str] = vocabulary_words(vocabulary)
    limit_edits = max_edits(word)
    scored = []
    for candidate in words:
        if candidate == word:
            return []
        d = edit_distance(word, candidate, limit_edits)
        if d <= limit_edits:
            scored.append((d, candidate[:1] != word[:1], len(candidate), candidate))
    return [c for *_, c in sorted(scored)[:limit]]


def suggest_query(text: str, vocabulary, known=lambda word: False) -> str | None:
    """``text`` with every word the vocabulary cannot resolve (and ``known(word)`` does not vouch
    for, e.g. a word found in file names) replaced by its closest vocabulary word; None when no
    word changes. Filters, quotes, numbers and the parser's own words are left as they are."""
    from .parse import is_query_word

    # A word of a known phrase ("golden" of "golden retriever") is no typo either.
    phrase_words = {w for phrase in vocabulary_words(vocabulary) for w in phrase.split()}
    changed = False
    out = []
    last = 0
    for m in _WORD.finditer(text):
        start, end = m.span()
        prefix = text[max(0, start - 1):start]
        if prefix and prefix not in " -(\t\n":  # part of a field, a phrase or a path: keep
            continue
        if text[end:end + 1] == ":":  # a field name such as tag:
            continue
        word = m.group(0).lower()
        if word in phrase_words or vocabulary.resolve(word) or known(word) or is_query_word(word):
            continue
        best = suggest(word, vocabulary, 1)
        if best:
            out.append(text[last:start] + best[0])
            last = end
            changed = True
    if not changed:
        return None
    return "".join(out) + text[last:]
