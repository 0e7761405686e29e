"""Build the label vocabulary shipped in models/: canonical labels, synonyms, hypernym links.

Writes
  models/vocabulary/vocabulary.json       concepts (classes, COCO labels, WordNet ancestors),
                                           everyday-word aliases and irregular plurals
  models/efficientnet-lite2/labels.txt    tagger output index -> canonical label -> wnid
  models/ssd-mobilenet-v2-coco/labels.txt detector class id (COCO 90-id map) -> label -> wnid

Needs WordNet 3.0 from Debian (apt-get install -y wordnet-base; data in /usr/share/wordnet) and the
ImageNet-1k wnids. The class index order is the standard one (class i = i-th wnid in sorted order,
the Keras/torchvision order); the wnids are read from an ImageNet folder whose file names start with
them (one photo per class), or from the existing labels.txt when rebuilding:

    python3 models/scripts/build_vocabulary.py --imagenet /work/shared/datasets/imagenet-sample

Only the standard library is used, so any python3 runs it.
"""
from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

from wordnet_db import WORDNET_DIR, WordNetNouns

HERE = Path(__file__).resolve().parent
MODELS = HERE.parent
TAGGER_LABELS = MODELS / "efficientnet-lite2" / "labels.txt"
DETECTOR_LABELS = MODELS / "ssd-mobilenet-v2-coco" / "labels.txt"
VOCABULARY = MODELS / "vocabulary" / "vocabulary.json"

# The COCO 90-id label map used by the TF Object Detection API models (mscoco_label_map.pbtxt),
# each with the WordNet synset it means. Ids 12, 26, 29, 30, 45, 66, 68, 69, 71, 83 are unused.
# None: no WordNet synset ("stop sign"). Where the synset is an ImageNet class (tv, mouse, laptop,
# ...) the class label wins, so classifier and detector tags agree.
COCO = [
    (1, "person", "person.n.01"), (2, "bicycle", "bicycle.n.01"), (3, "car", "car.n.01"),
    (4, "motorcycle", "motorcycle.n.01"), (5, "airplane", "airplane.n.01"), (6, "bus", "bus.n.01"),
    (7, "train", "train.n.01"), (8, "truck", "truck.n.01"), (9, "boat", "boat.n.01"),
    (10, "traffic light", "traffic_light.n.01"), (11, "fire hydrant", "fireplug.n.01"),
    (13, "stop sign", None), (14, "parking meter", "parking_meter.n.01"), (15, "bench", "bench.n.01"),
    (16, "bird", "bird.n.01"), (17, "cat", "cat.n.01"), (18, "dog", "dog.n.01"),
    (19, "horse", "horse.n.01"), (20, "sheep", "sheep.n.01"), (21, "cow", "cow.n.01"),
    (22, "elephant", "elephant.n.01"), (23, "bear", "bear.n.01"), (24, "zebra", "zebra.n.01"),
    (25, "giraffe", "giraffe.n.01"), (27, "backpack", "backpack.n.01"),
    (28, "umbrella", "umbrella.n.01"), (31, "handbag", "handbag.n.01"), (32, "tie", "necktie.n.01"),
    (33, "suitcase", "suitcase.n.01"), (34, "frisbee", "frisbee.n.01"), (35, "skis", "ski.n.01"),
    (36, "snowboard", "snowboard.n.01"), (37, "sports ball", "ball.n.01"), (38, "kite", "kite.n.03"),
    (39, "baseball bat", "baseball_bat.n.01"), (40, "baseball glove", "baseball_glove.n.01"),
    (41, "skateboard", "skateboard.n.01"), (42, "surfboard", "surfboard.n.01"),
    (43, "tennis racket", "tennis_racket.n.01"), (44, "bottle", "bottle.n.01"),
    (46, "wine glass", "wineglass.n.01"), (47, "cup", "cup.n.01"), (48, "fork", "fork.n.01"),
    (49, "knife", "knife.n.01"), (50, "spoon", "spoon.n.01"), (51, "bowl", "bowl.n.03"),
    (52, "banana", "banana.n.02"), (53, "apple", "apple.n.01"), (54, "sandwich", "sandwich.n.01"),
    (55, "orange", "orange.n.01"), (56, "broccoli", "broccoli.n.02"), (57, "carrot", "carrot.n.03"),
    (58, "hot dog", "hotdog.n.02"), (59, "pizza", "pizza.n.01"), (60, "donut", "doughnut.n.02"),
    (61, "cake", "cake.n.03"), (62, "chair", "chair.n.01"), (63, "couch", "sofa.n.01"),
    (64, "potted plant", "pot_plant.n.01"), (65, "bed", "bed.n.01"),
    (67, "dining table", "dining_table.n.01"), (70, "toilet", "toilet.n.02"),
    (72, "tv", "television.n.02"), (73, "laptop", "laptop.n.01"), (74, "mouse", "mouse.n.04"),
    (75, "remote", "remote_control.n.01"), (76, "keyboard", "computer_keyboard.n.01"),
    (77, "cell phone", "cellular_telephone.n.01"), (78, "microwave", "microwave.n.02"),
    (79, "oven", "oven.n.01"), (80, "toaster", "toaster.n.02"), (81, "sink", "sink.n.01"),
    (82, "refrigerator", "refrigerator.n.01"), (84, "book", "book.n.02"), (85, "clock", "clock.n.01"),
    (86, "vase", "vase.n.01"), (87, "scissors", "scissors.n.01"), (88, "teddy bear", "teddy.n.01"),
    (89, "hair drier", "hand_blower.n.01"), (90, "toothbrush", "toothbrush.n.01"),
]
# Readable canonical names for COCO concepts that are not ImageNet classes, where the COCO name
# is awkward ("skis", "sports ball") or the WordNet first lemma is ambiguous ("bag").
COCO_LABEL = {"skis": "ski", "sports ball": "ball", "hair drier": "hair dryer"}

# WordNet ancestors too generic to be a useful tag or search word: ontology scaffolding that every
# object or animal sits under. They are dropped as tags; the chain continues through them.
SKIP_ANCESTORS = {
    "entity.n.01", "physical_entity.n.01", "abstraction.n.06", "object.n.01", "whole.n.02",
    "artifact.n.01", "living_thing.n.01", "organism.n.01", "causal_agent.n.01", "matter.n.03",
    "substance.n.01", "substance.n.07", "solid.n.01", "part.n.02", "part.n.03", "thing.n.12", "unit.n.05",
    "instrumentality.n.03", "psychological_feature.n.01", "attribute.n.02", "relation.n.01",
    "measure.n.02", "group.n.01", "natural_object.n.01", "commodity.n.01", "consumer_goods.n.01",
    "content.n.05", "communication.n.02", "event.n.01", "act.n.02", "state.n.02",
    "chordate.n.01", "craniate.n.01", "eutherian_mammal.n.01", "placental.n.01", "covering.n.02",
    "implement.n.01", "structure.n.01", "creation.n.02", "product.n.02", "whole.n.02",
    "nutriment.n.01", "foodstuff.n.02", "plant_organ.n.01", "plant_part.n.01", "reproductive_structure.n.01",
    "vascular_plant.n.01", "object.n.01", "invertebrate.n.01", "system.n.01", "equipment.n.01",
    "article.n.02", "ware.n.01", "material.n.01", "medium.n.01", "way.n.06", "surface.n.01",
    "protective_covering.n.01", "line.n.18", "mechanism.n.05", "instrument.n.01", "mechanical_device.n.01",
    "electronic_equipment.n.01", "durables.n.01", "container.n.01", "part.n.01",
}

# Links WordNet 3.0 lacks that everyday language assumes: in WordNet a bus or a train is
# "public transport", not a "vehicle". Added as extra hypernyms before anything else is computed.
EXTRA_PARENTS = {
    "bus.n.01": ["motor_vehicle.n.01"],
    "train.n.01": ["vehicle.n.01"],
}

# Everyday words that WordNet does not link to the labels that mean them. Values are canonical
# labels (checked to exist when the vocabulary is built).
EVERYDAY_ALIASES = {
    "rooster": ["cock"], "cockerel": ["cock"], "chicken": ["cock", "hen"],
    "people": ["person"], "persons": ["person"], "human": ["person"], "humans": ["person"],
    "man": ["person"], "men": ["person"], "woman": ["person"], "women": ["person"],
    "boy": ["person"], "girl": ["person"], "child": ["person"], "children": ["person"],
    "kid": ["person"], "kids": ["person"], "baby": ["person"], "lady": ["person"], "guy": ["person"],
    "adult": ["person"], "crowd": ["person"], "portrait": ["person"], "selfie": ["person"],
    "puppy": ["dog"], "doggy": ["dog"], "doggie": ["dog"], "pup": ["dog"],
    "kitten": ["cat"], "kitty": ["cat"], "pussycat": ["cat"],
    "stop": ["stop sign"], "stopsign": ["stop sign"], "road sign": ["street sign", "stop sign"],
    "sofa": ["couch"], "tv": ["television"], "telly": ["television"],
    "phone": ["cellular telephone", "dial telephone"], "mobile phone": ["cellular telephone"],
    "smartphone": ["cellular telephone"], "mobile": ["cellular telephone"],
    "fridge": ["refrigerator"], "motorbike": ["motorcycle"], "plane": ["airplane", "airliner"],
    "aeroplane": ["airplane", "airliner"], "bike": ["bicycle", "motorcycle"],
    "doughnut": ["donut"], "hotdog": ["hotdog"], "hairdryer": ["hand blower"],
    "coffee": ["espresso", "cup"], "espresso": ["espresso"], "beach": ["seashore", "sandbar"],
    "sea": ["seashore"], "ocean": ["seashore"], "lake": ["lakeside"], "mountains": ["alp", "volcano"],
    "mountain": ["alp", "volcano"], "ship": ["ship"], "boat": ["boat"], "car": ["car"], "auto": ["car"],
    "flower": ["flower"], "flowers": ["flower"], "food": ["food"], "meal": ["food"], "dessert": ["dessert"],
    "cow": ["cow", "ox"], "cattle": ["cattle"], "kite": ["kite"], "rocket": ["missile", "space shuttle"],
    "spaceship": ["space shuttle"], "fish": ["fish"], "bug": ["insect"], "bugs": ["insect"],
    "cup": ["cup"], "mug": ["coffee mug", "cup"], "computer": ["computer"], "notebook": ["laptop", "notebook"],
    "table": ["dining table", "table"], "glasses": ["sunglasses", "spectacles"],
    "couch": ["couch"], "bear": ["bear"], "teddy": ["teddy"],
}

NON_ALNUM = re.compile(r"[^0-9a-z' ]+")


def norm(text: str) -> str:
    """How every word is keyed: lower case, underscores and hyphens as spaces, single spaces."""
    return " ".join(NON_ALNUM.sub(" ", text.lower().replace("_", " ").replace("-", " ")).split())


def imagenet_wnids(args) -> list[str]:
    if args.imagenet:
        wnids = sorted({p.name.split("_")[0] for p in Path(args.imagenet).iterdir()
                        if re.match(r"n\d{8}_", p.name)})
    else:
        wnids = [line.split("\t")[2].strip() for line in TAGGER_LABELS.read_text().splitlines()
                 if line and not line.startswith("#")]
    if len(wnids) != 1000:
        raise SystemExit(f"expected 1000 ImageNet wnids, found {len(wnids)}")
    return wnids


class Builder:
    def __init__(self, wn: WordNetNouns, classes: list[str]):
        self.wn = wn
        for child, parents in EXTRA_PARENTS.items():
            hypernyms = wn.synset(child).hypernyms
            hypernyms += [wn.synset(p).wnid for p in parents if wn.synset(p).wnid not in hypernyms]
        self.classes = classes
        self.coco = [(cid, name, wn.synset(s).wnid if s else None) for cid, name, s in COCO]
        self.skip = {wn.synset(s).wnid for s in SKIP_ANCESTORS}
        self.labels: dict[str, str] = {}  # wnid -> canonical label
        self.no_wnid_labels: list[str] = []

    def concept_wnids(self) -> tuple[set[str], set[str]]:
        leaves = set(self.classes) | {w for _, _, w in self.coco if w}
        ancestors = set()
        for w in leaves:
            ancestors |= set(self.wn.ancestors(w))
        return leaves, ancestors - self.skip - leaves

    def assign_labels(self, wnids: set[str]) -> None:
        preferred: dict[str, str] = {}
        for w in wnids:
            preferred[w] = norm(self.wn.synsets[w].lemmas[0])
        class_set = set(self.classes)
        for _, name, w in self.coco:
            if w and w not in class_set:
                preferred[w] = COCO_LABEL.get(name, name)
        by_label = defaultdict(list)
        for w, lab in preferred.items():
            by_label[lab].append(w)
        taken = {lab for lab, ws in by_label.items()}
        coco_wnids = {w for _, _, w in self.coco if w}
        for lab, ws in sorted(by_label.items()):
            if len(ws) == 1:
                self.labels[ws[0]] = lab
                continue
            # Same first lemma for different senses ("crane" the machine and the bird). The
            # COCO-mapped sense, else the most common sense (WordNet sense order), keeps the
            # plain word; the others take another unused lemma ("railcar"), else a qualifier
            # from their nearest hypernym ("crane (wading bird)").
            senses = self.wn.senses.get(lab, [])
            ws.sort(key=lambda w: (w not in coco_wnids, senses.index(w) if w in senses else 99, w))
            self.labels[ws[0]] = lab
            for w in ws[1:]:
                other = [norm(l) for l in self.wn.synsets[w].lemmas[1:]]
                free = [o for o in other if o not in taken and len(o) > 2]
                if free:
                    self.labels[w] = free[0]
                else:
                    self.labels[w] = f"{lab} ({self._qualifier(w, lab)})"
                taken.add(self.labels[w])
        dupes = defaultdict(list)
        for w, lab in self.labels.items():
            dupes[lab].append(w)
        for lab, ws in dupes.items():
            if len(ws) > 1:
                for w in ws[1:]:
                    self.labels[w] = f"{lab[:-1]}, {w})" if lab.endswith(")") else f"{lab} ({w})"
        assert len(set(self.labels.values())) == len(self.labels)
        self.no_wnid_labels = [COCO_LABEL.get(n, n) for _, n, w in self.coco if w is None]

    def _qualifier(self, wnid: str, label: str) -> str:
        """The nearest hypernym with a different readable name (skipped ones allowed here)."""
        frontier = list(self.wn.synsets[wnid].hypernyms)
        while frontier:
            h = frontier.pop(0)
            name = norm(self.wn.synsets[h].lemmas[0])
            if name != label:
                return name
            frontier.extend(self.wn.synsets[h].hypernyms)
        return wnid

    def kept_parents(self, wnid: str, concepts: set[str]) -> list[str]:
        """Direct hypernyms that are concepts; skipped ones are looked through."""
        out, frontier, seen = [], list(self.wn.synsets[wnid].hypernyms), set()
        while frontier:
            h = frontier.pop(0)
            if h in seen:
                continue
            seen.add(h)
            if h in concepts:
                out.append(h)
            else:
                frontier.extend(self.wn.synsets[h].hypernyms)
        return out

    def build(self) -> dict:
        leaves, ancestors = self.concept_wnids()
        concepts = leaves | ancestors
        self.assign_labels(concepts)
        class_set = set(self.classes)
        coco_by_wnid = {w: name for _, name, w in self.coco if w}
        items = []
        for w in sorted(concepts):
            ss = self.wn.synsets[w]
            kind = "class" if w in class_set else ("detector" if w in coco_by_wnid else "ancestor")
            synonyms = [norm(l) for l in ss.lemmas]
            if w in coco_by_wnid:
                synonyms.append(norm(coco_by_wnid[w]))
            label = self.labels[w]
            synonyms = [s for s in dict.fromkeys(synonyms) if s != label]
            items.append({
                "label": label, "wnid": w, "kind": kind, "synonyms": synonyms,
                "parents": sorted(self.labels[p] for p in self.kept_parents(w, concepts)),
                "gloss": ss.gloss.split(";")[0].strip(),
            })
        for name in self.no_wnid_labels:
            items.append({"label": name, "wnid": None, "kind": "detector", "synonyms": [],
                          "parents": [], "gloss": "COCO label without a WordNet 3.0 synset"})
        all_labels = {c["label"] for c in items}
        aliases = {}
        missing = {w: [t for t in ts if t not in all_labels] for w, ts in EVERYDAY_ALIASES.items()}
        missing = {w: ts for w, ts in missing.items() if ts}
        if missing:
            raise SystemExit(f"aliases point at unknown labels: {missing}")
        for word, targets in EVERYDAY_ALIASES.items():
            aliases[norm(word)] = targets
        words = {norm(s) for c in items for s in [c["label"], *c["synonyms"]]} | set(aliases)
        plurals = {norm(k): norm(v) for k, v in self.wn.plural_exceptions.items()
                   if norm(v) in words and norm(k) not in words}
        return {
            "format": 1,
            "source": "WordNet 3.0 noun database (Debian wordnet-base), ImageNet-1k wnids, COCO 90-id label map",
            "license": "WordNet 3.0 licence (Princeton University), see models/vocabulary/LICENSE-WordNet.txt",
            "extra_parents": EXTRA_PARENTS,
            "skipped_ancestors": sorted(norm(self.wn.synsets[w].lemmas[0]) for w in self.skip),
            "concepts": items,
            "aliases": dict(sorted(aliases.items())),
            "plurals": dict(sorted(plurals.items())),
        }


def write_labels(builder: Builder) -> None:
    TAGGER_LABELS.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# index\tcanonical label\tWordNet 3.0 id (ImageNet-1k class order: sorted wnids)"]
    lines += [f"{i}\t{builder.labels[w]}\t{w}" for i, w in enumerate(builder.classes)]
    TAGGER_LABELS.write_text("\n".join(lines) + "\n")
    DETECTOR_LABELS.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# class id (COCO 90-id map)\tcanonical label\tWordNet 3.0 id (or -)\tCOCO name"]
    for cid, name, w in builder.coco:
        label = builder.labels[w] if w else COCO_LABEL.get(name, name)
        lines.append(f"{cid}\t{label}\t{w or '-'}\t{name}")
    DETECTOR_LABELS.write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description="Build models/vocabulary/vocabulary.json and labels files")
    ap.add_argument("--imagenet", help="folder of nXXXXXXXX_*.JPEG files (one per class)")
    ap.add_argument("--wordnet", default=str(WORDNET_DIR))
    args = ap.parse_args()
    wn = WordNetNouns(Path(args.wordnet))
    builder = Builder(wn, imagenet_wnids(args))
    vocab = builder.build()
    VOCABULARY.parent.mkdir(parents=True, exist_ok=True)
    VOCABULARY.write_text(json.dumps(vocab, indent=0, ensure_ascii=False) + "\n")
    write_labels(builder)
    kinds = defaultdict(int)
    for c in vocab["concepts"]:
        kinds[c["kind"]] += 1
    print(f"{len(vocab['concepts'])} concepts {dict(kinds)}, {len(vocab['aliases'])} aliases, "
          f"{len(vocab['plurals'])} irregular plurals -> {VOCABULARY}")


if __name__ == "__main__":
    main()
