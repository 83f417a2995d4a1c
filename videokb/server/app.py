"""The FastAPI app: a JSON API under /api (OpenAPI at /docs) and the page that uses it, from one process."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import threading
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from videokb.server import media
from videokb.server.ingest_runs import IngestRuns
from videokb.server.kb import KnowledgeBase, NotFound, SearchRequest
from videokb.server.security import COOKIE, BodyLimit, HostCheck, ServeConfig, require_token

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
_MAX_ASKS = 4  # questions running or queued for the one answerer; more get 429 instead of piling up threads
_ASK_SLOTS = threading.BoundedSemaphore(_MAX_ASKS)
_VIDEO_ID = re.compile(r"[0-9a-f]{8,128}")
Modality = Annotated[str, Field(pattern="^(speech|ocr|visual)$")]
VideoId = Annotated[str, Field(min_length=1, max_length=128)]


class SearchBody(BaseModel):
    query: str = Field(min_length=1, max_length=500, description="What to look for, in plain language.")
    modalities: list[Modality] = Field(default=["speech", "ocr", "visual"], min_length=1, max_length=3)
    video_ids: list[VideoId] = Field(default=[], max_length=100, description="Only these videos (ids).")
    k: int = Field(default=12, ge=1, le=100)


class SessionBody(BaseModel):
    token: str = Field(min_length=1, max_length=512)


class IngestBody(BaseModel):
    folder: str = Field(min_length=1, max_length=4096, description="A folder on the server's disk.")


def create_app(config: ServeConfig, kb: KnowledgeBase | None = None) -> FastAPI:
    """The app over the index at ``config.db``; ``kb`` lets a caller share an already open one."""
    kb = kb or KnowledgeBase(config.db, device=config.device, answerer=config.answerer,
                             answerer_options=config.answerer_options)
    # /docs is served from the swagger-ui files in the swagger-ui-bundle-v2 package, not FastAPI's CDN links.
    app = FastAPI(title="videokb", version=_version(), docs_url=None, redoc_url=None,
                  description="Search a video library by speech, on-screen text and picture; watch the moment; "
                              "ask questions answered with cited moments.")
    app.state.config = config
    app.state.kb = kb
    app.state.ingests = IngestRuns(kb.store)
    app.add_middleware(BodyLimit, config=config)
    app.add_middleware(HostCheck, config=config)
    _errors(app)
    api = APIRouter(prefix="/api", dependencies=[Depends(require_token)])
    _routes(api, config, kb, app.state.ingests)
    app.include_router(api)

    @app.post("/session", summary="Exchange the API token for a session cookie (for the page's media requests)")
    def session(body: SessionBody) -> JSONResponse:
        if config.token is None:
            return JSONResponse({"ok": True, "token_required": False})
        import hmac

        if not hmac.compare_digest(body.token.encode(), config.token.encode()):
            raise HTTPException(401, "wrong token")
        resp = JSONResponse({"ok": True, "token_required": True})
        resp.set_cookie(COOKIE, body.token, httponly=True, samesite="strict")
        return resp

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/docs", include_in_schema=False)
    def docs():
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(openapi_url="/openapi.json", title="videokb API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon-32x32.png")

    from swagger_ui_bundle import swagger_ui_path

    app.mount("/docs-assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.warm = threading.Event()
    if config.warm_up:
        threading.Thread(target=_warm_up, args=(kb, app.state.warm), name="videokb-warm-up", daemon=True).start()
    return app


def _warm_up(kb: KnowledgeBase, done: threading.Event) -> None:
    try:
        kb.warm_up()
        logger.info("models loaded")
    except Exception as e:  # noqa: BLE001 - the first request loads again and reports it to its caller
        logger.warning("loading the models ahead of time failed (the first request will say why): %s", e)
    finally:
        done.set()


def _version() -> str:
    from importlib.metadata import version

    return version("videokb")


def _errors(app: FastAPI) -> None:
    from videokb.retrieval import SearchError

    @app.exception_handler(NotFound)
    async def not_found(request, exc):
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(SearchError)
    async def bad_search(request, exc):
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(media.MediaError)
    async def bad_media(request, exc):
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def invalid(request, exc):
        parts = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            parts.append(f"{where}: {e.get('msg')}")
        return JSONResponse({"detail": "bad request: " + "; ".join(parts)}, status_code=400)

    @app.exception_handler(Exception)
    async def crashed(request, exc):
        logger.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse({"detail": f"internal error: {type(exc).__name__} (see the server log)"},
                            status_code=500)


def _video(kb: KnowledgeBase, video_id: str) -> dict:
    """The index row of ``video_id``: files are found only through it, never from a client's path."""
    if not _VIDEO_ID.fullmatch(video_id):
        raise NotFound(f"no video with id {video_id!r} in the index")
    return kb.video(video_id)


def _routes(api: APIRouter, config: ServeConfig, kb: KnowledgeBase, ingests: IngestRuns) -> None:
    @api.get("/videos", summary="Every indexed video")
    def videos() -> list[dict]:
        out = kb.videos()
        for v in out:
            v.pop("video_path")  # a client needs the name, not where the file lives on the server
        return out

    @api.get("/videos/{video_id}", summary="One video, and whether a browser plays its file as it is")
    def video(video_id: str) -> dict:
        v = dict(_video(kb, video_id))
        p = media.probe(Path(v.pop("video_path")))
        v.update(playable=p.playable, video_codec=p.video_codec, audio_codec=p.audio_codec)
        return v

    @api.get("/videos/{video_id}/media", summary="The video file (HTTP Range requests supported)",
             response_class=FileResponse)
    def video_file(video_id: str):
        path = Path(_video(kb, video_id)["video_path"])
        p = media.probe(path)
        return FileResponse(path, media_type=p.mime, content_disposition_type="inline")

    @api.get("/videos/{video_id}/clip", summary="An H.264/AAC MP4 clip of the video (made once, then cached)",
             response_class=FileResponse)
    def video_clip(video_id: str, start_s: Annotated[float, Query(ge=0, le=1e7)],
                   end_s: Annotated[float, Query(ge=0, le=1e7)]):
        v = _video(kb, video_id)
        if end_s - start_s < 0.1:
            raise HTTPException(400, f"end_s ({end_s}) must be at least 0.1 s after start_s ({start_s})")
        if v["duration_s"] is not None and start_s >= v["duration_s"]:
            raise HTTPException(400, f"start_s ({start_s}) is past the end of the video ({v['duration_s']:.1f} s)")
        path = Path(v["video_path"])
        out = media.clip(path, video_id, start_s, end_s, _cache(config))
        return FileResponse(out, media_type="video/mp4", content_disposition_type="inline")

    @api.get("/videos/{video_id}/keyframes/{frame_idx}.jpg", summary="A keyframe's thumbnail (JPEG)",
             response_class=Response)
    def keyframe(video_id: str, frame_idx: Annotated[int, PathParam(ge=0, le=2**62)]):
        _video(kb, video_id)
        return Response(kb.keyframe_jpeg(video_id, frame_idx), media_type="image/jpeg",
                        headers={"Cache-Control": "private, max-age=3600"})

    @api.get("/videos/{video_id}/timeline", summary="Transcript segments and on-screen text, in time order")
    def timeline(video_id: str) -> dict:
        _video(kb, video_id)
        return kb.timeline(video_id)

    @api.post("/search", summary="Moments matching a text query, best first")
    def search(body: SearchBody) -> list[dict]:
        return kb.search(SearchRequest(query=body.query, modalities=tuple(body.modalities),
                                       video_ids=body.video_ids or None, k=body.k))

    @api.post("/search/image", summary="Moments whose frames look like a picture, best first")
    def search_image(image: Annotated[UploadFile, File(description="JPEG, PNG or WebP")],
                     video_ids: Annotated[list[VideoId], Form(max_length=100)] = [],  # noqa: B006
                     k: Annotated[int, Form(ge=1, le=100)] = 12) -> list[dict]:
        picture = _read_image(image, config)
        return kb.search(SearchRequest(image=picture, modalities=("visual",), video_ids=video_ids or None, k=k))

    @api.get("/ask", summary="Answer a question with cited moments, streamed as server-sent events",
             response_class=StreamingResponse,
             responses={200: {"content": {"text/event-stream": {}},
                              "description": "events: `token` (draft text), then `answer` (checked answer, only "
                                             "supported sentences and citations) or `error`"}})
    async def ask(q: Annotated[str, Query(min_length=1, max_length=500)],
                  k: Annotated[int, Query(ge=1, le=50)] = 6) -> StreamingResponse:
        if not _ASK_SLOTS.acquire(blocking=False):
            raise HTTPException(429, f"{_MAX_ASKS} questions are already waiting for the answerer; ask again shortly")
        return StreamingResponse(_events(_start_ask(kb, q, k)), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @api.get("/status", summary="The last ingest run: done, failed (with reasons), remaining")
    def status() -> dict:
        return ingests.status()

    @api.post("/ingest", summary="Ingest a folder on the server (only with `videokb serve --allow-ingest`)",
              status_code=202)
    def ingest(body: IngestBody) -> dict:
        if not config.allow_ingest:
            raise HTTPException(403, "ingest from the web page is off: start the server with --allow-ingest")
        folder = Path(body.folder).expanduser()
        if not folder.is_dir():
            raise HTTPException(400, f"{folder}: not a folder on the server")
        ingests.start(folder)
        return ingests.status()

    @api.get("/config", summary="What the page needs to know about this server")
    def server_config(request: Request) -> dict:
        return {"allow_ingest": config.allow_ingest, "answerer": config.answerer,
                "models_loaded": request.app.state.warm.is_set(),
                "max_query_chars": config.max_query_chars, "max_image_bytes": config.max_image_bytes}


def _cache(config: ServeConfig) -> Path:
    if config.cache_dir is not None:
        return config.cache_dir
    from videokb.index.cache import cache_dir

    return cache_dir()


def _read_image(upload: UploadFile, config: ServeConfig):
    from PIL import Image, UnidentifiedImageError

    data = upload.file.read(config.max_image_bytes + 1)
    if len(data) > config.max_image_bytes:
        raise HTTPException(413, f"{upload.filename}: image over the limit of {config.max_image_bytes} bytes")
    try:
        img = Image.open(io.BytesIO(data))
        if img.width * img.height > config.max_image_pixels:
            raise HTTPException(413, f"{upload.filename}: {img.width}x{img.height} is over the limit of "
                                     f"{config.max_image_pixels} pixels")
        img.load()
        return img.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as e:
        raise HTTPException(400, f"{upload.filename}: not a readable image ({e})") from e


def _sse(event: str, data) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _start_ask(kb: KnowledgeBase, question: str, k: int) -> asyncio.Queue:
    """Run the question in a thread now (it holds an ask slot until done); its events arrive on the queue."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()

    def run() -> None:
        try:
            result = kb.ask(question, k, on_token=lambda t: loop.call_soon_threadsafe(queue.put_nowait, ("token", t)))
            loop.call_soon_threadsafe(queue.put_nowait, ("answer", result))
        except Exception as e:  # noqa: BLE001 - sent to the page as an error event, and logged
            logger.exception("ask %r failed", question)
            loop.call_soon_threadsafe(queue.put_nowait, ("error", {"detail": f"{type(e).__name__}: {e}"}))
        finally:
            _ASK_SLOTS.release()

    threading.Thread(target=run, name="videokb-ask", daemon=True).start()
    return queue


async def _events(queue: asyncio.Queue):
    while True:
        event, data = await queue.get()
        yield _sse(event, {"text": data} if event == "token" else data)
        if event != "token":
            return
