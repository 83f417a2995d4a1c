import pyarrow as pa

from videokb.index import schema as S


def test_embedder_specs_round_trip_through_schema_metadata():
    spec = S.EmbedderSpec("sentence-transformers", "sentence-transformers/all-MiniLM-L6-v2", 384)
    schema = S.with_embedders(S.segments_schema(384), {"vector": spec})
    assert S.embedder_specs(schema) == {"vector": spec}
    assert S.embedder_specs(S.segments_schema(384)) == {}


def test_vector_columns_have_the_embedder_width():
    assert S.regions_schema(1280).field("vector").type == pa.list_(pa.float32(), 1280)
    assert S.keyframes_schema(384).field("label_vector").type == pa.list_(pa.float32(), 384)


def test_every_row_table_is_keyed_by_video_and_ingest_attempt():
    for schema in (S.keyframes_schema(4), S.regions_schema(4), S.segments_schema(4), S.ocr_spans_schema(4),
                   S.videos_schema()):
        assert schema.field("video_id").type == pa.string()
        assert schema.field("ingest_id").type == pa.string()


def test_regions_table_name_is_a_slug():
    assert S.regions_table_name("siglip2_siglip2-base-patch16-naflex") == "regions_siglip2_siglip2_base_patch16_naflex"
    assert S.regions_table_name("efficientnet-lite0") == "regions_efficientnet_lite0"
