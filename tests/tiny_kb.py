"""A small real index for the API tests: two real video files (ffmpeg test patterns) whose rows are
written through the real Store with real MiniLM vectors, so search, ask, export and the MCP server run
their real code in seconds instead of running the full ingest models."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from PIL import Image

from videokb.index import schema as S
from videokb.index.store import Store
from videokb.index.maintenance import refresh_fts

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
# video name -> [(start_s, end_s, speech), ...], [(start_s, end_s, on-screen text), ...]
VIDEOS = {
    "bakery_tour": (
        [(0.0, 2.5, "Welcome to the bakery tour."), (3.0, 5.5, "Our sourdough loaf costs $4.50 and we open at 6 AM.")],
        [(1.0, 4.0, "FRESH BREAD DAILY")],
    ),
    "pet_adoption_day": (
        [(0.0, 2.5, "Twenty two dogs are waiting for a home."), (3.0, 5.5, "The adoption fee is $75 for every dog.")],
        [(0.5, 5.0, "ADOPT A FRIEND")],
    ),
}
SIZE = (320, 240)
DURATION_S = 6.0


def make_video(path: Path) -> Path:
    """A 6 s 320x240 10 fps H.264 test pattern with a sine tone."""
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         f"testsrc2=size={SIZE[0]}x{SIZE[1]}:rate=10:duration={DURATION_S}", "-f", "lavfi", "-i",
         f"sine=frequency=440:duration={DURATION_S}", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-shortest", str(path)],
        check=True,
    )
    return path


def _jpeg(color: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buf, "JPEG")
    return buf.getvalue()


def build(folder: Path, videos: dict | None = None) -> tuple[Store, dict[str, Path]]:
    """Write the videos (``VIDEOS`` unless given, in its form) into ``folder/videos`` and their rows into the
    index ``folder/db``."""
    from videokb.index.embedders import get_embedder

    embedder = get_embedder("sentence-transformers", MINILM, "cpu")
    spec = {"vector": embedder.spec()}
    store = Store(folder / "db")
    (folder / "videos").mkdir(parents=True, exist_ok=True)
    segments = store.ensure_table(S.SEGMENTS, S.segments_schema(embedder.dim), spec)
    ocr = store.ensure_table(S.OCR_SPANS, S.ocr_spans_schema(embedder.dim), spec)
    keyframes = store.ensure_table(S.KEYFRAMES, S.keyframes_schema(embedder.dim),
                                   {"label_vector": embedder.spec()})
    paths = {}
    for n, (name, (speech, screen)) in enumerate((videos or VIDEOS).items()):
        path = paths[name] = make_video(folder / "videos" / f"{name}.mp4")
        vecs = embedder.embed_texts([t for *_, t in speech] + [t for *_, t in screen])
        store.add(segments, [
            {"video_id": name, "ingest_id": "a", "segment_idx": i, "start_s": s, "end_s": e, "text": text,
             "language": "en", "words": [], "avg_logprob": 0.0, "no_speech_prob": 0.0, "vector": vec.tolist()}
            for i, ((s, e, text), vec) in enumerate(zip(speech, vecs))])
        store.add(ocr, [
            {"video_id": name, "ingest_id": "a", "span_idx": i, "start_s": s, "end_s": e, "text": text,
             "bbox_xyxy": [10.0, 10.0, 200.0, 40.0], "score": 0.99, "n_keyframes": 2, "vector": vec.tolist()}
            for i, ((s, e, text), vec) in enumerate(zip(screen, vecs[len(speech):]))])
        store.add(keyframes, [
            {"video_id": name, "ingest_id": "a", "frame_idx": 10 * i * 3, "t_s": 3.0 * i, "start_s": 3.0 * i,
             "end_s": 3.0 * i + 3.0, "shot_idx": i, "reason": "shot", "labels": None, "label_vector": None,
             "image_jpeg": _jpeg((200, 60 * i, 40 * n))}
            for i in range(2)])
        store.commit_video({"video_id": name, "ingest_id": "a", "video_path": str(path), "duration_s": DURATION_S,
                            "width": SIZE[0], "height": SIZE[1], "fps": 10.0, "has_video": True, "has_audio": True,
                            "language": "en", "n_keyframes": 2, "models": '{"text": "' + MINILM + '"}'})
    refresh_fts(store)
    return store, paths
