"""How far each analyzer has got, and the catalog/backend chores around analyzer versions:
progress for status and search notes, adopting documents indexed before versions were recorded,
and purging an analyzer that was turned off. Library calls these; they never load a model
session (versions come from manifests)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from .analyzers import Analyzer, analyzers_for_query, disabled_analyzers, versions_of
from .catalog import Catalog
from .records import SearchHit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StageProgress:
    """One analyzer's progress over the library: documents it ran on at its current version."""

    name: str  # analyzer name: "tags", "colors", "objects", ...
    stage: int
    done: int
    total: int

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    @property
    def complete(self) -> bool:
        return self.done >= self.total

    @property
    def percent(self) -> int:
        """Rounded down, so 99.9% never shows as 100% while work is left."""
        return int(100 * self.fraction)

    def note(self) -> str:
        return f"{self.name}: {self.percent}% of photos analysed so far"


class SearchResults(list):
    """The hits of a search (a plain list of SearchHit) plus ``notes``: one line per field the
    query reads that is still being filled ("objects: 81% of photos analysed so far")."""

    def __init__(self, hits: list[SearchHit] = (), notes: list[str] | None = None):
        super().__init__(hits)
        self.notes = list(notes or [])


def stage_progress(catalog: Catalog, analyzers: list[Analyzer], bundle) -> list[StageProgress]:
    total = catalog.counts()["documents"]
    done = catalog.analysis_counts(versions_of(analyzers, bundle))
    return [StageProgress(a.name, a.stage, min(done[a.name], total), total) for a in analyzers]


def notes_for_query(query, progress: list[StageProgress]) -> list[str]:
    wanted = analyzers_for_query(query)
    return [p.note() for p in progress if p.name in wanted and not p.complete]


def summary_line(documents: int, progress: list[StageProgress]) -> str:
    """ "12,400 photos · objects 81%": the photo count, then every analyzer not yet done."""
    parts = [f"{documents:,} photo{'s' if documents != 1 else ''}"]
    parts += [f"{p.name} {p.percent}%" for p in progress if not p.complete]
    return " · ".join(parts)


def legacy_model_version(bundle) -> str | None:
    """The ``model_version`` photoapp wrote before analyses were recorded (catalog v2), for
    today's bundle: "tagger-name@release+detector-name@release" of the top-level (fp32) model
    files; None when the bundle runs another precision (those documents must be redone)."""
    parts = []
    for model in [bundle.tagger] + ([bundle.detector] if bundle.detector is not None else []):
        manifest = model.manifest
        top = str((getattr(manifest, "raw", {}) or {}).get("precision", "fp32"))
        if getattr(manifest, "precision", top) != top:
            return None
        parts.append(f"{model.name}@{getattr(manifest, 'release', model.version)}")
    return "+".join(parts)


def adopt_legacy(catalog: Catalog, bundle, analyzers: list[Analyzer]) -> int:
    """Documents from before analyses were recorded ran the bundle's tagger and detector in one
    pass; when the bundle still runs the model files they name, record those analyzers as done
    instead of re-running every model on the whole library. New analyzers (colours) stay
    pending."""
    legacy = legacy_model_version(bundle)
    if legacy is None:
        return 0
    model_analyzers = [a for a in analyzers if a.models(bundle)]
    n = catalog.adopt_legacy_documents(legacy, versions_of(model_analyzers, bundle))
    if n:
        log.info("recorded %s as done on %d documents indexed before analyses were recorded",
                 ", ".join(a.name for a in model_analyzers), n)
    return n


def purge_disabled(catalog: Catalog, backend, settings, bundle) -> list[str]:
    """Take every analyzer turned off in settings out of the index: its fields emptied (and
    derived fields recomputed, e.g. tags without detector labels), its catalog records gone.
    Returns the names purged. Backend first, catalog after: a kill in between purges again."""
    purged = []
    for a in disabled_analyzers(settings):
        if not catalog.has_analyses_of(a.name):
            continue
        if bundle is not None:
            for h in catalog.analysed_by(a.name):
                doc = backend.get(h)
                changes = a.withdraw(doc, bundle) if doc is not None else None
                if changes:
                    backend.update_fields(h, changes)
        backend.clear_fields(list(a.fields))
        backend.flush()
        catalog.forget_analyzer(a.name)
        log.info("analyzer %s is turned off: its fields were purged", a.name)
        purged.append(a.name)
    return purged
