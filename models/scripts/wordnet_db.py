"""A minimal reader for the WordNet 3.0 noun database files (Debian package wordnet-base).

Only what build_vocabulary.py needs: synsets by offset, lemmas, glosses, hypernyms (including
instance hypernyms), hyponyms, sense lookup by lemma, and the irregular plural list (noun.exc).
Synset ids are written the ImageNet way: "n" + the 8-digit data.noun offset.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

WORDNET_DIR = Path("/usr/share/wordnet")


@dataclass
class Synset:
    wnid: str
    lemmas: list[str]  # as written in WordNet, underscores turned into spaces
    gloss: str
    hypernyms: list[str] = field(default_factory=list)
    hyponyms: list[str] = field(default_factory=list)


class WordNetNouns:
    def __init__(self, root: Path = WORDNET_DIR):
        self.root = Path(root)
        if not (self.root / "data.noun").exists():
            raise SystemExit(f"WordNet not found in {root}: apt-get install -y wordnet-base")
        self.synsets: dict[str, Synset] = {}
        self.senses: dict[str, list[str]] = {}  # lemma (lower, spaces) -> wnids, sense order
        self._read_data()
        self._read_index()
        self.plural_exceptions = self._read_exc()

    def _read_data(self) -> None:
        with open(self.root / "data.noun", encoding="latin-1") as f:
            for line in f:
                if line.startswith("  "):  # licence header
                    continue
                body, _, gloss = line.partition(" | ")
                parts = body.split()
                offset, n_words = parts[0], int(parts[3], 16)
                lemmas = []
                for i in range(n_words):
                    word = parts[4 + 2 * i]
                    # adjective markers like "(p)" never occur on nouns, but strip defensively
                    lemmas.append(word.split("(")[0].replace("_", " "))
                k = 4 + 2 * n_words
                n_ptrs = int(parts[k])
                hypernyms, hyponyms = [], []
                for j in range(n_ptrs):
                    sym, target, pos = parts[k + 1 + 4 * j: k + 4 + 4 * j]
                    if pos != "n":
                        continue
                    if sym in ("@", "@i"):
                        hypernyms.append("n" + target)
                    elif sym in ("~", "~i"):
                        hyponyms.append("n" + target)
                wnid = "n" + offset
                self.synsets[wnid] = Synset(wnid, lemmas, gloss.strip(), hypernyms, hyponyms)

    def _read_index(self) -> None:
        with open(self.root / "index.noun", encoding="latin-1") as f:
            for line in f:
                if line.startswith("  "):
                    continue
                parts = line.split()
                lemma, n_senses, n_ptr_types = parts[0], int(parts[2]), int(parts[3])
                offsets = parts[4 + n_ptr_types + 2:]
                assert len(offsets) == n_senses, line
                self.senses[lemma.replace("_", " ")] = ["n" + o for o in offsets]

    def _read_exc(self) -> dict[str, str]:
        exc = {}
        with open(self.root / "noun.exc", encoding="latin-1") as f:
            for line in f:
                inflected, base, *_ = line.split()
                exc[inflected.replace("_", " ")] = base.replace("_", " ")
        return exc

    def synset(self, name: str) -> Synset:
        """'dog.n.01' style name (lemma, sense number) -> synset."""
        lemma, pos, num = name.rsplit(".", 2)
        assert pos == "n", name
        return self.synsets[self.senses[lemma.replace("_", " ").lower()][int(num) - 1]]

    def ancestors(self, wnid: str) -> dict[str, int]:
        """Every hypernym above wnid (all paths), with its shortest distance in hops."""
        dist: dict[str, int] = {}
        frontier = [(h, 1) for h in self.synsets[wnid].hypernyms]
        while frontier:
            nxt = []
            for w, d in frontier:
                if w not in dist or d < dist[w]:
                    dist[w] = d
                    nxt.extend((h, d + 1) for h in self.synsets[w].hypernyms)
            frontier = nxt
        return dist
