"""How well faces are grouped into people, on identity-labelled photos, and where the grouping
thresholds come from.

    nice python -m photoapp.bench.people [--photos ../shared/datasets/faces-smoke]
        [--work /tmp/people-bench] [--out photoapp/bench/results/people.md]
    nice python -m photoapp.bench.people --scale [--out photoapp/bench/results/people-scale.md]

``--scale`` times the store and the grouping (no model) on constructed descriptors shaped like
dlib's (a common part: two people ~0.82 alike; one person's faces ~0.97 alike), 2,000 people with
5 faces each arriving in one refresh, and counts people mixing two identities.

The photos are indexed by the real pipeline (the faces analyzer with its real models) into a
scratch library, then grouped by the real ``People`` service (core/people) into a fresh people
store per threshold setting. Labels come from folder names: a folder is one person; ``fname_*``
folders are distinct, unverified people; ``_group-photos`` (and any folder starting with "_")
is unlabelled: its faces take part in the grouping (they can be wrongly merged with someone) but
are not scored. In a labelled photo the largest usable face is the labelled one; other faces
there are unlabelled.

Measured over labelled faces: pairwise precision (pairs put in one person that are one person)
and recall (pairs of one person put together), and the number of people holding faces of two or
more labels (wrong merges; what matters most). Each setting is run twice: every photo in one
batch (a library indexed at once) and one photo per refresh (photos arriving one by one).
"""
from __future__ import annotations

import argparse
import itertools
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from photoapp.core.people import grouping
from photoapp.core.people.quality import usable_for_people
from photoapp.core.people.service import FACES_ANALYZER, People
from photoapp.core.people.store import PeopleStore

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "faces-smoke"
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "people.md"
JOIN_LINK_GRID = [0.80, 0.85] + [round(0.88 + 0.01 * i, 3) for i in range(9)]  # .. 0.96
MERGE_MARGIN = 0.02  # merge threshold = join/link threshold + this


@dataclass
class Score:
    precision: float
    recall: float
    wrong_merges: int
    people: int  # people holding labelled faces
    labelled_faces: int
    pairs_same: int
    merged: list[str]  # the identities of each wrongly merged person, "a+b"


class Arrivals:
    """The library's catalog as the people service sees it, with only the first ``n`` analysed
    photos visible: photos arriving one at a time."""

    def __init__(self, catalog, order: list[str]):
        self.catalog, self.order, self.n = catalog, order, 0
        self.times = catalog.analysis_times(FACES_ANALYZER)

    def analysis_times(self, analyzer: str) -> dict[str, float]:
        return {h: self.times[h] for h in self.order[:self.n] if h in self.times}

    def paths_of(self, content_hash: str) -> list[str]:
        return self.catalog.paths_of(content_hash)


def index_photos(photos: Path, work: Path):
    """A scratch library over ``photos``, fully analysed (faces included)."""
    from photoapp.core.library import Library
    from photoapp.core.settings import Settings

    models = Path(__file__).resolve().parents[2] / "models"
    lib = Library.open(Settings(data_dir=work / "library", models_dir=models))
    if str(photos.resolve()) not in lib.folders():
        lib.add_folder(photos.resolve())
    started = time.monotonic()
    report = lib.index()
    return lib, report, time.monotonic() - started


def labelled_faces(lib, photos: Path) -> tuple[dict[tuple[str, int], str], dict[str, int]]:
    """(doc id, face ord) -> label for the labelled face of each labelled photo, and counts."""
    labels: dict[tuple[str, int], str] = {}
    counts = {"photos": 0, "labelled_photos": 0, "faces": 0, "usable": 0, "labelled_without_face": 0}
    for h in lib.catalog.analysis_times(FACES_ANALYZER):
        doc = lib.backend.get(h)
        if doc is None:
            continue
        counts["photos"] += 1
        counts["faces"] += len(doc.faces)
        usable = [i for i, f in enumerate(doc.faces) if usable_for_people(f)]
        counts["usable"] += len(usable)
        folder = Path(doc.path).parent.name
        if folder.startswith("_") or Path(doc.path).parent == photos.resolve():
            continue
        counts["labelled_photos"] += 1
        if not usable:
            counts["labelled_without_face"] += 1
            continue
        def area(f):
            return (f.box[2] - f.box[0]) * (f.box[3] - f.box[1])
        best = max(usable, key=lambda i: area(doc.faces[i]))
        labels[(h, best)] = folder
    return labels, counts


def face_ords(lib, people: People) -> dict[int, tuple[str, int]]:
    """store face id -> (doc id, face ord in the index), matched by box."""
    out = {}
    for h in people.catalog.analysis_times(FACES_ANALYZER):
        doc = lib.backend.get(h)
        for stored in people.faces_in(h):
            for i, f in enumerate(doc.faces):
                if all(abs(a - b) < 1e-6 for a, b in zip(stored.box, f.box)):
                    out[stored.id] = (h, i)
    return out


def score(lib, people: People, labels: dict[tuple[str, int], str]) -> Score:
    ords = face_ords(lib, people)
    person_of: dict[tuple[str, int], int] = {}
    for person in people.store.people():
        for stored in people.faces_of(person.id):
            if stored.id in ords:
                person_of[ords[stored.id]] = person.id
    faces = [k for k in labels if k in person_of]
    tp = fp = fn = 0
    for a, b in itertools.combinations(faces, 2):
        same_label, same_person = labels[a] == labels[b], person_of[a] == person_of[b]
        tp += same_label and same_person
        fp += same_person and not same_label
        fn += same_label and not same_person
    by_person: dict[int, set[str]] = {}
    for k in faces:
        by_person.setdefault(person_of[k], set()).add(labels[k])
    merged = sorted("+".join(sorted(s)) for s in by_person.values() if len(s) > 1)
    return Score(tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0,
                 len(merged), len(by_person), len(faces), tp + fn, merged)


def run_setting(lib, labels, thresholds: grouping.Thresholds, scratch: Path, one_by_one: bool) -> Score:
    store_path = scratch / f"people-{time.monotonic_ns()}.sqlite3"
    store = PeopleStore(store_path)
    try:
        if one_by_one:
            order = sorted(lib.catalog.analysis_times(FACES_ANALYZER), key=lambda h: lib.catalog.paths_of(h))
            arrivals = Arrivals(lib.catalog, order)
            people = People(store, lib.backend, arrivals, thresholds=thresholds, mirror=False)
            for n in range(1, len(order) + 1):
                arrivals.n = n
                people.refresh()
        else:
            people = People(store, lib.backend, lib.catalog, thresholds=thresholds, mirror=False)
            people.refresh()
        return score(lib, people, labels)
    finally:
        store.close()


def scale(out: Path, people_n: int = 2000, per: int = 5, seed: int = 0) -> None:
    import numpy as np

    from photoapp.core.people.service import SYNC_CHUNK, RefreshReport
    from photoapp.core.records import Face

    rng = np.random.default_rng(seed)
    common = grouping.normalise(rng.normal(size=128))[0]
    identities = grouping.normalise(common + 0.47 * grouping.normalise(rng.normal(size=(people_n, 128))))
    faces = grouping.normalise(np.repeat(identities, per, axis=0)
                               + 0.17 * rng.normal(size=(people_n * per, 128)) / np.sqrt(128))
    order = rng.permutation(len(faces))
    truth = np.repeat(np.arange(people_n), per)[order]
    faces = faces[order]
    with tempfile.TemporaryDirectory() as scratch:
        store = PeopleStore(Path(scratch) / "userdata.sqlite3")
        try:
            records = [Face((0.1, 0.1, 0.3, 0.35), ((0.0, 0.0),) * 5, 0.99, 0.9, f) for f in faces]
            started = time.perf_counter()
            for s in range(0, len(records), SYNC_CHUNK):
                store.sync_documents([(f"{i:040d}", [records[i]], [True], 1.0)
                                      for i in range(s, min(len(records), s + SYNC_CHUNK))])
            sync_s = time.perf_counter() - started
            report = RefreshReport()
            started = time.perf_counter()
            People(store, None, None, mirror=False)._group(report)
            group_s = time.perf_counter() - started
            rows = store.people()
        finally:
            store.close()
    mixed = sum(1 for r in rows if len({int(truth[int(d)]) for d in r.doc_ids}) > 1)
    lines = ["# People at scale (constructed descriptors, no model)", "",
             "Command: `nice .venv/bin/python -m photoapp.bench.people --scale`.", "",
             f"{people_n:,} identities x {per} faces = {len(faces):,} faces (one per photo), shuffled, "
             "arriving in one refresh (a big library indexed at once). Descriptors shaped like dlib's: "
             "a common part (two identities ~0.82 alike), one identity's faces ~0.97 alike.", "",
             "| step | seconds |", "|---|---|",
             f"| faces into the store ({SYNC_CHUNK} photos per transaction) | {sync_s:.1f} |",
             f"| grouping (join, average linkage in slices of {grouping.BATCH_LIMIT}, merges) and writing people | {group_s:.1f} |",
             "", f"People formed: {len(rows):,} (truth {people_n:,}); people mixing two identities: {mixed}; "
             f"merges: {report.merged}.", "",
             "On the development machine (2 cores shared with other jobs: the load average was far above 2, "
             "so these are upper bounds).", ""]
    out.write_text("\n".join(lines))
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (kept: re-runs skip indexing)")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--scale", action="store_true", help="time the grouping on 10,000 constructed faces")
    args = ap.parse_args(argv)
    if args.scale:
        scale(args.out or DEFAULT_OUT.with_name("people-scale.md"))
        return
    args.out = args.out or DEFAULT_OUT
    work = args.work or Path(tempfile.mkdtemp(prefix="people-bench-"))
    scratch = work / "stores"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    lib, report, index_s = index_photos(args.photos, work)
    try:
        labels, counts = labelled_faces(lib, args.photos)
        identities = len(set(labels.values()))
        rows = []
        for t in JOIN_LINK_GRID:
            th = grouping.Thresholds(join=t, link=t, merge=round(t + MERGE_MARGIN, 3))
            batch = run_setting(lib, labels, th, scratch, one_by_one=False)
            single = run_setting(lib, labels, th, scratch, one_by_one=True)
            rows.append((th, batch, single))
            print(f"join/link {t:.3f} merge {th.merge:.3f}: batch P {batch.precision:.3f} R {batch.recall:.3f} "
                  f"wrong {batch.wrong_merges} | one by one P {single.precision:.3f} R {single.recall:.3f} "
                  f"wrong {single.wrong_merges}", flush=True)
        default = grouping.Thresholds()
        chosen_batch = run_setting(lib, labels, default, scratch, one_by_one=False)
        chosen_single = run_setting(lib, labels, default, scratch, one_by_one=True)
    finally:
        lib.close()
    write_report(args.out, args.photos, counts, identities, len(labels), rows, default, chosen_batch,
                 chosen_single, index_s, report)
    print(args.out)


def _row(th, s: Score) -> str:
    return (f"| {th.join:.3f} | {th.merge:.3f} | {s.precision:.3f} | {s.recall:.3f} | {s.wrong_merges} | "
            f"{s.people} |")


def write_report(out: Path, photos: Path, counts, identities, labelled, rows, default, batch, single,
                 index_s, report) -> None:
    lines = [
        "# People: grouping faces into people (faces-smoke)",
        "",
        "Command: `nice .venv/bin/python -m photoapp.bench.people` (photoapp/bench/people.py).",
        "",
        f"Data: `{photos.name}` ({counts['photos']} photos, {counts['labelled_photos']} in identity folders, "
        f"{identities} identities with a usable face). **A smoke set**: few people, most seen once or twice, "
        "one identity (franck) is 11 frames of one video and obama's photos include crops of one photo, "
        "so these numbers say the grouping is sane, not how it does on a family library.",
        "",
        f"Faces found by the faces analyzer (real models): {counts['faces']} faces, {counts['usable']} usable "
        f"for people (core/faces/quality.usable_for_people); {counts['labelled_without_face']} labelled "
        f"photos have no usable face (not scored). Scored: {labelled} labelled faces (the largest usable "
        "face of each labelled photo); the faces of _group-photos and the other faces of labelled photos "
        "are grouped too (they can be merged wrongly with someone) but not scored.",
        "",
        f"Indexing: {report.indexed} new photos in {index_s:.1f} s (every analyzer; a re-run with --work "
        "reuses the scratch library and indexes nothing).",
        "",
        "Metrics over pairs of scored faces: precision = pairs put in one person that are one identity; "
        "recall = pairs of one identity put in one person; wrong merges = people holding scored faces of "
        "two or more identities (`fname_*` folders count as distinct people).",
        "",
        f"## Chosen thresholds (grouping.py): join {default.join}, link {default.link}, merge {default.merge}",
        "",
        "| arrival | precision | recall | wrong merges | people (scored faces) |",
        "|---|---|---|---|---|",
        f"| all photos in one refresh | {batch.precision:.3f} | {batch.recall:.3f} | {batch.wrong_merges} | {batch.people} |",
        f"| one photo per refresh | {single.precision:.3f} | {single.recall:.3f} | {single.wrong_merges} | {single.people} |",
        "",
        f"Wrongly merged (by the labels): {', '.join(batch.merged) or 'none'}.",
        "",
        "On faces-smoke the one merge the labels call wrong is `sean_connery+fname_sean`: `fname_sean` "
        "(clm_sean_guru2_crop.jpg, an unverified first-name label) shows Sean Connery in costume (looked "
        "at side by side; cosine 0.955, inside the same-person range 0.944-0.99). Counted as a wrong "
        "merge above all the same; by eye it is right, and precision would be 1.000.",
        "",
        "Descriptor geometry on the scored faces (why the thresholds sit so high): two faces of one "
        "identity are 0.944-0.99 alike (cosine), two different people 0.84 on median and at most 0.907 "
        "(that Sean pair aside). The join/link cut 0.93 sits in that gap, 0.02 above the most alike "
        "different people; with more people that tail grows, so a family library may need it higher "
        "(splits are one click to merge). The merge cut compares centroids, which average noise out, "
        "so it is higher.",
        "",
        "## Sweep (join = link threshold, merge = that + %.2f; cosine similarity)" % MERGE_MARGIN,
        "",
        "All photos in one refresh:",
        "",
        "| join/link | merge | precision | recall | wrong merges | people |",
        "|---|---|---|---|---|---|",
        *[_row(th, b) for th, b, _ in rows],
        "",
        "One photo per refresh (sorted by path):",
        "",
        "| join/link | merge | precision | recall | wrong merges | people |",
        "|---|---|---|---|---|---|",
        *[_row(th, s) for th, _, s in rows],
        "",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))


if __name__ == "__main__":
    main()
