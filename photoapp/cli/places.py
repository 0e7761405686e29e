"""`photoapp places`: photos per place (the reverse-geocoded city, region and country of their
GPS), most first, and how many photos have no location."""
from __future__ import annotations

from photoapp.core.places.index_reads import place_counts, without_location

from .output import print_json

COMMANDS = ("places",)


def add_commands(cmd) -> None:
    """Register the subcommand through main.py's ``cmd(name, help, json_)``."""
    sp = cmd("places", "photos per place (city, region, country from GPS), most first", json_=True)
    sp.add_argument("--limit", type=int, default=0, help="show only the N places with most photos")


def run(command: str, args, lib, as_json: bool) -> int:
    rows = place_counts(lib.backend)
    if args.limit and args.limit > 0:
        rows = rows[:args.limit]
    if as_json:
        print_json([{"place": r.place, "city": r.city, "region": r.region, "country": r.country,
                     "count": r.count} for r in rows])
        return 0
    if not rows:
        print("no photos with a place (none has GPS, or the places stage has not run yet)")
    for r in rows:
        print(f"{r.count:8,d}  {r.place}")
    missing = without_location(lib.backend)
    if missing:
        print(f"{missing:8,d}  without location")
    return 0
