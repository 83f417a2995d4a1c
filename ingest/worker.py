"""One video -> its rows: the work a worker does, in stages the journal can resume.

Stages: ``visual`` (decode, keyframes, OCR, image embeddings; writes keyframe and region rows) and ``asr``
(speech, in a thread beside it) each end with a checkpoint that stores what later stages need (OCR lines per
keyframe, the transcript) in the journal; ``text`` then embeds OCR spans and transcript segments and writes
them. A worker only appends rows under the attempt's ``ingest_id``; the driver (``ingest.pipeline``) decides
what to redo, commits the video and deletes rows, so writers never race on deletes.
"""

from __future__ import annotations

import io
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

from tqdm.auto import tqdm

from videokb.index import schema as S
from videokb.index.embedders import ImageEncoding
from videokb.index.store import Store
from videokb.ingest.asr import Transcript, TranscriptSegment, Word
from videokb.ingest.errors import BadVideoError
from videokb.ingest.hico import ClipWriter, HicoOptions
from videokb.ingest.keyframes import DecodeStats, Keyframe, KeyframeOptions, iter_keyframes
from videokb.ingest.models import ModelConfig, Models
from videokb.ingest.ocr import OcrLine, SpanMerger
from videokb.ingest.probe import VideoInfo

logger = logging.getLogger(__name__)

LABEL_MIN_SCORE_REGION = 0.2
MAX_LABELS = 8

T = TypeVar("T")

Checkpoint = Callable[[str, dict], None]  # (stage, payload) -> None, called once the stage's rows are committed


@dataclass
class IngestConfig:
    models: ModelConfig = field(default_factory=ModelConfig)
    keyframes: KeyframeOptions = field(default_factory=KeyframeOptions)
    hico: HicoOptions = field(default_factory=HicoOptions)  # HiCo clip tokens (ingest.hico), on by default
    batch_size: int = 8
    thumb_max_side: int = 384
    # Speech in a thread beside the visual lane; off when several workers already fill the cores.
    parallel_lanes: bool = True

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError("batch_size must be >= 1")


@dataclass
class FileOutcome:
    path: Path
    status: str  # "ingested" | "skipped" | "failed" | "ignored" | "removed"
    reason: str = ""
    video_id: str | None = None
    duration_s: float | None = None
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    language: str | None = None
    language_prob: float | None = None


@dataclass
class VideoTask:
    """One attempt at one video, and the stages an earlier (killed) run already finished."""

    path: Path
    info: VideoInfo
    video_id: str
    ingest_id: str
    file_size: int  # as planned: a file that changes or vanishes before its commit is not committed
    file_mtime_ns: int
    done: dict[str, dict] = field(default_factory=dict)  # stage -> its checkpoint payload


def process_video(task: VideoTask, store: Store, models: Models, config: IngestConfig, *,
                  checkpoint: Checkpoint | None = None, progress: bool = False) -> FileOutcome:
    """Run the stages of ``task`` not done yet; raise BadVideoError if the file turns out to be unusable."""
    t0 = time.perf_counter()
    try:
        outcome = _process(task, store, models, config, checkpoint or (lambda stage, payload: None), progress)
    except OSError as e:
        if not task.path.exists():
            raise BadVideoError(task.path, "file vanished during ingest") from e
        raise
    outcome.seconds = time.perf_counter() - t0
    return outcome


def _process(task: VideoTask, store: Store, models: Models, config: IngestConfig, checkpoint: Checkpoint,
             progress: bool) -> FileOutcome:
    path, info = task.path, task.info
    timings: dict[str, float] = {}
    keys = {"video_id": task.video_id, "ingest_id": task.ingest_id}
    warnings: list[str] = []  # what was skipped: the video is indexed without it (issue 17)

    asr_future: Future | None = None
    asr_later: Callable[[], Transcript] | None = None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="asr")
    if "asr" not in task.done and models.asr and info.has_audio:

        def run_asr() -> Transcript | None:
            t = time.perf_counter()
            try:
                transcript = models.asr.transcribe(path)
            except BadVideoError as e:
                if not info.has_video:
                    raise
                warnings.append(f"speech not indexed: {e.reason}")  # a broken audio track; the picture is fine
                return None
            finally:
                timings["asr"] = time.perf_counter() - t
            checkpoint("asr", asdict(transcript))
            return transcript

        if config.parallel_lanes:
            asr_future = pool.submit(run_asr)
        else:
            asr_later = run_asr  # after the visual lane: the other workers already take the other cores

    try:
        if "visual" in task.done:
            visual = task.done["visual"]
        else:
            visual = {"ocr_frames": [], "counts": {}, "frames_decoded": 0, "last_t_s": 0.0}
            if info.has_video:
                stats = DecodeStats()
                ocr_frames: list[tuple[float, float, list[OcrLine]]] = []
                bar = tqdm(total=math.ceil(info.duration_s), unit="s", desc=path.name[:30], leave=False,
                           disable=not progress)
                with bar:
                    counts = _visual_lane(path, info, keys, store, models, config, stats, ocr_frames, timings, bar)
                visual = {
                    "ocr_frames": [[s, e, [[ln.text, list(ln.bbox_xyxy), ln.score] for ln in lines]]
                                   for s, e, lines in ocr_frames],
                    "counts": counts, "frames_decoded": stats.frames_decoded, "last_t_s": stats.last_t_s,
                    "damaged_s": stats.damaged_s,
                }
            _check_decoded(path, info, visual)
            checkpoint("visual", visual)
        if asr_future is not None:
            transcript = asr_future.result()
        elif asr_later is not None:
            transcript = asr_later()
        elif "asr" in task.done:
            transcript = _transcript(task.done["asr"])
        else:
            transcript = None
    finally:
        pool.shutdown(wait=True)

    t = time.perf_counter()
    merger = SpanMerger()
    for start, end, lines in visual["ocr_frames"]:
        merger.add(start, end, [OcrLine(text, tuple(box), score) for text, box, score in lines])
    spans = merger.finish()
    segments = transcript.segments if transcript else []
    vecs = models.text.embed_texts([s.text for s in spans] + [s.text for s in segments])
    ocr_rows = [
        {**keys, "span_idx": i, "start_s": s.start_s, "end_s": s.end_s, "text": s.text,
         "bbox_xyxy": list(s.bbox_xyxy), "score": s.score, "n_keyframes": s.n_keyframes, "vector": vecs[i]}
        for i, s in enumerate(spans)
    ]
    seg_rows = [
        {**keys, "segment_idx": i, "start_s": s.start_s, "end_s": s.end_s, "text": s.text,
         "language": transcript.language, "text_en": s.translation,
         "words": [{"word": w.word, "start_s": w.start_s, "end_s": w.end_s, "prob": w.prob} for w in s.words],
         "avg_logprob": s.avg_logprob, "no_speech_prob": s.no_speech_prob, "vector": vecs[len(spans) + i]}
        for i, s in enumerate(segments)
    ]
    dim = models.text.dim
    text_spec = {"vector": models.text.spec()}
    store.add(store.ensure_table(S.OCR_SPANS, S.ocr_spans_schema(dim), text_spec), ocr_rows)
    store.add(store.ensure_table(S.SEGMENTS, S.segments_schema(dim), text_spec), seg_rows)
    timings["text"] = timings.get("text", 0.0) + time.perf_counter() - t

    counts = {
        **visual["counts"],
        "frames_decoded": visual["frames_decoded"],
        "ocr_spans": len(ocr_rows),
        "segments": len(seg_rows),
    }
    resumed = f"resumed after {', '.join(sorted(task.done))}" if task.done else ""
    if damaged := visual.get("damaged_s"):
        warnings.insert(0, f"damaged video skipped: {len(damaged)} packets between {min(damaged):.1f}s and "
                           f"{max(damaged):.1f}s")
    note = "; ".join([resumed] * bool(resumed) + [f"warning: {w}" for w in warnings])
    return FileOutcome(path, "ingested", note, task.video_id, info.duration_s, stage_seconds=timings, counts=counts,
                       language=transcript.language if transcript else None,
                       language_prob=transcript.language_prob if transcript else None)


def _check_decoded(path: Path, info: VideoInfo, visual: dict) -> None:
    if not info.has_video:
        return
    if visual["frames_decoded"] == 0:
        raise BadVideoError(path, "no video frame could be decoded")
    # A stream that stops well before its stated length was cut off: indexing half of it would hide that.
    expected = info.video_duration_s or info.duration_s
    if visual["last_t_s"] < expected * 0.9 - 1.0:
        raise BadVideoError(path, f"truncated or corrupt: video ends at {visual['last_t_s']:.1f}s of {expected:.1f}s")


def _transcript(d: dict) -> Transcript:
    return Transcript(
        language=d["language"], language_prob=d["language_prob"],
        segments=[TranscriptSegment(**{**s, "words": [Word(**w) for w in s["words"]]}) for s in d["segments"]],
    )


def _visual_lane(path, info, keys, store, models, config, stats, ocr_frames, timings, bar) -> dict[str, int]:
    """Decode, pick keyframes, OCR and encode them in batches, writing keyframe and region rows."""
    dim = models.text.dim
    kf_table = store.ensure_table(
        S.KEYFRAMES, S.keyframes_schema(dim), {"label_vector": models.text.spec()}
    )
    reg_table = None
    if models.visual is not None:
        space = models.visual.spec()
        reg_table = store.ensure_table(
            S.regions_table_name(_space_name(space)), S.regions_schema(space.dim),
            {"vector": space},
        )
    clips = None
    if models.visual is not None and config.hico.enabled:
        clips = ClipWriter(store, S.clips_table_name(_space_name(space)), space, keys, config.hico)
    pending: list[Keyframe] = []
    n_keyframes = n_regions = 0
    prev_lines: list[OcrLine] = []

    def flush(batch: list[Keyframe], ends: list[float]) -> None:
        nonlocal n_keyframes, n_regions, prev_lines
        t = time.perf_counter()
        lines_per: list[list[OcrLine]] = []
        for kf in batch:
            if models.ocr is None:
                lines_per.append([])
            elif kf.reason == "gap" and kf.change < 2.0:
                lines_per.append(prev_lines)  # the same picture as the last keyframe: same text
            else:
                lines_per.append(models.ocr.read(kf.image))
            prev_lines = lines_per[-1]
        timings["ocr"] = timings.get("ocr", 0.0) + time.perf_counter() - t
        for kf, end, lines in zip(batch, ends, lines_per):
            ocr_frames.append((kf.t_s, end, lines))
        t = time.perf_counter()
        encs: list[ImageEncoding | None] = [None] * len(batch)
        if models.visual is not None:
            encs = models.visual.encode_batch(
                [kf.image for kf in batch], [[ln.bbox_xyxy for ln in lines] for lines in lines_per]
            )
        timings["visual"] = timings.get("visual", 0.0) + time.perf_counter() - t
        if clips is not None:
            clips.add([(kf.t_s, end, kf.shot_idx) for kf, end in zip(batch, ends)], encs)
        t = time.perf_counter()
        label_texts = [_labels(enc) if enc is not None else None for enc in encs]
        to_embed = [lt for lt in label_texts if lt]
        label_vecs = iter(models.text.embed_texts([_label_words(lt) for lt in to_embed]))
        kf_rows, reg_rows = [], []
        for kf, end, enc, lt in zip(batch, ends, encs, label_texts):
            span = {"frame_idx": kf.frame_idx, "t_s": kf.t_s, "start_s": kf.t_s, "end_s": end}
            kf_rows.append(
                {**keys, **span, "shot_idx": kf.shot_idx, "reason": kf.reason, "labels": lt or None,
                 "label_vector": next(label_vecs) if lt else None, "image_jpeg": _thumb(kf, config.thumb_max_side)}
            )
            if enc is None:
                continue
            reg_rows.append({**keys, **span, "region_idx": 0, "kind": "frame", "bbox_xyxy": [0.0, 0.0, 1.0, 1.0],
                             "labels": _fmt(enc.frame_labels), "vector": enc.frame_vector})
            for r, (box, kind, vec) in enumerate(zip(enc.region_boxes, enc.region_kinds, enc.region_vectors)):
                labels = _fmt(enc.region_labels[r]) if enc.region_labels else None
                reg_rows.append({**keys, **span, "region_idx": r + 1, "kind": kind, "bbox_xyxy": list(box),
                                 "labels": labels, "vector": vec})
        store.add(kf_table, kf_rows)
        if reg_table is not None:
            store.add(reg_table, reg_rows)
        timings["write"] = timings.get("write", 0.0) + time.perf_counter() - t
        n_keyframes += len(kf_rows)
        n_regions += len(reg_rows)

    t_lane = time.perf_counter()
    busy = ("ocr", "visual", "write")
    # Decoding runs ahead in its own thread (PyAV releases the GIL), at most two batches ahead of OCR and
    # encoding: the lane's stages overlap and memory stays bounded however long the video.
    for kf in prefetch(iter_keyframes(path, config.keyframes, stats), 2 * config.batch_size):
        bar.update(int(kf.t_s) - bar.n)
        pending.append(kf)
        if len(pending) > config.batch_size:  # the next keyframe's time closes the batch's last span
            batch, pending = pending[: config.batch_size], pending[config.batch_size :]
            flush(batch, [k.t_s for k in batch[1:]] + [pending[0].t_s])
    if pending:
        flush(pending, [k.t_s for k in pending[1:]] + [max(info.duration_s, pending[-1].t_s)])
    clip_counts = clips.finish() if clips is not None else {}
    if clips is not None:
        timings["hico"] = clips.seconds
    # What the lane spent outside OCR, encoding, compressing and writing: waiting on decoding and keyframes.
    timings["decode"] = time.perf_counter() - t_lane - sum(timings.get(k, 0.0) for k in (*busy, "hico"))
    bar.update(bar.total - bar.n)
    return {"keyframes": n_keyframes, "regions": n_regions, "frames_analysed": stats.frames_analysed,
            "shots": stats.shots, **clip_counts}


def prefetch(items: Iterator[T], maxsize: int) -> Iterator[T]:
    """Yield from ``items``, produced in a thread at most ``maxsize`` ahead (a bounded queue); an error
    there is raised here, and stopping early stops the producer and closes ``items``."""
    q: queue.Queue = queue.Queue(maxsize)
    stop = threading.Event()
    end = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for x in items:
                if not put((None, x)):
                    break
            else:
                put((None, end))
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            put((e, None))
        finally:
            close = getattr(items, "close", None)
            if close:
                close()

    t = threading.Thread(target=produce, name="decode", daemon=True)
    t.start()
    try:
        while True:
            err, x = q.get()
            if err is not None:
                raise err
            if x is end:
                return
            yield x
    finally:
        stop.set()
        t.join()


def prepare_tables(store: Store, models: Models) -> None:
    """Create the tables a worker writes, so parallel workers never race to create one."""
    dim = models.text.dim
    text_spec = {"vector": models.text.spec()}
    store.ensure_table(S.KEYFRAMES, S.keyframes_schema(dim), {"label_vector": models.text.spec()})
    store.ensure_table(S.OCR_SPANS, S.ocr_spans_schema(dim), text_spec)
    store.ensure_table(S.SEGMENTS, S.segments_schema(dim), text_spec)
    if models.visual is not None:
        space = models.visual.spec()
        store.ensure_table(S.regions_table_name(_space_name(space)), S.regions_schema(space.dim), {"vector": space})


def visual_tables(store: Store) -> list[str]:
    """The tables the visual stage writes: keyframes, every regions table and every clips table."""
    return [S.KEYFRAMES, *store.regions_tables(), *store.clips_tables()]


def limit_torch_threads(n: int) -> None:
    import torch

    # The speech lane runs beside this one; torch's default of one thread per core would oversubscribe.
    if torch.get_num_threads() > n:
        torch.set_num_threads(n)


def _space_name(spec: S.EmbedderSpec) -> str:
    model = Path(spec.model_id).name
    return spec.name if model == spec.name else f"{spec.name}_{model}"


def _labels(enc: ImageEncoding) -> str:
    """A keyframe's visual labels: the frame's, plus confident region labels, best first, with scores."""
    if enc.frame_labels is None:
        return ""
    best: dict[str, float] = {}
    for label, score in enc.frame_labels:
        best[label] = max(best.get(label, 0.0), score)
    for labels in enc.region_labels or []:
        for label, score in labels:
            if score >= LABEL_MIN_SCORE_REGION:
                best[label] = max(best.get(label, 0.0), score)
    top = sorted(best.items(), key=lambda kv: -kv[1])[:MAX_LABELS]
    return _fmt(top) or ""


def _fmt(labels: list[tuple[str, float]] | None) -> str | None:
    return "; ".join(f"{name} ({score:.2f})" for name, score in labels) if labels else None


def _label_words(text: str) -> str:
    # "tabby, tabby cat (0.41); tiger cat (0.20)" -> "tabby, tabby cat; tiger cat" for the text embedder
    return "; ".join(part.rsplit(" (", 1)[0] for part in text.split("; "))


def _thumb(kf: Keyframe, max_side: int) -> bytes:
    im = kf.image.copy()
    im.thumbnail((max_side, max_side))
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=80)
    return buf.getvalue()
