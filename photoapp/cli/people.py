"""`photoapp people`: list the people photoapp found, name them, merge two, take a face out of a
person, mark a detection as not a face. A thin front end over ``Library.people`` (core/people).

    photoapp people [--json]                 every person (named first, then by size)
    photoapp people show ID [--json]         a person's faces: face id, photo, box
    photoapp people faces PATH [--json]      the faces found in one photo, with their person
    photoapp people name ID NAME...          name a person ("" clears the name)
    photoapp people merge A B                B's faces join A (A keeps its name, else takes B's)
    photoapp people remove FACE_ID           take a face out of its person (never put back by itself)
    photoapp people not-a-face FACE_ID [--undo]
    photoapp people off --yes | on           the privacy switch: off forgets every face, person
                                             and name (and stops finding faces); on finds them again
"""
from __future__ import annotations

import argparse
import os

from photoapp.core.people import PeopleError

from .output import path_text, print_json

COMMANDS = ("people",)


def add_commands(cmd) -> None:
    """Register ``people`` through main.py's ``cmd(name, help, json_)``."""
    sp = cmd("people", "people found in the photos: list, show, name, merge, correct", json_=True)
    actions = sp.add_subparsers(dest="people_action", metavar="ACTION")

    def action(name, help_, json_=False):
        a = actions.add_parser(name, help=help_, description=help_)
        if json_:  # SUPPRESS: `people --json show 3` keeps the parent's flag
            a.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
        return a

    action("show", "the faces of one person", json_=True).add_argument("id", help="person id")
    action("faces", "the faces found in one photo", json_=True).add_argument("path", help="photo path or id")
    a = action("name", "name a person (an empty name clears it)")
    a.add_argument("id", help="person id")
    a.add_argument("name", nargs="+")
    a = action("merge", "merge person B into person A")
    a.add_argument("a", help="person id to keep")
    a.add_argument("b", help="person id merged into A")
    action("remove", "take a face out of its person").add_argument("face", help="face id (see people show)")
    a = action("not-a-face", "mark a detection as not a face (it leaves its person)")
    a.add_argument("face", help="face id (see people show / people faces)")
    a.add_argument("--undo", action="store_true", help="it is a face after all")
    a = action("off", "turn face recognition off: forget every face, person and name")
    a.add_argument("--yes", action="store_true", help="really forget them (names cannot be brought back)")
    action("on", "turn face recognition on (faces are found on the next index)")


def run(command: str, args, lib, as_json: bool) -> int:
    people = lib.people
    what = getattr(args, "people_action", None)
    if what is None:
        people.update()  # a library analysed before people existed gets them now
        return _list(people, as_json)
    if what == "show":
        return _show(people, _id(args.id, "person"), as_json)
    if what == "faces":
        return _faces(lib, args.path, as_json)
    if what == "name":
        pid = _id(args.id, "person")
        name = people.name(pid, " ".join(args.name))
        print(f"person {pid} is now {name!r}" if name else f"person {pid} has no name now")
        return 0
    if what == "merge":
        a, b = _id(args.a, "person"), _id(args.b, "person")
        people.merge(a, b)
        print(f"merged person {b} into person {a}")
        return 0
    if what in ("off", "on"):
        return _switch(lib, what == "on", getattr(args, "yes", False))
    if what == "remove":
        left = people.remove_face(_id(args.face, "face"))
        print(f"face {args.face} taken out of person {left}" if left is not None
              else f"face {args.face} belonged to nobody")
        return 0
    people.not_a_face(_id(args.face, "face"), not args.undo)
    print(f"face {args.face} is {'a face again' if args.undo else 'marked as not a face'}")
    return 0


def _switch(lib, on: bool, yes: bool) -> int:
    if on:
        lib.set_analyzer_enabled("faces", True)
        print("face recognition is on: photoapp index finds faces and groups them into people")
        return 0
    if not yes:
        named = len(lib.people.names())
        raise PeopleError(f"this forgets every face and person{f' and {named} name(s)' if named else ''}; "
                          "run again with --yes to do it")
    lib.set_analyzer_enabled("faces", False)
    print("face recognition is off: every face, person and name is forgotten")
    return 0


def _id(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise PeopleError(f"a {what} id is a number (see photoapp people), not {text!r}") from None


def _list(people, as_json: bool) -> int:
    rows = [{"id": p.id, "name": p.name, "size": p.size, "faces": p.faces, "paths": list(p.paths)}
            for p in people.list()]
    if as_json:
        print_json(rows)
    elif not rows:
        print("no people yet: faces are grouped once photos are analysed (photoapp index)")
    else:
        for r in rows:
            name = r["name"] or "(unnamed)"
            print(f"{r['id']:>6}  {name:<24} {r['size']:>5} photo{'s' if r['size'] != 1 else ' '}")
    return 0


def _show(people, pid: int, as_json: bool) -> int:
    person = people.get(pid)
    if person is None:
        raise PeopleError(f"no person {pid}")
    paths = dict(zip(person.doc_ids, person.paths))
    faces = [{"face": f.id, "path": paths[f.doc_id], "box": [round(v, 4) for v in f.box]}
             for f in people.faces_of(pid) if f.doc_id in paths]
    if as_json:
        print_json({"id": person.id, "name": person.name, "size": person.size, "faces": faces})
    else:
        print(f"person {person.id}: {person.name or '(unnamed)'}, {person.size} photos")
        for f in faces:
            print(f"  face {f['face']:>6}  {path_text(f['path'])}")
    return 0


def _faces(lib, target: str, as_json: bool) -> int:
    doc = lib.info(target)
    if doc is None:
        raise PeopleError(f"not in the library: {os.path.abspath(target)}")
    names = {p.id: p.name for p in lib.people.list()}
    rows = [{"face": f.id, "person": f.person_id, "name": names.get(f.person_id),
             "box": [round(v, 4) for v in f.box], "usable": f.usable, "not_a_face": f.not_face}
            for f in lib.people.faces_in(doc.id)]
    if as_json:
        print_json(rows)
    elif not rows:
        print("no faces found in this photo")
    else:
        for r in rows:
            who = ("not a face" if r["not_a_face"] else
                   f"person {r['person']} {r['name'] or '(unnamed)'}" if r["person"] is not None else
                   "unknown" + ("" if r["usable"] else " (too small or blurred to group)"))
            print(f"  face {r['face']:>6}  {who}")
    return 0
