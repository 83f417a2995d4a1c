"""`videokb mcp` driven over stdio by the MCP SDK's own client: every tool, and an error."""

import base64
import io
import os
import sys

import anyio
import numpy as np
import pytest
import tiny_kb
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from PIL import Image

import videokb


@pytest.fixture(scope="module")
def kb_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kb")
    tiny_kb.build(folder)
    return folder


def _data(result):
    assert not result.is_error, result.content
    sc = result.structured_content
    # Protocol 2025-11-25 allows only an object here, so the SDK wraps other values as {"result": ...}.
    return sc["result"] if isinstance(sc, dict) and set(sc) == {"result"} else sc


async def _session_calls(db, log, calls):
    # The client passes the server only a minimal environment unless told: keep the test's settings.
    params = StdioServerParameters(command=sys.executable, args=["-m", "videokb", "mcp", "--db", str(db)],
                                   env=dict(os.environ))
    out = {}
    with open(log, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                out["tools"] = sorted(t.name for t in (await session.list_tools()).tools)
                for name, tool, args in calls:
                    out[name] = await session.call_tool(tool, args)
    return out


def test_mcp_tools_over_stdio(kb_dir, tmp_path):
    calls = [
        ("videos", "list_videos", {}),
        ("search", "search", {"query": "how much is the adoption fee", "k": 2, "modalities": ["speech"]}),
        ("transcript", "get_transcript", {"video_id": "bakery_tour", "start_s": 4.0, "end_s": 6.0}),
        ("frame", "get_frame", {"video_id": "bakery", "t_s": 3.0}),
        ("bad_frame", "get_frame", {"video_id": "zoo", "t_s": 1.0}),
        ("ask", "ask", {"question": "How much is the adoption fee?"}),
    ]
    r = anyio.run(_session_calls, kb_dir / "db", tmp_path / "server.log", calls)
    print((tmp_path / "server.log").read_text())  # the server's stderr, shown if an assertion below fails
    assert r["tools"] == ["ask", "get_frame", "get_transcript", "list_videos", "search"]

    videos = _data(r["videos"])
    assert [v["video_id"] for v in videos] == ["bakery_tour", "pet_adoption_day"]
    assert videos[0]["video_path"] == str(kb_dir / "videos" / "bakery_tour.mp4") and videos[0]["duration_s"] == 6.0

    top = _data(r["search"])[0]
    assert (top["video_id"], top["start_s"], top["end_s"]) == ("pet_adoption_day", 3.0, 5.5)
    assert top["evidence"] == "speech: The adoption fee is $75 for every dog."

    assert _data(r["transcript"]) == [
        {"start_s": 3.0, "end_s": 5.5, "text": "Our sourdough loaf costs $4.50 and we open at 6 AM."}]

    (content,) = r["frame"].content
    assert content.type == "image" and content.mime_type == "image/jpeg"
    img = Image.open(io.BytesIO(base64.b64decode(content.data)))
    assert img.size == tiny_kb.SIZE
    # The same picture the API decodes (JPEG-compressed on the way).
    same = videokb.open(kb_dir / "db").frame("bakery_tour", 3.0)
    assert np.abs(np.asarray(img, dtype=int) - np.asarray(same, dtype=int)).mean() < 4

    assert r["bad_frame"].is_error
    assert "no indexed video matches 'zoo'" in r["bad_frame"].content[0].text

    answer = _data(r["ask"])
    assert answer["found"] and "$75" in answer["answer"], answer
    assert answer["citations"][0]["video_id"] == "pet_adoption_day" and answer["citations"][0]["supported"]
