"""videokb serve's JSON API through the ASGI test client, over the ingested sample library: search by text and
picture, thumbnails with boxes, the player's media (Range requests, clips), the timeline, ingest state, and the
security rules (tokens, Host check, path traversal, bounded input, JSON errors)."""

from __future__ import annotations

import io
import subprocess

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from PIL import Image

from server_helpers import make_app, raw_get
from videokb.cli import cli
from videokb.sample import render_photo
from videokb.server import ServeConfig, ServeConfigError
from videokb.server.media import MediaError, clip, probe

TOKEN = "s3cret-token-for-the-tests-0123"


@pytest.fixture(scope="module")
def app(library, tmp_path_factory, shared_cache):
    _, store, _, _ = library
    return make_app(store, tmp_path_factory.mktemp("serve"), shared_cache / "models")


@pytest.fixture(scope="module")
def client(app):
    return TestClient(app, base_url="http://127.0.0.1")


@pytest.fixture(scope="module")
def ids(client):
    return {v["name"]: v["video_id"] for v in client.get("/api/videos").json()}


def scene(corpus, name: str, i: int):
    return next(v for v in corpus if v.path.name == name).scenes[i]


def test_videos_lists_the_library_without_server_paths(client):
    r = client.get("/api/videos")
    assert r.status_code == 200
    videos = r.json()
    assert {v["name"] for v in videos} >= {"bakery_tour.mp4", "pet_adoption_day.mp4", "café tasting.mp4"}
    assert len(videos) == 6 and all("video_path" not in v for v in videos)
    bakery = next(v for v in videos if v["name"] == "bakery_tour.mp4")
    assert bakery["language"] == "en" and bakery["duration_s"] > 10 and bakery["models"]["asr"]
    assert 60 < bakery["speech_words_per_min"] < 250  # espeak-ng narrates at ~160 words a minute


def test_text_search_returns_the_moment_with_thumbnail_and_snippet(client, corpus):
    r = client.post("/api/search", json={"query": "how much does the sourdough loaf cost", "k": 3})
    assert r.status_code == 200, r.text
    top = r.json()[0]
    s = scene(corpus, "bakery_tour.mp4", 0)
    assert top["name"] == "bakery_tour.mp4"
    assert s.start_s - 1 <= top["start_s"] <= s.end_s and "speech" in top["modalities"]
    assert "sourdough" in top["snippet"].lower()
    thumb = client.get(f"/api/videos/{top['video_id']}/keyframes/{top['keyframe']['frame_idx']}.jpg")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.content)).size[0] > 0


def test_on_screen_text_match_carries_its_box(client, corpus):
    r = client.post("/api/search", json={"query": "Riverside playground", "modalities": ["ocr"], "k": 3})
    top = r.json()[0]
    assert top["name"] == "city_council_meeting.mp4" and top["modalities"] == ["ocr"]
    boxes = [b for b in top["boxes"] if b["kind"] == "ocr"]
    assert boxes and any("riverside" in b["text"].lower() for b in boxes), top
    for b in boxes:
        x0, y0, x1, y1 = b["bbox_xyxy"]
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1


def test_video_filter_limits_the_results(client, ids):
    r = client.post("/api/search", json={"query": "price", "video_ids": [ids["café tasting.mp4"]], "k": 10})
    assert r.status_code == 200 and r.json()
    assert {m["name"] for m in r.json()} == {"café tasting.mp4"}


def test_a_dropped_picture_finds_its_scene(client, corpus):
    photo = render_photo("chelsea", (854, 480))
    buf = io.BytesIO()
    photo.save(buf, "PNG")
    r = client.post("/api/search/image", files={"image": ("cat.png", buf.getvalue(), "image/png")}, data={"k": "3"})
    assert r.status_code == 200, r.text
    top = r.json()[0]
    s = scene(corpus, "pet_adoption_day.mp4", 1)
    assert top["name"] == "pet_adoption_day.mp4" and top["modalities"] == ["visual"]
    assert s.start_s - 0.5 <= top["start_s"] < s.end_s, (top, s)


def test_media_is_served_by_id_with_range_requests(client, ids, library):
    folder = library[0]
    data = (folder / "bakery_tour.mp4").read_bytes()
    vid = ids["bakery_tour.mp4"]
    info = client.get(f"/api/videos/{vid}").json()
    assert info["playable"] is True and info["video_codec"] == "h264" and "video_path" not in info
    whole = client.get(f"/api/videos/{vid}/media")
    assert whole.status_code == 200 and whole.content == data and whole.headers["accept-ranges"] == "bytes"
    part = client.get(f"/api/videos/{vid}/media", headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == data[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(data)}"


def test_timeline_has_transcript_and_on_screen_text(client, ids):
    t = client.get(f"/api/videos/{ids['bakery_tour.mp4']}/timeline").json()
    assert any("sourdough" in s["text"].lower() for s in t["segments"])
    assert any("sourdough" in o["text"].lower() for o in t["ocr"])
    starts = [s["start_s"] for s in t["segments"]]
    assert starts == sorted(starts)


def test_a_file_the_browser_cannot_play_becomes_an_h264_clip(library, tmp_path):
    import av

    src = library[0] / "bakery_tour.mp4"
    avi = tmp_path / "bakery.avi"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(src), "-c:v", "mpeg4", "-c:a", "libmp3lame", str(avi)],
                   check=True)
    assert not probe(avi).playable and probe(src).playable
    out = clip(avi, "abc123", 4.0, 7.0, tmp_path / "cache")
    with av.open(str(out)) as c:
        assert [s.codec_context.name for s in c.streams] == ["h264", "aac"]
        assert c.duration / 1e6 == pytest.approx(3.0, abs=0.2)
    assert clip(avi, "abc123", 4.0, 7.0, tmp_path / "cache") == out  # cached: made once
    with pytest.raises(MediaError, match="no video frames"):
        clip(avi, "abc123", 500.0, 510.0, tmp_path / "cache")


def test_clip_route_serves_an_mp4_of_the_span(client, ids):
    r = client.get(f"/api/videos/{ids['bakery_tour.mp4']}/clip", params={"start_s": 2, "end_s": 5})
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4" and r.content[4:8] == b"ftyp"
    bad = client.get(f"/api/videos/{ids['bakery_tour.mp4']}/clip", params={"start_s": 5, "end_s": 2})
    assert bad.status_code == 400 and "end_s" in bad.json()["detail"]
    late = client.get(f"/api/videos/{ids['bakery_tour.mp4']}/clip", params={"start_s": 7933539.8, "end_s": 8e6})
    assert late.status_code == 400 and "past the end" in late.json()["detail"]  # found by schemathesis


TRAVERSALS = [
    b"../../../../etc/passwd", b"..%2F..%2F..%2F..%2Fetc%2Fpasswd", b"%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    b"%252e%252e%252f%252e%252e%252fetc%252fpasswd", b"%2Fetc%2Fpasswd", b"/etc/passwd", b"..%5c..%5cetc%5cpasswd",
    b"....//....//etc/passwd",
]


@pytest.mark.parametrize("attack", TRAVERSALS)
def test_path_traversal_gets_404_or_400_on_every_media_route(app, ids, attack):
    vid = ids["bakery_tour.mp4"].encode()
    paths = [
        b"/api/videos/" + attack + b"/media", b"/api/videos/" + attack + b"/clip?start_s=0&end_s=1",
        b"/api/videos/" + attack + b"/timeline", b"/api/videos/" + attack,
        b"/api/videos/" + attack + b"/keyframes/0.jpg", b"/api/videos/" + vid + b"/keyframes/" + attack + b".jpg",
        b"/api/videos/" + vid + b"/media/" + attack, b"/static/" + attack,
    ]
    for p in paths:
        status, body = raw_get(app, p)
        assert status in (400, 404), (p, status, body[:200])
        assert b"root:" not in body


def test_errors_are_json_with_a_clear_message(client):
    r = client.get("/api/videos/0123456789abcdef/media")
    assert r.status_code == 404 and "no video with id" in r.json()["detail"]
    r = client.post("/api/search", json={"query": "x" * 501})
    assert r.status_code == 400 and "query" in r.json()["detail"]
    r = client.post("/api/search", json={"query": "cat", "modalities": ["smell"]})
    assert r.status_code == 400 and "modalities" in r.json()["detail"]
    r = client.post("/api/search", content=b"{" + b" " * 70_000 + b"}", headers={"content-type": "application/json"})
    assert r.status_code == 413 and "limit" in r.json()["detail"]
    r = client.post("/api/search/image", files={"image": ("notes.txt", b"not a picture", "text/plain")})
    assert r.status_code == 400 and "notes.txt: not a readable image" in r.json()["detail"]


def test_image_uploads_are_bounded(library, tmp_path, shared_cache):
    app = make_app(library[1], tmp_path, shared_cache / "models", max_image_bytes=2000, max_image_pixels=10_000)
    client = TestClient(app, base_url="http://127.0.0.1")
    big = io.BytesIO()
    Image.effect_noise((200, 200), 60).save(big, "PNG")
    r = client.post("/api/search/image", files={"image": ("big.png", big.getvalue(), "image/png")})
    assert r.status_code == 413
    wide = io.BytesIO()
    Image.new("L", (400, 300)).save(wide, "PNG")  # small file, too many pixels
    r = client.post("/api/search/image", files={"image": ("wide.png", wide.getvalue(), "image/png")})
    assert r.status_code == 413 and "400x300" in r.json()["detail"]


def test_a_foreign_host_header_is_refused_on_loopback(app):
    status, body = raw_get(app, b"/api/videos", host=b"evil.example:8000")
    assert status == 400 and b"not this server" in body
    assert raw_get(app, b"/api/videos", host=b"localhost:8000")[0] == 200


def test_non_loopback_refuses_to_start_without_a_token(tmp_path, monkeypatch):
    monkeypatch.delenv("VIDEOKB_API_TOKEN", raising=False)
    with pytest.raises(ServeConfigError, match="refusing to listen on 0.0.0.0"):
        ServeConfig(db=tmp_path, host="0.0.0.0")
    result = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path), "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "VIDEOKB_API_TOKEN" in result.output
    monkeypatch.setenv("VIDEOKB_API_TOKEN", "short")
    with pytest.raises(ServeConfigError, match="too short"):
        ServeConfig(db=tmp_path, host="0.0.0.0")


def test_with_a_token_every_api_call_needs_it(library, tmp_path, shared_cache, monkeypatch):
    monkeypatch.setenv("VIDEOKB_API_TOKEN", TOKEN)
    app = make_app(library[1], tmp_path, shared_cache / "models", host="0.0.0.0")
    client = TestClient(app, base_url="http://192.168.1.20:8000")
    vid = client.get("/api/videos", headers={"Authorization": f"Bearer {TOKEN}"}).json()[0]["video_id"]
    for path in ("/api/videos", f"/api/videos/{vid}/media", f"/api/videos/{vid}/keyframes/0.jpg",
                 f"/api/videos/{vid}/timeline", "/api/status", "/api/config", "/api/ask?q=hi"):
        r = client.get(path)
        assert r.status_code == 401 and "token" in r.json()["detail"], path
        assert client.get(path, headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 401
    assert client.post("/api/search", json={"query": "cat"}).status_code == 401
    assert client.post("/session", json={"token": "wrong"}).status_code == 401
    r = client.post("/session", json={"token": TOKEN})
    assert r.status_code == 200 and "httponly" in r.headers["set-cookie"].lower()
    assert client.get("/api/videos").status_code == 200  # the cookie now carries it
    assert client.get("/").status_code == 200  # the page itself holds no data


def test_page_and_assets_are_served_by_the_package(client):
    page = client.get("/")
    assert page.status_code == 200 and "<script src=\"/static/app.js\">" in page.text
    assert "http" not in page.text.replace("http-equiv", "")  # nothing from a CDN
    for asset in ("/static/app.js", "/static/app.css"):
        r = client.get(asset)
        assert r.status_code == 200 and "https://" not in r.text
    docs = client.get("/docs")
    assert docs.status_code == 200 and "cdn" not in docs.text and "/docs-assets/swagger-ui-bundle.js" in docs.text
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert "/api/search" in client.get("/openapi.json").json()["paths"]


def test_ingest_form_is_off_unless_allowed(client):
    r = client.post("/api/ingest", json={"folder": "/tmp"})
    assert r.status_code == 403 and "--allow-ingest" in r.json()["detail"]
    assert client.get("/api/config").json()["allow_ingest"] is False


def test_allowed_ingest_runs_in_the_server_and_shows_in_status(corpus, tmp_path, shared_cache):
    """An AVI (MPEG-4 Part 2 + MP3) ingested from the page, then played as an H.264 clip."""
    import time

    import av

    from videokb.index.store import Store

    folder = tmp_path / "incoming"
    folder.mkdir()
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(corpus[0].path), "-c:v", "mpeg4", "-c:a", "libmp3lame",
                    str(folder / "bakery.avi")], check=True)
    (folder / "notes.txt").write_text("not a video")
    store = Store(tmp_path / "db")
    app = make_app(store, tmp_path, shared_cache / "models", allow_ingest=True)
    client = TestClient(app, base_url="http://127.0.0.1")
    assert client.post("/api/ingest", json={"folder": str(tmp_path / "missing")}).status_code == 400
    r = client.post("/api/ingest", json={"folder": str(folder)})
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 300
    while client.get("/api/status").json()["server_ingest"]["running"] and time.monotonic() < deadline:
        time.sleep(0.5)
    status = client.get("/api/status").json()
    assert status["server_ingest"] == {"running": False, "error": None}
    assert status["last_run"]["status"] == "finished" and status["files"].get("done") == 1, status
    videos = client.get("/api/videos").json()
    assert [v["name"] for v in videos] == ["bakery.avi"]
    info = client.get(f"/api/videos/{videos[0]['video_id']}").json()
    assert info["playable"] is False and info["video_codec"] == "mpeg4"
    r = client.get(f"/api/videos/{videos[0]['video_id']}/clip", params={"start_s": 3, "end_s": 6})
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(r.content)) as c:
        assert [s.codec_context.name for s in c.streams] == ["h264", "aac"]
        assert c.duration / 1e6 == pytest.approx(3.0, abs=0.2)


@pytest.mark.slow
def test_ask_streams_tokens_then_a_checked_answer(client, ids):
    import json

    events = []
    with client.stream("GET", "/api/ask", params={"q": "How much does the sourdough loaf cost?"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        for block in r.iter_text():
            events.append(block)
    text = "".join(events)
    parsed = [(b.split("\n")[0][len("event: "):], json.loads(b.split("\n")[1][len("data: "):]))
              for b in text.strip().split("\n\n")]
    kinds = [k for k, _ in parsed]
    assert kinds[-1] == "answer" and "token" in kinds and set(kinds) == {"token", "answer"}
    answer = parsed[-1][1]
    assert "4.50" in answer["answer"] or "four dollars" in answer["answer"].lower(), answer
    assert answer["citations"] and all(c["supported"] for c in answer["citations"])
    assert answer["citations"][0]["video_id"] == ids["bakery_tour.mp4"] and answer["citations"][0]["name"]
