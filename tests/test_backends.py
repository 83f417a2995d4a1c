"""The one backend registry: configs checked, unknown names and options named, compatibility wrappers, and a
third-party plugin, pip-installed from tests/data/plugin_echo, listed by ``videokb backends`` and used by ``ask``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from videokb.agent import AnswererError, create_answerer
from videokb.agent.answerers import answerer_names
from videokb.cli import cli
from videokb.index import backends as B
from videokb.index.embedders import EmbedderError, get_embedder, register

PLUGIN = Path(__file__).parent / "data" / "plugin_echo"


def test_builtins_cover_every_job_and_import_nothing_to_list():
    before = set(sys.modules)
    rows = B.backends()
    assert {(b.kind, b.name) for b in rows} >= {
        ("text-embedder", "sentence-transformers"), ("image-embedder", "siglip2"),
        ("image-embedder", "efficientnet-lite0"), ("transcriber", "faster-whisper"), ("ocr-reader", "rapidocr"),
        ("answerer", "gemma-270m"), ("answerer", "openai-compatible"), ("answerer", "ollama"),
        ("answerer", "transformers-vlm")}
    assert all(b.origin == B.BUILTIN for b in rows)
    assert not {m for m in set(sys.modules) - before if m.startswith("videokb.")}


def test_config_is_validated_and_unknown_options_are_named():
    with pytest.raises(B.BackendError, match=r"transcriber 'faster-whisper': beam_size must be >= 1"):
        B.create_backend("transcriber", "faster-whisper", beam_size=0)
    with pytest.raises(B.BackendError, match=r"has no option beam; its options: .*beam_size"):
        B.create_backend("transcriber", "faster-whisper", beam=3)
    with pytest.raises(B.BackendError, match=r"unknown ocr-reader 'tesseract'; choose one of rapidocr"):
        B.get_backend("ocr-reader", "tesseract")
    with pytest.raises(B.BackendError, match="unknown backend kind 'ocr'"):
        B.backends("ocr")
    asr = B.create_backend("transcriber", "faster-whisper", beam_size=2, threads=1)
    assert (asr.beam_size, asr.threads, asr.vad) == (2, 1, True)


def test_shared_settings_fill_only_declared_fields_and_options_are_typed():
    vlm = B.get_backend("answerer", "transformers-vlm")
    assert vlm.options_from({"llm_model": "m/x", "llm_url": "http://h", "device": "cpu"}) == {
        "model_id": "m/x", "device": "cpu"}
    assert vlm.parse_options(["max_new_tokens=8", "load_in_4bit=yes"]) == {"max_new_tokens": 8, "load_in_4bit": True}
    with pytest.raises(B.BackendError, match="max_new_tokens='many' is not a valid int"):
        vlm.parse_options(["max_new_tokens=many"])


def test_compat_wrappers_build_from_the_registry():
    assert "gemma-270m" in answerer_names()
    model = create_answerer("ollama", model="llama3.2")
    assert (model.url, model.model) == ("http://localhost:11434", "llama3.2")
    with pytest.raises(AnswererError, match="max_new_tokens must be at least 1"):
        create_answerer("gemma-270m", max_new_tokens=0)
    with pytest.raises(EmbedderError, match="unknown embedder 'clip'; choose one of"):
        get_embedder("clip")
    register("lite-again", "videokb.index.embedders.efficientnet:EfficientNetLiteEmbedder")
    try:
        assert B.get_backend("image-embedder", "lite-again").origin == "videokb.index.embedders.efficientnet"
        assert get_embedder("lite-again", None, "cpu").dim == 1280
    finally:
        B._REGISTERED.pop(("image-embedder", "lite-again"))


def test_cli_errors_from_the_library_end_cleanly(tmp_path):
    res = CliRunner().invoke(cli, ["ask", "q", "--db", str(tmp_path / "db"), "-o", "max_new_tokens=0"])
    assert res.exit_code == 1 and "max_new_tokens must be at least 1" in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    res = CliRunner().invoke(cli, ["ask", "q", "--db", str(tmp_path / "db"), "--llm-url", "http://h"])
    assert res.exit_code == 2 and "--answerer gemma-270m takes no --llm-url" in res.output


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory) -> Path:
    """The plugin, installed by pip (its real wheel and entry points) into a folder put on PYTHONPATH."""
    site = tmp_path_factory.mktemp("site")
    src = tmp_path_factory.mktemp("src") / "plugin_echo"
    shutil.copytree(PLUGIN, src)  # pip builds in place; keep tests/data clean
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(site), str(src)], check=True)
    assert (site / "videokb_echo.py").exists()
    return site


def _videokb(site: Path, marker: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site), "VIDEOKB_ECHO_IMPORTED": str(marker)}
    return subprocess.run([sys.executable, "-m", "videokb", *args], env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture
def store(pets_store):
    return pets_store


def test_plugin_is_listed_with_its_distribution_and_imported_only_when_chosen(plugin_site, tmp_path):
    marker = tmp_path / "imported"
    res = _videokb(plugin_site, marker, "backends", "--json")
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    (echo,) = [r for r in rows if r["name"] == "echo"]
    assert echo == {"kind": "answerer", "name": "echo", "target": "videokb_echo:EchoAnswerer",
                    "origin": "videokb-echo 0.1.0", "summary": "An extractive answerer for videokb, as a plugin"}
    assert not marker.exists()  # listed from metadata alone
    res = _videokb(plugin_site, marker, "ask", "--help")
    assert "echo: An extractive answerer for videokb, as a plugin" in " ".join(res.stdout.split())
    res = _videokb(plugin_site, marker, "backends", "--kind", "answerer", "--options")
    assert "min_overlap = 1" in res.stdout and marker.read_text() == "imported\n"


def test_plugin_answers_through_ask(plugin_site, store, tmp_path):
    marker = tmp_path / "imported"
    res = _videokb(plugin_site, marker, "ask", "What is the adoption fee?", "--db", store.uri, "--answerer", "echo",
                   "-o", "min_overlap=2", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["found"] and "$75" in out["answer"]
    (cite,) = [c for c in out["citations"] if c["supported"]]
    assert cite["video_path"].endswith("pet_adoption_day.mp4")
    res = _videokb(plugin_site, marker, "ask", "What is the adoption fee?", "--db", store.uri, "--answerer", "echo",
                   "-o", "min_overlap=0")
    assert res.returncode == 1 and "min_overlap must be at least 1, not 0" in res.stderr


@pytest.mark.parametrize(("env", "message"), [
    ({"VIDEOKB_ASR_BACKEND": "nope"}, "no transcriber named 'nope'; registered: faster-whisper"),
    ({"VIDEOKB_ASR_BEAM_SIZE": "wide"}, "$VIDEOKB_ASR_BEAM_SIZE='wide' is not a valid int"),
])
def test_backend_choice_from_the_environment_is_checked(tmp_path, monkeypatch, env, message):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    res = CliRunner().invoke(cli, ["ingest", str(tmp_path), "--db", str(tmp_path / "db")])
    assert res.exit_code == 2 and message in res.output
