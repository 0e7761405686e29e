"""The one place usearch is imported from.

usearch 2.26 and onnxruntime 1.31 cannot be loaded in that order: importing onnxruntime after
usearch crashes the interpreter (segfault while onnxruntime's extension loads; the reverse order
is fine, checked with `python -c "import usearch; import onnxruntime"`). Anything that needs
usearch imports it from here, which loads onnxruntime first.
"""
import onnxruntime  # noqa: F401  (must be loaded before usearch; see above)
from usearch.index import Index, MetricKind
from usearch.index import search as exact_search

__all__ = ["Index", "MetricKind", "exact_search"]
