"""The default relevance cutoff of similar-photo results (CLI ``--min-score`` and the GUI
slider), kept apart from similar_rerank.py so the GUI reads it without importing numpy at start.

Chosen from measurement (photoapp/bench/results/similar.md, "Relevance cutoff"): on the
re-ranked score, 0.0 means "no closer than the average of the query's 100 nearest photos"; the
cutoff 0.1 kept 85% of the relevant results among the first 20 and raised the precision of what
is kept (0.28 -> 0.35 on the small coco128 classes); 0.2 would keep only 60%. In a library
smaller than similar_rerank.MIN_CENTRED + 1 photos scores are not centred and the cutoff
rarely bites.
"""

DEFAULT_MIN_SCORE = 0.1
# The slider's range: below -0.2 nothing more is kept in practice; 1 keeps only copies.
SLIDER_MIN, SLIDER_MAX = -0.2, 1.0
