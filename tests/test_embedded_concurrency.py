"""Several processes writing one embedded index at once (issue 12, item 1): vector slots are
allocated inside the SQLite write transaction, so two writers can never store a photo's
embedding under another photo's slot. Real processes, real files; no lock above the index.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from photoapp.core.index.embedded.backend import EmbeddedIndex
from photoapp.core.records import PhotoDocument, Tag

DIM = 24

WRITER = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    import numpy as np
    sys.path.insert(0, {tests!r})
    from test_embedded_concurrency import make_doc, new_vector
    from photoapp.core.index.embedded.backend import EmbeddedIndex

    folder, first, count, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
    while not go.exists():
        time.sleep(0.005)
    began = time.time()
    index = EmbeddedIndex(folder, ann_threshold=50)
    ids = list(range(first, first + count))
    for start in range(0, count, 5):  # small batches: many interleaved transactions
        index.upsert([make_doc(i) for i in ids[start:start + 5]])
        if start % 50 == 0:
            index.flush()  # also extends/rebuilds the approximate graph now and then
        time.sleep(0.003)  # give the other writer its turn between our transactions
    for i in ids[::5]:  # a later stage replaces some embeddings
        index.update_fields(f"{{i:040x}}", {{"embedding": new_vector(i)}})
        time.sleep(0.001)
    index.delete([f"{{i:040x}}" for i in ids[1::9]])
    index.flush()
    index.close()
    print(began, time.time())
''')

READER = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    import numpy as np
    sys.path.insert(0, {tests!r})
    from test_embedded_concurrency import make_doc
    from photoapp.core.index.embedded.backend import EmbeddedIndex
    from photoapp.core.query import parse_query

    folder, go, stop = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    while not go.exists():
        time.sleep(0.005)
    index = EmbeddedIndex(folder, ann_threshold=50)
    queries = 0
    while not stop.exists():
        index.similar(make_doc(queries % 50).embedding, limit=5)
        index.search(parse_query("tag:dog"), limit=5)
        queries += 1
    index.close()
    print(queries)
''')


def vector(seed: int, salt: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed * 7919 + salt).standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def new_vector(i: int) -> np.ndarray:
    return vector(i, salt=1)


def make_doc(i: int) -> PhotoDocument:
    return PhotoDocument(id=f"{i:040x}", paths=[f"/lib/p{i % 4}/photo_{i}.jpg"],
                         tags=[Tag("dog" if i % 2 else "cat", 0.5 + (i % 5) / 10)], embedding=vector(i))


def expected_embeddings(ranges: list[tuple[int, int]]) -> dict[str, np.ndarray]:
    """What the writers leave behind, computed without any index."""
    out = {}
    for first, count in ranges:
        ids = list(range(first, first + count))
        deleted = set(ids[1::9])
        for i in ids:
            if i not in deleted:
                out[f"{i:040x}"] = new_vector(i) if i in ids[::5] else vector(i)
    return out


def test_two_writer_processes_and_a_reader_leave_every_embedding_with_its_photo(tmp_path):
    folder = tmp_path / "index"
    EmbeddedIndex(folder).close()  # created (migrated) before the race, as a library would be
    tests = str(Path(__file__).parent)
    go, stop = tmp_path / "go", tmp_path / "stop"
    writer, reader = tmp_path / "writer.py", tmp_path / "reader.py"
    writer.write_text(WRITER.format(tests=tests))
    reader.write_text(READER.format(tests=tests))
    ranges = [(0, 400), (1000, 400)]
    # The children import photoapp from this checkout, like the test itself.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    procs = [subprocess.Popen([sys.executable, str(writer), str(folder), str(first), str(count), str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for first, count in ranges]
    read = subprocess.Popen([sys.executable, str(reader), str(folder), str(go), str(stop)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(1.0)  # let the interpreters start, then release them together
    go.touch()
    spans = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=240)
            assert p.returncode == 0, err
            spans.append([float(t) for t in out.split()])
    finally:
        stop.touch()
    (a0, a1), (b0, b1) = spans
    assert a0 < b1 and b0 < a1, f"the writers did not overlap: {spans}"  # else this proves nothing
    out, err = read.communicate(timeout=60)
    assert read.returncode == 0, err
    assert int(out.strip()) > 0  # it really read while the writers wrote

    expected = expected_embeddings(ranges)
    index = EmbeddedIndex(folder, ann_threshold=50)
    clean = EmbeddedIndex(tmp_path / "clean", ann_threshold=50)  # one process, one writer
    clean.upsert([PhotoDocument(id=doc_id, paths=[f"/clean/{doc_id}.jpg"], embedding=vec)
                  for doc_id, vec in expected.items()])
    try:
        stored = {d.id: d for d in index.iter_documents()}
        assert set(stored) == set(expected)
        for doc_id, vec in expected.items():
            np.testing.assert_allclose(stored[doc_id].embedding, clean.get(doc_id).embedding, atol=0)
            np.testing.assert_allclose(stored[doc_id].embedding, vec, atol=2e-3)
        # Every photo is its own nearest neighbour, through the approximate graph too.
        for doc_id, vec in list(expected.items())[::10]:
            assert index.similar(vec, limit=1)[0].id == doc_id
        slots = [r[0] for r in index._conn().execute("SELECT vec_slot FROM photos WHERE vec_slot IS NOT NULL")]
        assert len(slots) == len(set(slots)) == len(expected)
    finally:
        index.close()
        clean.close()
