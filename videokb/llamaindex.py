"""videokb as a LlamaIndex retriever: moments come back as ``NodeWithScore``.

    from llama_index.core.query_engine import RetrieverQueryEngine
    from videokb.llamaindex import VideokbRetriever

    engine = RetrieverQueryEngine.from_args(VideokbRetriever(videokb.open("./kb"), k=5), llm=my_llm)
    print(engine.query("How much does the sourdough loaf cost?"))

Each node's text is the moment's evidence (one ``modality: text`` line per distinct hit); its metadata
holds ``video_id``, ``video_path``, ``start_s``, ``end_s`` and ``modalities``, so an answer can cite the
exact moment. Needs ``pip install 'videokb[llamaindex]'``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from videokb.api import MODALITIES, KnowledgeBase, Moment

try:
    from llama_index.core.base.base_retriever import BaseRetriever
    from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
except ImportError as e:  # pragma: no cover - depends on the install
    raise ImportError(f"videokb.llamaindex needs llama-index-core: pip install 'videokb[llamaindex]' ({e})") from e

logger = logging.getLogger(__name__)


def moment_node(m: Moment) -> NodeWithScore:
    """A moment as a scored LlamaIndex node (id: ``video_id@start_s-end_s``)."""
    node = TextNode(
        id_=f"{m.video_id}@{m.start_s:.3f}-{m.end_s:.3f}",
        text=m.evidence or m.snippet,
        metadata={"video_id": m.video_id, "video_path": m.video_path, "start_s": round(m.start_s, 3),
                  "end_s": round(m.end_s, 3), "modalities": list(m.modalities)},
        # The id is noise to the embedding a vector store might compute; the video and times are not.
        excluded_embed_metadata_keys=["video_id"],
    )
    return NodeWithScore(node=node, score=m.score)


class VideokbRetriever(BaseRetriever):
    """Retrieves the best ``k`` moments of a videokb index for a query string."""

    def __init__(self, kb: KnowledgeBase, *, k: int = 5, modalities: Sequence[str] = MODALITIES,
                 videos: Sequence[str] | None = None, **kwargs) -> None:
        self.kb = kb
        self.k = k
        self.modalities = tuple(modalities)
        self.videos = list(videos) if videos else None
        super().__init__(**kwargs)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        moments = self.kb.search(query_bundle.query_str, k=self.k, modalities=self.modalities, videos=self.videos)
        logger.debug("%d moments for %r", len(moments), query_bundle.query_str)
        return [moment_node(m) for m in moments]


__all__ = ["VideokbRetriever", "moment_node"]
