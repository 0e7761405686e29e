"""Where the documents live on the cluster: an index template, a versioned index behind an alias,
and the migration between versions (``mapping.py`` says what the layout *is*; this module makes
the cluster match it).

On connect, ``check`` verifies that an existing alias (or a versioned index of ours left without
one) has our mapping, and upgrades an older photoapp layout: new versioned index from the
template, reindex, atomic alias swap; the old index is kept. The index itself is created on the
first write, when the vector size is known.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from ...errors import MappingConflictError
from . import mapping as m
from .session import Session

log = logging.getLogger(__name__)


class Layout:
    def __init__(self, session: Session, prefix: str):
        self.session = session
        self.prefix = prefix
        self.alias = m.alias_name(prefix)
        self.ready = False  # the alias exists and its mapping is ours

    def check(self) -> None:
        """If our alias (or an index of that name) exists, its mapping must be ours."""
        from elasticsearch import NotFoundError

        server = self.session.server
        assert server is not None
        es = self.session.client
        wanted = m.mappings(server, None)
        try:
            alias_exists = bool(es.indices.exists_alias(name=self.alias))
            target = None
            if alias_exists:
                target = sorted(es.indices.get_alias(name=self.alias).body)[-1]
            elif es.indices.exists(index=self.alias):
                raise MappingConflictError(
                    f"an index named {self.alias!r} already exists (not photoapp's alias); rename it "
                    f"or set elasticsearch.index_prefix to use other index names")
            else:  # no alias: the newest versioned index of ours, if one was left without it
                target = self._newest_versioned_index()
            if target is None:
                self.ready = False  # created on first write, when the vector size is known
                return
            existing = es.indices.get_mapping(index=target).body[target]["mappings"]
        except MappingConflictError:
            raise
        except NotFoundError:
            self.ready = False
            return
        except Exception as exc:
            raise self.session.error(exc, "checking the index") from None
        version = (existing.get("_meta") or {}).get("schema_version", m.SCHEMA_VERSION)
        # An older photoapp layout lacks the fields added since: the reindex below adds them.
        problems = m.mapping_conflicts(existing, wanted, missing_ok=version < m.SCHEMA_VERSION)
        if problems:
            raise MappingConflictError(
                f"index {target!r} has an incompatible mapping: " + "; ".join(problems[:6])
                + ("; ..." if len(problems) > 6 else "")
                + ". Delete it, or set elasticsearch.index_prefix to use other index names")
        if version < m.SCHEMA_VERSION:
            self._reindex(target)
        elif not alias_exists:
            self.session.call("adding the alias", lambda: es.indices.put_alias(index=target, name=self.alias))
        self.ready = True

    def refresh_ready(self) -> bool:
        """Whether the index exists now (another process may have created it since)."""
        if not self.ready:
            self.session.call("checking the index", self.check)
        return self.ready

    def ensure(self, dims: Callable[[], int | None]) -> None:
        """Create the index (template + versioned index + alias) unless it exists; ``dims`` gives
        the vector size to create it with."""
        if self.ready:
            return
        self.session.connect()
        if self.ready:
            return
        self._create_index(dims())
        self.ready = True

    def _newest_versioned_index(self) -> str | None:
        found = self.session.client.indices.get(index=f"{self.alias}-v*", expand_wildcards="open").body
        versions = {int(n.rsplit("-v", 1)[1]): n for n in found if n.rsplit("-v", 1)[1].isdigit()}
        return versions[max(versions)] if versions else None

    def _reindex(self, old_index: str) -> None:
        """Schema upgrade: new versioned index, copy, atomic alias swap. The old index stays."""
        es = self.session.client
        new_index = m.index_name(self.prefix)
        mapping = es.indices.get_mapping(index=old_index).body[old_index]["mappings"]
        dims = mapping.get("properties", {}).get("embedding", {}).get("dims")
        self._create_index(dims, with_alias=False)
        self.session.call("reindexing", lambda: es.reindex(
            source={"index": old_index}, dest={"index": new_index}, wait_for_completion=True, refresh=True))
        self.session.call("swapping the alias", lambda: es.indices.update_aliases(actions=[
            {"remove": {"index": old_index, "alias": self.alias}},
            {"add": {"index": new_index, "alias": self.alias}}]))
        log.info("reindexed %s -> %s (schema v%d)", old_index, new_index, m.SCHEMA_VERSION)
        try:
            self._fill_derived_fields(new_index)
        except Exception as exc:  # noqa: BLE001 - the index works; only month: misses old photos
            log.warning("could not fill the month of older photos in %s: %s", new_index, exc)

    def _fill_derived_fields(self, index: str) -> int:
        """Fields a newer layout derives from the document but an older one did not store
        (taken_month, from taken_at, for ``month:``). A reindex copies each _source as it was,
        so they are written here as partial updates: no update-by-script, which not every
        Elasticsearch-speaking server has. Returns how many documents were filled."""
        from elasticsearch import helpers

        from .reads import scan_hits

        es = self.session.client
        missing = {"bool": {"filter": [{"exists": {"field": "taken_at"}}],
                            "must_not": [{"exists": {"field": "taken_month"}}]}}
        # Streamed page by page (memory stays bounded); paging on doc_id is not disturbed by the
        # updates, which searches see only after the refresh below.
        hits = scan_hits(lambda **body: es.search(index=index, **body).body, ["taken_at"], missing)
        actions = ({"_op_type": "update", "_index": index, "_id": h["_id"],
                    "doc": {"taken_month": int(str(h["_source"]["taken_at"])[5:7])}}
                   for h in hits if str((h.get("_source") or {}).get("taken_at") or "")[5:7].isdigit())
        filled, _ = helpers.bulk(es, actions)
        if filled:
            es.indices.refresh(index=index)
            log.info("filled the month of %d older photos in %s", filled, index)
        return filled

    def _create_index(self, dims: int | None, with_alias: bool = True) -> None:
        from elasticsearch import BadRequestError

        server = self.session.server
        assert server is not None
        es = self.session.client
        template = m.index_template(self.prefix, server, dims)
        self.session.call("writing the index template",
                          lambda: es.indices.put_index_template(name=m.template_name(self.prefix), **template))
        try:
            es.indices.create(index=m.index_name(self.prefix),
                              aliases={self.alias: {"is_write_index": True}} if with_alias else None)
        except BadRequestError as exc:
            if "resource_already_exists" not in str(exc) or not with_alias:
                raise self.session.error(exc, "creating the index") from None
            self.check()  # someone else created it: it must still be ours
        except Exception as exc:
            raise self.session.error(exc, "creating the index") from None
