"""`photoapp timeline` and `photoapp on-this-day`: the time commands, over core/timeline.py."""
from __future__ import annotations

from datetime import date, datetime

from photoapp.core.errors import QueryError
from photoapp.core.timeline import MONTH_NAMES, on_this_day, timeline

from .output import hit_to_json, print_json

COMMANDS = ("timeline", "on-this-day")


def add_commands(cmd) -> None:
    """Register the subcommands through main.py's ``cmd(name, help, json_)``."""
    sp = cmd("timeline", "photos per year and month (dated photos, oldest first)", json_=True)
    sp.add_argument("--years", action="store_true", help="one row per year instead of per month")
    sp = cmd("on-this-day", "photos taken on this day (month and day) in earlier years", json_=True)
    sp.add_argument("--date", help="the day to look back from, YYYY-MM-DD (default: today)")
    sp.add_argument("--limit", type=int, default=50, help="photos per year at most")


def run(command: str, args, lib, as_json: bool) -> int:
    if command == "timeline":
        return _timeline(args, lib, as_json)
    return _on_this_day(args, lib, as_json)


def _timeline(args, lib, as_json: bool) -> int:
    tl = timeline(lib.backend)
    if args.years:
        rows = [{"year": y.year, "count": y.count} for y in reversed(tl.years())]
    else:
        rows = [{"year": m.year, "month": m.month, "count": m.count} for m in tl.months]
    if as_json:
        print_json(rows)
    elif not rows:
        print("no dated photos")
    else:
        for r in rows:
            month = f"  {MONTH_NAMES[r['month'] - 1]:<9}" if "month" in r else ""
            print(f"{r['year']}{month} {r['count']:8,d}")
    return 0


def _on_this_day(args, lib, as_json: bool) -> int:
    today = _day(args.date) if args.date else date.today()
    groups = on_this_day(lib.backend, today, per_year=max(1, args.limit))
    if as_json:
        print_json([dict(hit_to_json(h), year=g.year, years_ago=g.years_ago) for g in groups for h in g.hits])
    elif not groups:
        print(f"no photos from {today:%d %B} in earlier years")
    else:
        for g in groups:
            print(f"{g.title} ({g.year}): {len(g.hits)} photo{'s' if len(g.hits) != 1 else ''}")
            for h in g.hits:
                print(f"  {h.path}")
    return 0


def _day(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise QueryError(f"--date {text} is not a day; use YYYY-MM-DD, e.g. --date 2021-03-14") from None
