"""Every analyzer photoapp knows, in the order their results are applied. A new analyzer is one
module beside this file plus its line here (and its fields in records.PhotoDocument)."""
from __future__ import annotations

from .base import Analyzer
from .colors import ColorsAnalyzer
from .faces import FacesAnalyzer
from .objects import ObjectsAnalyzer
from .places import PlacesAnalyzer
from .tags import TagsAnalyzer
from .text import TextAnalyzer

ANALYZERS: tuple[Analyzer, ...] = (TagsAnalyzer(), ColorsAnalyzer(), PlacesAnalyzer(), ObjectsAnalyzer(),
                                   FacesAnalyzer(), TextAnalyzer())
