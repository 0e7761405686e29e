"""Analyzers: the units of understanding the pipeline runs on each photo, in stages.

    from photoapp.core.analyzers import enabled_analyzers, versions_of
    active = enabled_analyzers(settings, bundle)            # registry order, settings applied
    versions_of(active, bundle)  -> {"tags": "tags/1+efficientnet-lite2@1#…", ...}

See base.py for the interface and registry.py for the list.
"""
from __future__ import annotations

import logging

from .base import Analyzer, model_identity
from .registry import ANALYZERS

__all__ = ["Analyzer", "ANALYZERS", "model_identity", "analyzer_named", "enabled_analyzers",
           "disabled_analyzers", "versions_of", "analyzers_for_query", "LATER_STAGE"]

log = logging.getLogger(__name__)

LATER_STAGE = 2  # stages from here on are backfilled after stage 1


def analyzer_named(name: str) -> Analyzer | None:
    return next((a for a in ANALYZERS if a.name == name), None)


def _switched_on(settings, a: Analyzer) -> bool:
    wanted = dict(getattr(settings, "analyzers", None) or {})
    if a.required and wanted.get(a.name) is False:
        log.warning("the %s analyzer cannot be turned off; ignoring the setting", a.name)
        return True
    return bool(wanted.get(a.name, True))


def enabled_analyzers(settings, bundle, max_stage: int | None = None) -> list[Analyzer]:
    """Analyzers switched on in settings whose models the bundle has, up to ``max_stage``."""
    return [a for a in ANALYZERS if _switched_on(settings, a) and a.available(bundle)
            and (max_stage is None or a.stage <= max_stage)]


def disabled_analyzers(settings) -> list[Analyzer]:
    """Analyzers the user turned off (their fields and records are to be purged)."""
    return [a for a in ANALYZERS if not _switched_on(settings, a)]


def versions_of(analyzers, bundle) -> dict[str, str]:
    return {a.name: a.version(bundle) for a in analyzers}


def analyzers_for_query(query) -> set[str]:
    """Analyzers whose fields a parsed query reads: words and tag terms match tags and detected
    objects (detector labels are tags too); a colour filter reads colours."""
    names: set[str] = set()
    clauses = list(getattr(query, "terms", None) or []) + list(getattr(query, "excluded", None) or [])
    if any(not getattr(c, "text_only", False) for c in clauses):
        names |= {"tags", "objects"}
    if any(not getattr(c, "tag_only", False) for c in clauses):
        names.add("text")  # words also match the text read in photos (text:... only that)
    if getattr(query, "colors", None) or getattr(query, "excluded_colors", None):
        names.add("colors")
    if getattr(query, "min_faces", None) is not None or getattr(query, "max_faces", None) is not None:
        names.add("faces")  # faces>=3 / faces:0 count the faces stored so far
    if getattr(query, "people", None):
        names.add("faces")  # person:anna finds Anna in the photos whose faces were analysed
    return names
