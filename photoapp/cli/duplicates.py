"""`photoapp duplicates`: groups by tier, the copy to keep, and moving the others to the trash.

Moving to the trash is the one command that changes the photo folders: it needs an explicit
``--trash`` and a confirmation (a y/N prompt on a terminal, ``--yes`` otherwise), it moves to
the system trash (recoverable), and only copies in the groups shown, never a whole group.
"""
from __future__ import annotations

import sys

from photoapp.core.duplicates import TIERS

from .output import print_json

TIER_TITLES = {"exact": "Exact copies (same pixels)", "photo": "Same photo (re-encoded, resized, cropped)",
               "scene": "Same scene (burst, moments apart)"}


def add_arguments(sp) -> None:
    sp.add_argument("--threshold", type=float, help="0..1, higher = stricter (default from settings)")
    sp.add_argument("--tier", choices=TIERS, help="only groups of this tier")
    sp.add_argument("--trash", nargs="*", metavar="PATH",
                    help="move copies to the system trash: the PATHs given, or every copy but the one to keep "
                         "of the groups shown; asks first (or --yes)")
    sp.add_argument("--yes", action="store_true", help="with --trash: do not ask")


def run(lib, args, as_json: bool, error) -> int:
    """``error`` is the CLI's one-line-failure exception type."""
    from photoapp.core.keeper import group_candidates, keeper_for

    groups = lib.duplicates(threshold=args.threshold)
    if args.tier:
        groups = [g for g in groups if g.tier == args.tier]
    if args.trash is not None:
        return _trash(lib, groups, args, as_json, error)
    rows = []
    for g in groups:
        # The copy to keep: the user's choice (GUI), else the suggestion.
        candidates = group_candidates(lib, g)
        _, keep, chosen = keeper_for(lib, candidates) if candidates else ("", -1, None)
        rows.append({"tier": g.tier, "paths": g.paths, "ids": g.ids, "similarity": round(g.similarity, 4),
                     "keep": candidates[keep].path if keep >= 0 else None, "keep_chosen": chosen is not None})
    if as_json:
        print_json(rows)
    elif not rows:
        print("no duplicates")
    else:
        n = 0
        for tier in TIERS:
            section = [r for r in rows if r["tier"] == tier]
            if not section:
                continue
            print(f"== {TIER_TITLES[tier]}: {len(section)} groups ==")
            for r in section:
                n += 1
                print(f"group {n} (similarity {r['similarity']:.2f}):")
                for p in r["paths"]:
                    mark = ("  <- keep" + ("" if r["keep_chosen"] else " (suggested)")) if p == r["keep"] else ""
                    print(f"  {p}{mark}")
    return 0


def _trash(lib, groups, args, as_json: bool, error) -> int:
    from photoapp.core.trash import TrashError, move_to_trash, non_keepers, plan_trash

    paths = [str(p) for p in args.trash] if args.trash else non_keepers(lib, groups)
    if not paths:
        print("nothing to move to the trash")
        return 0
    try:
        plan = plan_trash(groups, _as_library_paths(paths, groups))
    except TrashError as exc:
        raise error(str(exc)) from None
    if not args.yes:
        if not sys.stdin or not sys.stdin.isatty():
            raise error(f"moving {len(plan)} files to the trash needs a confirmation: run it on a terminal, or add --yes")
        for p in plan:
            print(f"  {p}")
        answer = input(f"Move these {len(plan)} files to the trash? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("nothing moved")
            return 1
    try:
        report = move_to_trash(lib, groups, plan)
    except TrashError as exc:
        raise error(str(exc)) from None
    if as_json:
        print_json([{"path": p, "trashed": True} for p in report.trashed]
                   + [{"path": p, "trashed": False, "reason": r} for p, r in report.failed])
    else:
        print(f"moved {len(report.trashed)} files to the trash (restore them from the system trash)")
        for p, reason in report.failed:
            print(f"not moved: {p}: {reason}", file=sys.stderr)
    return 1 if report.failed else 0


def _as_library_paths(paths: list[str], groups) -> list[str]:
    """Relative or unresolved paths given on the command line, as the library writes them."""
    import os

    known = {p for g in groups for p in g.paths}
    return [p if p in known else os.path.abspath(p) for p in paths]
