"""The Python API: ``kb = videokb.open(db)``, then ingest, search, ask, list, query and read back a library.

The ``videokb`` command, the MCP server, the LlamaIndex retriever and the notebooks all go through
:class:`KnowledgeBase`. Errors are :mod:`videokb.errors` classes; the library error behind one stays
attached as its ``__cause__``. Heavy modules (LanceDB, the models) load on first use, not at import.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from videokb.errors import (
    IndexConflictError, InvalidInputError, ModelError, QueryError, VideoNotFoundError,
)
from videokb.index import schema as S
from videokb.index.store import Store

if TYPE_CHECKING:
    import pyarrow as pa
    from PIL import Image

    from videokb.agent import Answerer, AskResult
    from videokb.ingest import IngestReport
    from videokb.retrieval import Hit

logger = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")
MODALITIES = ("speech", "ocr", "visual")


@dataclass
class Moment:
    """One stretch of one video that matches a query, with the hits (per modality) that found it."""

    video_id: str
    video_path: str
    start_s: float
    end_s: float
    score: float
    modalities: list[str]
    snippet: str  # the best text of each modality, shortened for display
    evidence: str  # every distinct text that found it, one "modality: text" line each, best first
    hits: list[Hit] = field(repr=False, default_factory=list)

    @classmethod
    def from_retrieval(cls, m) -> Moment:
        lines: list[str] = []
        for h in m.hits:  # best first
            line = f"{h.modality}: {h.text}" if h.text else ""
            if line and line not in lines:
                lines.append(line)
        return cls(m.video_id, m.video_path, m.start_s, m.end_s, m.score, m.modalities, m.snippet(),
                   "\n".join(lines), list(m.hits))

    def to_json(self) -> dict[str, Any]:
        """What ``videokb search --json`` prints for this moment."""
        return {
            "video_id": self.video_id, "video_path": self.video_path, "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3), "score": round(self.score, 6), "modalities": self.modalities,
            "snippet": self.snippet,
            "hits": [{"source": h.source, "start_s": round(h.start_s, 3), "end_s": round(h.end_s, 3),
                      "score": round(h.raw_score, 4), "text": h.text, **h.extra} for h in self.hits[:5]],
        }


@dataclass
class Video:
    """An indexed video, as its ``videos`` row records it."""

    video_id: str
    video_path: str
    duration_s: float | None
    width: int | None
    height: int | None
    fps: float | None
    has_video: bool | None
    has_audio: bool | None
    language: str | None
    language_prob: float | None
    n_keyframes: int | None
    n_frames_decoded: int | None
    file_size: int | None
    file_mtime_ns: int | None
    models: dict[str, str]
    ingested_at: datetime | None
    ingest_id: str
    stage_seconds: dict[str, float] | None = None  # seconds per ingest stage (None: indexed before recorded)
    counts: dict[str, int] | None = None  # rows per kind written at ingest (None: as above)
    clip_tokens_per_min: float | None = None  # HiCo clip tokens per minute of video (None: no clip tokens)
    warnings: str | None = None  # what its ingest warned about, from the journal (None: nothing)

    @classmethod
    def from_row(cls, row: dict) -> Video:
        row = dict(row)
        row["models"] = json.loads(row["models"]) if row.get("models") else {}
        for key in ("stage_seconds", "counts"):
            row[key] = json.loads(row[key]) if row.get(key) else None
        return cls(**{k: row.get(k) for k in cls.__dataclass_fields__})

    def to_json(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["ingested_at"] = self.ingested_at.isoformat() if self.ingested_at else None
        return d


@dataclass
class Event:
    """Something timed in a video: a speech segment, an on-screen text span, visual labels, or a shot."""

    video_id: str
    kind: str  # speech | ocr | visual | shot
    start_s: float
    end_s: float
    text: str | None
    bbox_xyxy: list[float] | None = None


@dataclass
class Keyframe:
    """A keyframe ingest chose, with the thumbnail it stored."""

    video_id: str
    frame_idx: int
    t_s: float
    start_s: float
    end_s: float
    shot_idx: int
    labels: str | None
    jpeg: bytes = field(repr=False)

    def image(self) -> Image.Image:
        from PIL import Image

        return Image.open(io.BytesIO(self.jpeg))


def _device(device: str) -> str:
    if device not in DEVICES:
        raise InvalidInputError(f"device must be one of {', '.join(DEVICES)}, not {device!r}")
    return device


class KnowledgeBase:
    """A video library's index. Cheap to open; models load on first use and stay loaded for reuse."""

    def __init__(self, db: str | Path | None = None, *, device: str = "auto") -> None:
        from videokb.config import default_db

        self.device = _device(device)
        if db is None:
            db = default_db()
        elif "://" not in str(db):  # a local folder; s3://... and other URIs go to LanceDB as they are
            db = Path(db).expanduser()
        self.store = Store(db)
        self._answerers: dict[tuple, Answerer] = {}

    @property
    def uri(self) -> str:
        return self.store.uri

    def __repr__(self) -> str:
        return f"KnowledgeBase({self.uri!r})"

    # -- ingest -------------------------------------------------------------------------------------
    def ingest(self, paths: str | Path | Sequence[str | Path], *, visual: str | None = None,
               ocr: bool | None = None, asr: bool | None = None, asr_model: str | None = None,
               workers: int = 1, prune: bool = False, progress: bool = False,
               on_models: Callable[[dict[str, str]], None] | None = None) -> IngestReport:
        """Index the videos under ``paths`` (files or folders); unset options come from the environment,
        ``$VIDEOKB_HOME/config.toml`` and the defaults. Returns what happened to each file."""
        from videokb.config import ConfigError, model_config
        from videokb.index.embedders import EmbedderError
        from videokb.index.store import IndexMismatchError
        from videokb.ingest import IngestConfig, RunOptions
        from videokb.ingest import ingest as run_ingest
        from videokb.ingest.journal import JournalBusyError

        paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
        try:
            models = model_config(device=self.device, visual=visual, asr_model=asr_model, ocr=ocr, asr=asr)
            run = RunOptions(workers=workers, prune=prune)
        except (ConfigError, ValueError) as e:
            raise InvalidInputError(str(e)) from e
        try:
            return run_ingest([Path(p).expanduser() for p in paths], self.store, IngestConfig(models=models), run=run,
                              progress=progress, on_models=on_models)
        except EmbedderError as e:
            raise ModelError(str(e)) from e
        except (IndexMismatchError, JournalBusyError) as e:
            raise IndexConflictError(str(e)) from e

    # -- search and ask -----------------------------------------------------------------------------
    def search(self, query: str | Path | Image.Image | None = None, *, image: str | Path | Image.Image | None = None,
               k: int = 10, modalities: Sequence[str] = MODALITIES,
               videos: Sequence[str] | None = None) -> list[Moment]:
        """Moments that match a text ``query`` or an example picture (a ``Path`` or a PIL image, as
        ``query`` or ``image``), best first; ``videos`` limits it to those videos (ids, id prefixes or
        parts of their paths)."""
        from videokb.retrieval import SearchError, SearchOptions
        from videokb.retrieval import search as run_search

        if query is not None and not isinstance(query, str):
            if image is not None:
                raise InvalidInputError("give a text query or an image, not both")
            query, image = None, query
        if (query is None) == (image is None):
            raise InvalidInputError("give a text query or an image (one of them)")
        picture = _load_image(image) if image is not None else None
        try:
            options = SearchOptions(k=k, modalities=tuple(modalities), device=self.device)
            if videos:
                options.video_ids = self._resolve(list(videos))
            moments = run_search(self.store, query, picture, options)
        except SearchError as e:
            raise InvalidInputError(str(e)) from e
        return [Moment.from_retrieval(m) for m in moments]

    def answerer(self, name: str = "gemma-270m", *, llm_url: str | None = None, llm_model: str | None = None,
                 options: Mapping[str, Any] | None = None) -> Answerer:
        """The registered answerer ``name`` (``videokb backends --kind answerer``), built once per knowledge
        base and reused; ``llm_url``/``llm_model`` fill the config fields that take them, ``options`` any field."""
        from videokb.agent import create_answerer
        from videokb.agent.answerers import AnswererError
        from videokb.index.backends import BackendError, get_backend

        key = (name, llm_url, llm_model, repr(sorted((options or {}).items())))
        if key not in self._answerers:
            try:
                backend = get_backend("answerer", name)
                shared = {"llm_url": llm_url, "llm_model": llm_model, "device": self.device}
                self._answerers[key] = create_answerer(name, **{**backend.options_from(shared), **(options or {})})
            except BackendError as e:
                raise InvalidInputError(str(e)) from e
            except AnswererError as e:
                raise ModelError(str(e)) from e
        return self._answerers[key]

    def ask(self, question: str, *, answerer: str = "gemma-270m", llm_url: str | None = None,
            llm_model: str | None = None, options: Mapping[str, Any] | None = None, k: int = 6,
            tools: bool = False, on_token: Callable[[str], None] | None = None) -> AskResult:
        """Answer ``question`` from the archive with checked citations; ``on_token`` gets the draft as it
        streams. An answer nothing supports is ``"not found in the archive"`` (``result.found`` False).
        ``tools``: the model picks the archive tools itself (an openai-compatible server with tool calling)."""
        from videokb.agent import AskOptions
        from videokb.agent import ask as run_ask
        from videokb.agent.answerers import AnswererError
        from videokb.agent.tools import ToolError
        from videokb.retrieval import SearchError

        if not question or not question.strip():
            raise InvalidInputError("the question is empty")
        model = self.answerer(answerer, llm_url=llm_url, llm_model=llm_model, options=options)
        try:
            return run_ask(self.store, question, model, AskOptions(k=k, device=self.device, tool_calling=tools),
                           on_token=on_token)
        except AnswererError as e:
            raise ModelError(str(e)) from e
        except (SearchError, ToolError) as e:
            raise InvalidInputError(str(e)) from e

    # -- what is indexed ----------------------------------------------------------------------------
    def videos(self) -> list[Video]:
        """Every indexed video, by path, with its HiCo clip tokens per minute (fewer on static footage)."""
        rows = sorted(self.store.videos().to_pylist(), key=lambda r: r["video_path"])
        tokens = self.store.clip_tokens()
        warned = self._ingest_warnings()
        for r in rows:
            r["warnings"] = warned.get(r["video_path"])
            n = tokens.get(r["video_id"])
            r["clip_tokens_per_min"] = round(n / (r["duration_s"] / 60), 1) if n is not None and r["duration_s"] \
                else None
        return [Video.from_row(r) for r in rows]

    def _ingest_warnings(self) -> dict[str, str]:
        """path -> the warnings its ingest recorded in the journal (none if the index has no journal)."""
        from videokb.ingest.journal import Journal, journal_path

        path = journal_path(self.store.uri)
        if not path.exists():
            return {}
        journal = Journal(path)
        try:
            return journal.warnings()
        finally:
            journal.close()

    def video(self, ref: str) -> Video:
        """The one video whose id, id prefix or part of its path is ``ref``."""
        (video_id,) = self._resolve([ref])
        return next(v for v in self.videos() if v.video_id == video_id)

    def sql(self, query: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run DuckDB SQL over the index (views ``videos``, ``keyframes``, ``segments``, ``ocr_spans``,
        ``regions_*`` and ``events``); the result as an Arrow table."""
        import duckdb

        from videokb.index.events import connect_events

        con = connect_events(self.store)
        try:
            rel = con.sql(query, params=list(params) if params is not None else None)
            if rel is None:  # a statement without rows (CREATE VIEW ...)
                import pyarrow as pa

                return pa.table({})
            # duckdb 2 renamed fetch_arrow_table (deprecated there) to to_arrow_table.
            return (getattr(rel, "to_arrow_table", None) or rel.fetch_arrow_table)()
        except duckdb.Error as e:
            raise QueryError(f"SQL error: {e}") from e
        finally:
            con.close()

    def timeline(self, video: str, *, kinds: Sequence[str] | None = None, start_s: float | None = None,
                 end_s: float | None = None) -> list[Event]:
        """The video's events in time order (speech, ocr, visual, shot), optionally only some ``kinds``
        and only those overlapping ``[start_s, end_s]``."""
        (video_id,) = self._resolve([video])
        where, params = ["video_id = ?"], [video_id]
        if kinds:
            bad = set(kinds) - {"speech", "ocr", "visual", "shot"}
            if bad:
                raise InvalidInputError(f"unknown event kind {sorted(bad)}; choose from speech, ocr, visual, shot")
            where.append("kind IN (" + ", ".join("?" for _ in kinds) + ")")
            params += list(kinds)
        if start_s is not None:
            where.append("end_s >= ?")
            params.append(float(start_s))
        if end_s is not None:
            where.append("start_s <= ?")
            params.append(float(end_s))
        table = self.sql("SELECT video_id, kind, start_s, end_s, text, bbox_xyxy FROM events WHERE "
                         + " AND ".join(where) + " ORDER BY start_s, kind", params)
        return [Event(**r) for r in table.to_pylist()]

    def transcript(self, video: str, start_s: float | None = None, end_s: float | None = None) -> list[Event]:
        """The speech segments of ``video`` that overlap ``[start_s, end_s]`` (all of them by default)."""
        return self.timeline(video, kinds=["speech"], start_s=start_s, end_s=end_s)

    def keyframes(self, video: str) -> list[Keyframe]:
        """The keyframes ingest kept for ``video``, in time order, with their stored thumbnails."""
        (video_id,) = self._resolve([video])
        ds = self.store.dataset(S.KEYFRAMES)
        if ds is None:
            return []
        live = self.store.live_attempts()[video_id].replace("'", "''")
        cols = ["video_id", "frame_idx", "t_s", "start_s", "end_s", "shot_idx", "labels", "image_jpeg"]
        rows = ds.to_table(columns=cols, filter=f"video_id = '{video_id}' AND ingest_id = '{live}'").to_pylist()
        return sorted((Keyframe(**{**{k: r[k] for k in cols[:-1]}, "jpeg": r["image_jpeg"]}) for r in rows),
                      key=lambda f: f.t_s)

    def frame(self, video: str, t_s: float) -> Image.Image:
        """The frame shown at ``t_s`` seconds, decoded from the video file at full size (upright)."""
        import av

        from videokb.ingest.keyframes import upright

        v = self.video(video)
        duration = v.duration_s or 0.0
        if not 0 <= t_s <= duration:
            raise InvalidInputError(f"t_s={t_s} is outside {Path(v.video_path).name} (0-{duration:.3f} s)")
        path = Path(v.video_path)
        if not path.is_file():
            raise InvalidInputError(f"{path}: the video file is gone (moved or deleted since it was ingested)")
        try:
            with av.open(str(path)) as container:
                stream = container.streams.video[0]
                start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
                container.seek(int((t_s + start) / stream.time_base), stream=stream, backward=True)
                best = None
                for frame in container.decode(stream):
                    if frame.time is None:
                        continue
                    if best is not None and frame.time - start > t_s + 1e-6:
                        break
                    best = frame
        except (av.error.FFmpegError, IndexError) as e:
            raise InvalidInputError(f"{path}: cannot decode a frame at {t_s} s ({e})") from e
        if best is None:
            raise InvalidInputError(f"{path}: no frame decoded at {t_s} s")
        return upright(best.to_image(), best.rotation)

    # -- helpers ------------------------------------------------------------------------------------
    def _resolve(self, refs: list[str]) -> list[str]:
        from videokb.retrieval import SearchError, resolve_videos

        try:
            return resolve_videos(self.store, refs)
        except SearchError as e:
            raise VideoNotFoundError(str(e)) from e


def _load_image(image: str | Path | Image.Image) -> Image.Image:
    from PIL import Image, UnidentifiedImageError

    if isinstance(image, Image.Image):
        return image
    try:
        img = Image.open(image)
        img.load()
        return img
    except (UnidentifiedImageError, OSError) as e:
        raise InvalidInputError(f"{image}: not a readable image ({e})") from e


__all__ = ["Event", "KnowledgeBase", "Keyframe", "Moment", "Video"]
