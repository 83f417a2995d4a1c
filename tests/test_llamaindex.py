"""videokb's LlamaIndex retriever inside a RetrieverQueryEngine, with a local LLM built here (no network)."""

import pytest
import tiny_kb
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import NodeWithScore

import videokb
from videokb.llamaindex import VideokbRetriever


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kb")
    tiny_kb.build(folder)
    return videokb.open(folder / "db", device="cpu")


def test_retriever_returns_moments_as_nodes(kb):
    nodes = VideokbRetriever(kb, k=2, modalities=["speech"]).retrieve("how much is the adoption fee")
    assert all(isinstance(n, NodeWithScore) for n in nodes) and nodes
    top = nodes[0]
    assert top.node.text == "speech: The adoption fee is $75 for every dog."
    assert top.node.metadata == {"video_id": "pet_adoption_day", "video_path": top.node.metadata["video_path"],
                                 "start_s": 3.0, "end_s": 5.5, "modalities": ["speech"]}
    assert top.node.metadata["video_path"].endswith("pet_adoption_day.mp4")
    assert top.score == kb.search("how much is the adoption fee", k=1, modalities=["speech"])[0].score


def test_query_engine_answers_from_the_moments(kb):
    # MockLLM (no max_tokens) answers with the prompt it was given: what the engine put in front of the
    # model is exactly what comes back, so this checks the retriever's evidence and metadata reach it.
    engine = RetrieverQueryEngine.from_args(VideokbRetriever(kb, k=3), llm=MockLLM())
    response = engine.query("When does the bakery open?")
    text = str(response)
    assert "speech: Our sourdough loaf costs $4.50 and we open at 6 AM." in text
    meta = response.source_nodes[0].node.metadata
    assert meta["video_id"] == "bakery_tour"
    for key in ("video_id", "video_path", "start_s", "end_s"):  # the metadata reaches the LLM, for citing
        assert f"{key}: {meta[key]}\n" in text
    assert "Query: When does the bakery open?" in text
