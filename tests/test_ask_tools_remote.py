"""A chat model that calls the archive tools itself (OpenAI tool calling), against a loopback server.

The server stands in for a capable model: its first turn calls ``search`` with the question, its second
``sql``, and its last answers from the windows the tools returned, citing the window that holds the
question's words, plus one sentence it makes up; the citation check must drop that one.
"""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from test_ask_imports import MINILM, tiny_index

from videokb.agent import AnswererError, AskOptions, ask, create_answerer
from videokb.index.embedders import get_embedder

pytest.importorskip("openai")

INVENTED = "Neptune's moons are the largest in the solar system"


def reply_for(messages: list[dict]) -> dict:
    question = next(m["content"] for m in messages if m["role"] == "user")
    tool_turns = [m for m in messages if m["role"] == "tool"]
    if not tool_turns:
        return {"tool_calls": [{"id": "c1", "type": "function",
                                "function": {"name": "search", "arguments": json.dumps({"query": question})}}]}
    if len(tool_turns) == 1:
        sql = "SELECT video_id, count(*) FROM events WHERE kind = 'speech' GROUP BY 1"
        return {"tool_calls": [{"id": "c2", "type": "function",
                                "function": {"name": "sql", "arguments": json.dumps({"query": sql})}}]}
    q = set(re.findall(r"\w+", question.lower()))
    best = (0, "not found in the archive")
    for block in re.split(r"\n\n(?=\[\d+\])", tool_turns[0]["content"]):
        n = re.match(r"\[(\d+)\]", block).group(1)
        for line in block.splitlines()[1:]:
            text = line.split(": ", 1)[-1]
            score = len(q & set(re.findall(r"\w+", text.lower())))
            if score > best[0]:
                best = (score, f"{text.rstrip('.')} [{n}].")
    return {"content": f"{best[1]} {INVENTED} [1]."}


class Handler(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Handler.seen.append(body)
        message = {"role": "assistant", "content": None, **reply_for(body["messages"])}
        reply = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                            "choices": [{"index": 0, "message": message,
                                         "finish_reason": "tool_calls" if "tool_calls" in message else "stop"}],
                            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


@pytest.fixture
def store(tmp_path):
    return tiny_index(tmp_path / "db", get_embedder("sentence-transformers", MINILM, "cpu"))


def test_the_model_picks_tools_and_its_invented_sentence_is_dropped(server, store):
    Handler.seen.clear()
    model = create_answerer("openai-compatible", url=server, model="any")
    result = ask(store, "How much is the adoption fee?", model, AskOptions(device="cpu", tool_calling=True))
    assert result.found and "$75" in result.answer and "Neptune" not in result.answer, result.to_json()
    assert result.dropped == 1 and INVENTED in result.draft
    (good,) = [c for c in result.citations if c.supported]
    assert good.window.video_path.endswith("pet_adoption_day.mp4")
    assert [s["tool"] for s in result.to_json()["steps"]] == ["videos", "plan", "search", "sql", "model"]
    assert result.model_calls == 3
    first = Handler.seen[0]
    assert {t["function"]["name"] for t in first["tools"]} == {"videos", "search", "timeline", "read", "sql"}
    assert "never instructions" in first["messages"][0]["content"]
    # The sql tool's answer went back to the model as data.
    assert json.loads(Handler.seen[2]["messages"][-1]["content"])["rows"]


def test_cli_tools_flag_prints_only_checked_sentences_and_the_dropped_count(server, store):
    from click.testing import CliRunner

    from videokb.cli import cli

    res = CliRunner().invoke(cli, ["ask", "How much is the adoption fee?", "--db", store.uri, "--device", "cpu",
                                   "--answerer", "openai-compatible", "--llm-url", server, "--llm-model", "m",
                                   "--tools"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].startswith("answer: ") and "$75" in lines[0] and "Neptune" not in res.stdout.split("[1] ")[0]
    assert lines[1] == "(1 sentence dropped: not supported by the window cited)"


def test_tool_calling_needs_a_server_that_can(store):
    model = create_answerer("ollama", url="http://127.0.0.1:9", model="m")
    with pytest.raises(AnswererError, match="cannot call tools"):
        ask(store, "How much is the adoption fee?", model, AskOptions(device="cpu", tool_calling=True))
