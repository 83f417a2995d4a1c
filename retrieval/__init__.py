"""Queries -> ranked moments: per-modality search, fusion, moment grouping."""

from videokb.retrieval.moments import Hit, Moment
from videokb.retrieval.search import SearchError, SearchOptions, Searcher, resolve_videos, search

__all__ = ["Hit", "Moment", "SearchError", "SearchOptions", "Searcher", "resolve_videos", "search"]
