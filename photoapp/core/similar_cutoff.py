"""The default relevance cutoff of similar-photo results (CLI ``--min-score`` and the GUI
slider), kept apart from similar_rerank.py so the GUI reads it without importing numpy at start.

Chosen from measurement (photoapp/bench/results/similar.md, "Relevance cutoff"): on the
re-ranked score, 0.0 means "no closer than the average of the query's 100 nearest photos"; the
cutoff drops the results below it, which are mostly of other kinds, and keeps most relevant ones.
"""

DEFAULT_MIN_SCORE = 0.0
# The slider's range: below -0.2 nothing more is kept in practice, above 0.8 only copies.
SLIDER_MIN, SLIDER_MAX = -0.2, 0.8
