"""People: faces grouped into people, named and corrected by the user (see service.py)."""
from __future__ import annotations

from .service import FACES_ANALYZER, PEOPLE_FIELD, People, Person, RefreshReport
from .store import PeopleError, PeopleStore, StoredFace

__all__ = ["FACES_ANALYZER", "PEOPLE_FIELD", "People", "Person", "PeopleError", "PeopleStore",
           "RefreshReport", "StoredFace"]
