"""Questions over a generated archive (three cafes, a school cafeteria that is no cafe but mentions a fire
drill, three team meetings, a talk with titled slides), ingested with the default offline models and
answered with the bundled Gemma-3-270M: compare, count and "after slide X" run their own plans
(videokb/sample_archive.py makes the videos)."""

from pathlib import Path

import pytest

from videokb.agent import AskOptions, ask, create_answerer
from videokb.sample_archive import build_archive

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def archive(tmp_path_factory, shared_cache):
    from videokb.index.store import Store
    from videokb.ingest import IngestConfig, ingest
    from videokb.ingest.models import ModelConfig
    from videokb.sample import make_video

    spec = build_archive(7, cafes=3, meetings=3, lecture_scenes=0, foreign=False, talks=True, train_talks=False)
    spec.specs = [s for s in spec.specs if not s.filename.startswith(("ocean", "bird", "solar"))]
    folder = tmp_path_factory.mktemp("archive")
    truth = {s.filename: make_video(s, folder) for s in spec.specs}
    store = Store(tmp_path_factory.mktemp("db"))
    report = ingest([folder], store, IngestConfig(models=ModelConfig(device="cpu", cache_dir=shared_cache)),
                    progress=False)
    assert len(report.by_status("ingested")) == len(spec.specs), report.outcomes
    return spec, truth, store


@pytest.fixture(scope="module")
def gemma(shared_cache):
    return create_answerer("gemma-270m", cache_dir=shared_cache / "models")


def _case(spec, question):
    (case,) = [c for c in spec.cases if c.question == question]
    return case


def test_compare_reads_each_cafe_and_cites_all_three(archive, gemma):
    spec, _, store = archive
    case = _case(spec, "Which of the cafes sells the cheapest espresso?")
    result = ask(store, case.question, gemma, AskOptions(device="cpu"))
    assert result.plan.shape == "compare" and result.found, result.to_json()
    assert result.answer.startswith(f"{case.accepted[0]}.mp4: "), result.answer
    assert case.evidence[0] in result.answer.split(". The others")[0]  # the winning price, as the window says
    supported = [c for c in result.citations if c.supported]
    assert sorted(Path(c.window.video_path).name for c in supported) == sorted(case.videos)
    for c in supported:  # each value is cited in a window that states it
        assert c.sentence.replace(" ", "") in c.window.evidence_text().replace(" ", ""), c
    assert result.model_calls == 3  # one short extraction per cafe, then sorted in Python
    tools = [s["tool"] for s in result.to_json()["steps"]]
    assert tools.count("model") == 3 and tools.count("extract") == 3


def test_count_cites_each_counted_meeting(archive, gemma):
    spec, _, store = archive
    counts = [c for c in spec.cases if c.kind == "count"]
    for case in counts:
        result = ask(store, case.question, gemma, AskOptions(device="cpu"))
        assert result.plan.shape == "count", result.to_json()
        assert result.answer.split()[0] == case.accepted[0], (case.question, result.answer, case.videos)
        assert sorted(Path(c.window.video_path).name for c in result.citations if c.supported) == sorted(case.videos)
        assert result.model_calls == 0


def test_after_slide_reads_the_next_window(archive, gemma):
    spec, truth, store = archive
    video = truth["volcano_talk.mp4"]
    etna, lava = video.scenes[1], video.scenes[2]
    assert etna.slide_text == "Mount Etna"
    result = ask(store, "What is said after the slide titled Mount Etna?", gemma, AskOptions(device="cpu"))
    assert result.plan.shape == "adjacent" and result.found, result.to_json()
    (cite,) = [c for c in result.citations if c.supported]
    assert cite.window.video_path.endswith("volcano_talk.mp4")
    assert abs(cite.window.start_s - lava.start_s) < 1.0 and cite.window.end_s <= lava.end_s + 1.0
    assert "lava" in result.answer.lower() and "etna" not in result.answer.lower()
    steps = [s["tool"] for s in result.to_json()["steps"]]
    assert steps.index("search") < steps.index("read")
