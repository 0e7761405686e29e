"""`photoapp people` end to end through main(): a library whose photos were analysed with
constructed face descriptors (tests/people_support.py), then the CLI lists, names, merges and
corrects, and `search` finds people by name."""
from __future__ import annotations

import contextlib
import io
import json

from people_support import LEFT, RIGHT, Lib, face
from photoapp.cli.main import main


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def _library(tmp_path):
    lib = Lib(tmp_path)
    ids = {"a1": lib.add("a1", [face("anna", seed=1)]),
           "a2": lib.add("a2", [face("anna", LEFT, seed=2), face("bob", RIGHT, seed=3)]),
           "b1": lib.add("b1", [face("bob", seed=4)]),
           "c1": lib.add("c1", [face("carl", seed=5), face("anna", (0.5, 0.5, 0.6, 0.62), quality=0.05, seed=6)])}
    lib.close()  # the CLI opens the library itself; people are grouped by its first `people`
    return ids


def people_json(data):
    code, out, err = run_cli("--data-dir", str(data), "people", "--json")
    assert code == 0, err
    return json.loads(out)


def test_people_cli_lists_names_merges_and_corrects(tmp_path):
    _library(tmp_path)
    data = str(tmp_path)
    people = people_json(data)
    assert [(p["name"], p["size"]) for p in people] == [(None, 2), (None, 2), (None, 1)]
    assert all(set(p) >= {"id", "name", "size", "paths"} for p in people)
    anna = next(p for p in people if "/photos/a1.jpg" in p["paths"])
    bob = next(p for p in people if "/photos/b1.jpg" in p["paths"])
    carl = next(p for p in people if p["paths"] == ["/photos/c1.jpg"])
    assert sorted(anna["paths"]) == ["/photos/a1.jpg", "/photos/a2.jpg"]

    assert run_cli("--data-dir", data, "people", "name", str(anna["id"]), "Anna", "Maria")[0] == 0
    code, out, _ = run_cli("--data-dir", data, "search", "anna maria", "--json")
    assert code == 0 and {h["path"] for h in json.loads(out)} == {"/photos/a1.jpg", "/photos/a2.jpg"}
    code, out, _ = run_cli("--data-dir", data, "search", "person:\"anna maria\" a2", "--json")
    assert [h["path"] for h in json.loads(out)] == ["/photos/a2.jpg"]

    # the faces of a photo: the small blurred face is kept, in the unknown pool
    code, out, _ = run_cli("--data-dir", data, "people", "faces", "/photos/c1.jpg", "--json")
    faces = json.loads(out)
    assert [(f["person"] is None, f["usable"]) for f in faces] == [(False, True), (True, False)]

    # carl is not a face after all; bob merged into anna (wrongly, then undone by removing a face)
    code, out, _ = run_cli("--data-dir", data, "people", "show", str(carl["id"]), "--json")
    (carl_face,) = json.loads(out)["faces"]
    assert run_cli("--data-dir", data, "people", "not-a-face", str(carl_face["face"]))[0] == 0
    assert run_cli("--data-dir", data, "people", "merge", str(anna["id"]), str(bob["id"]))[0] == 0
    assert [(p["name"], p["size"]) for p in people_json(data)] == [("Anna Maria", 3)]
    code, out, _ = run_cli("--data-dir", data, "people", "faces", "/photos/b1.jpg", "--json")
    (bob_face,) = json.loads(out)
    assert run_cli("--data-dir", data, "people", "remove", str(bob_face["face"]))[0] == 0
    # b1 left; a2 stays (it shows Anna too)
    assert [(p["name"], p["size"]) for p in people_json(data)] == [("Anna Maria", 2), (None, 1)]

    # bad input: one line, exit 1
    for args in (("name", "x", "Bob"), ("merge", "1", "999"), ("remove", "999"), ("show", "999")):
        code, out, err = run_cli("--data-dir", data, "people", *args)
        assert code == 1 and err.count("\n") == 1 and "Traceback" not in err


def test_people_off_forgets_everything_only_when_confirmed(tmp_path):
    _library(tmp_path)
    data = str(tmp_path)
    anna = people_json(data)[0]
    assert run_cli("--data-dir", data, "people", "name", str(anna["id"]), "Anna")[0] == 0
    code, _, err = run_cli("--data-dir", data, "people", "off")
    assert code == 1 and "--yes" in err and "1 name" in err
    assert len(people_json(data)) == 3
    code, out, _ = run_cli("--data-dir", data, "people", "off", "--yes")
    assert code == 0 and "forgotten" in out
    assert people_json(data) == []
    code, out, _ = run_cli("--data-dir", data, "search", "person:anna", "--json")
    assert json.loads(out) == []
    assert run_cli("--data-dir", data, "people", "on")[0] == 0
