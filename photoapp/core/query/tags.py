"""Tags people understand: which labels browsing views show, and under which name.

Every photo carries its classes (what the model names: "golden retriever", "plate (entree)")
and their WordNet ancestors ("dog", "animal", but also "conveyance", "self propelled vehicle",
"placental"). All of them stay searchable; the sidebar and tag lists show the classes and only
those ancestors people use as everyday words (EVERYDAY_ANCESTORS, chosen by hand from the
vocabulary's 792 ancestors: umbrella words such as "animal", "bird", "vehicle", "food", "flower",
and names people say, such as "parrot", "shark", "terrier"), so that the list reads as a
photographer would write it. The confidence floor for counting is plan.TAG_MIN_CONFIDENCE.
"""
from __future__ import annotations

EVERYDAY_ANCESTORS = frozenset({
    "aircraft", "animal", "ape", "bag", "beetle", "beverage", "big cat", "bird", "bird of prey", "bread",
    "bridge", "building", "butterfly", "camera", "cattle", "clothing", "computer", "coral", "crab", "dessert",
    "dinosaur", "dish", "dog", "dolphin", "domestic cat", "door", "duck", "eagle", "fence", "fish", "flower",
    "food", "fox", "frog", "fruit", "fungus", "furniture", "guitar", "gun", "hat", "hawk", "hound", "house",
    "hunting dog", "insect", "kangaroo", "keyboard", "lamp", "lizard", "lobster", "mammal", "monkey",
    "mountain", "musical instrument", "owl", "parrot", "penguin", "piano", "plant", "poodle", "rabbit",
    "reptile", "retriever", "rodent", "sailboat", "sauce", "sea turtle", "seabird", "seal", "shark", "ship",
    "shoe", "shop", "sign", "snake", "soup", "spaniel", "spectacles", "spider", "sports equipment",
    "squirrel", "table", "telephone", "terrier", "tool", "tower", "turtle", "vegetable", "vehicle",
    "watch", "weapon", "whale", "wine", "wolf",
})


def is_everyday(label: str, vocabulary) -> bool:
    """Whether browsing views list ``label``: a label the models emit, a label the vocabulary
    does not know, or an everyday ancestor. ``vocabulary`` None: every label."""
    concept = vocabulary.concept(label) if vocabulary is not None and hasattr(vocabulary, "concept") else None
    return concept is None or concept.kind != "ancestor" or label in EVERYDAY_ANCESTORS


def display_name(label: str, vocabulary=None) -> str:
    """The name to show for a label: WordNet's sense qualifier dropped unless the bare word is
    itself a label browsing views show ("plate (entree)" -> "plate", as the "plate" dishware
    ancestor is not listed; "crane (wading bird)" stays, "crane" being the machine), nor when
    another sense of the word is a label too."""
    if not label.endswith(")") or " (" not in label:
        return label
    word = label.split(" (", 1)[0]
    if vocabulary is None or not hasattr(vocabulary, "concept"):
        return word
    if vocabulary.concept(word) is not None and is_everyday(word, vocabulary):
        return label
    if hasattr(vocabulary, "labels") and any(l != label and l.startswith(word + " (") for l in vocabulary.labels()):
        return label  # "cap (top)" and "cap (protective covering)" both exist
    return word
