"""Labels with meaning: synonyms, WordNet ancestors and everyday words for every model label.

Data: models/vocabulary/vocabulary.json, built by models/scripts/build_vocabulary.py from WordNet
3.0. Each concept has a canonical label (lower case, unique), its other words, and its direct
parents (hypernyms, with ontology scaffolding like "entity"/"artifact"/"organism" looked through;
the JSON lists those as ``skipped_ancestors``). A label a model emits that the vocabulary does
not know is still a valid tag: it just has no synonyms or ancestors.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import ModelError
from ..records import DetectedObject, Tag

NON_ALNUM = re.compile(r"[^0-9a-z' ]+")
# Regular English plural endings, tried in order (WordNet's morphy rules for nouns).
PLURAL_RULES = (("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"),
                ("men", "man"), ("ies", "y"), ("s", ""))
# Ancestor tags below this summed probability are noise from the tail of the top-k list.
MIN_ANCESTOR_CONFIDENCE = 0.05


def normalise(text: str) -> str:
    """Lower case, underscores/hyphens/punctuation as spaces, single spaces."""
    return " ".join(NON_ALNUM.sub(" ", text.lower().replace("_", " ").replace("-", " ")).split())


@dataclass(frozen=True)
class Concept:
    label: str
    wnid: str | None
    kind: str  # class | detector | ancestor
    synonyms: tuple[str, ...]
    parents: tuple[str, ...]
    gloss: str = ""


class WordNetVocabulary:
    """Implements api.Vocabulary."""

    def __init__(self, concepts: list[Concept], aliases: dict[str, list[str]],
                 plurals: dict[str, str], min_ancestor_confidence: float = MIN_ANCESTOR_CONFIDENCE):
        self.concepts = {c.label: c for c in concepts}
        self.plurals = plurals
        self.min_ancestor_confidence = min_ancestor_confidence
        words: dict[str, list[str]] = {}

        def add(word: str, label: str) -> None:
            key = normalise(word)
            if key and label not in words.setdefault(key, []):
                words[key].append(label)

        for c in concepts:  # canonical labels first, so an exact label match comes first
            add(c.label, c.label)
        for c in concepts:
            for s in c.synonyms:
                add(s, c.label)
            if c.label.endswith(")") and " (" in c.label:  # "crane (wading bird)" is a "crane"
                add(c.label.split(" (")[0], c.label)
        for word, labels in aliases.items():
            for label in labels:
                add(word, label)
        self._words = {k: tuple(v) for k, v in words.items()}

    @classmethod
    def from_file(cls, path: str | Path) -> "WordNetVocabulary":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            concepts = [Concept(label=c["label"], wnid=c.get("wnid"), kind=c.get("kind", "class"),
                                synonyms=tuple(c.get("synonyms", ())),
                                parents=tuple(c.get("parents", ())), gloss=c.get("gloss", ""))
                        for c in data["concepts"]]
        except FileNotFoundError:
            raise ModelError(f"vocabulary file {path} is missing") from None
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ModelError(f"vocabulary file {path} is malformed ({e})") from None
        return cls(concepts, data.get("aliases", {}), data.get("plurals", {}))

    # --- api.Vocabulary -------------------------------------------------------------------------

    def expand(self, top_classes: list[tuple[str, float]],
               objects: list[DetectedObject]) -> list[Tag]:
        """Tags for one photo, one per label, best first.

        classifier: the top classes as given; detector: max score per label; ancestor: every
        WordNet ancestor of those labels, confidence = summed probability of the photo's classes
        under it (capped at 1), or the best detector score under it if higher (so a detected car
        makes the photo a "vehicle" too). Ancestors under MIN_ANCESTOR_CONFIDENCE are dropped.
        Where a label comes from several sources the highest confidence wins.
        """
        best: dict[str, Tag] = {}

        def offer(label: str, conf: float, source: str) -> None:
            conf = float(min(1.0, max(0.0, conf)))
            cur = best.get(label)
            if cur is None or conf > cur.confidence:
                best[label] = Tag(label, conf, source)

        class_mass: dict[str, float] = {}
        for label, p in top_classes:
            offer(label, p, "classifier")
            for a in self.ancestors(label):
                class_mass[a] = class_mass.get(a, 0.0) + float(p)
        detector_best: dict[str, float] = {}
        for obj in objects:
            offer(obj.label, obj.score, "detector")
            for a in self.ancestors(obj.label):
                detector_best[a] = max(detector_best.get(a, 0.0), float(obj.score))
        for a in class_mass.keys() | detector_best.keys():
            conf = max(class_mass.get(a, 0.0), detector_best.get(a, 0.0))
            if conf >= self.min_ancestor_confidence:
                offer(a, conf, "ancestor")
        return sorted(best.values(), key=lambda t: (-t.confidence, t.label))

    def synonyms(self, label: str) -> list[str]:
        c = self.concepts.get(label) or self.concepts.get(normalise(label))
        return list(c.synonyms) if c else []

    def resolve(self, text: str) -> tuple[str, ...]:
        """Canonical labels a word or phrase means: exact words first, then singular forms."""
        key = normalise(text)
        if not key:
            return ()
        if key in self._words:
            return self._words[key]
        for singular in self._singulars(key):
            if singular in self._words:
                return self._words[singular]
        return ()

    def labels(self) -> list[str]:
        return sorted(self.concepts)

    # --- more than the protocol -------------------------------------------------------------------

    def ancestors(self, label: str) -> frozenset[str]:
        """Every ancestor label of label (not label itself); empty for unknown labels."""
        return self._ancestors(label)

    @lru_cache(maxsize=None)
    def _ancestors(self, label: str) -> frozenset[str]:
        c = self.concepts.get(label)
        if c is None:
            return frozenset()
        out: set[str] = set()
        for p in c.parents:
            if p in self.concepts and p != label:
                out.add(p)
                out |= self._ancestors(p)
        out.discard(label)
        return frozenset(out)

    def descendants(self, label: str) -> list[str]:
        """Labels whose ancestors include label (e.g. every dog breed under "dog")."""
        return sorted(c for c in self.concepts if label in self.ancestors(c))

    def concept(self, label: str) -> Concept | None:
        return self.concepts.get(label)

    def words(self) -> list[str]:
        """Every word resolve() knows exactly (labels, synonyms, aliases), for completion."""
        return sorted(self._words)

    def _singulars(self, key: str) -> list[str]:
        head, _, last = key.rpartition(" ")
        prefix = head + " " if head else ""
        out = []
        if last in self.plurals:
            out.append(prefix + self.plurals[last])
        for suffix, repl in PLURAL_RULES:
            if last.endswith(suffix) and len(last) > len(suffix) + 1:
                out.append(prefix + last[: -len(suffix)] + repl)
        return out
