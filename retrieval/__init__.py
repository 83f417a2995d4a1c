"""Queries -> ranked moments: per-modality search, fusion, moment grouping."""

from retrieval.moments import Hit, Moment
from retrieval.search import SearchError, SearchOptions, Searcher, resolve_videos, search

__all__ = ["Hit", "Moment", "SearchError", "SearchOptions", "Searcher", "resolve_videos", "search"]
