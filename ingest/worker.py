"""One video -> its rows: the work a worker does, in stages the journal can resume.

Stages: ``visual`` (decode, keyframes, OCR, image embeddings; writes keyframe and region rows, see
:mod:`ingest.visual`) and ``asr`` (speech, in a thread beside it) each end with a checkpoint that stores what
later stages need (OCR lines per keyframe, the transcript) in the journal; ``text`` then embeds OCR spans and
transcript segments and writes them. A worker only appends rows under the attempt's ``ingest_id``; the driver
(``ingest.pipeline``) decides what to redo, commits the video and deletes rows, so writers never race on deletes.
"""

from __future__ import annotations

import logging
import math
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from videokb.index.store import Store
from videokb.ingest import rows as R
from videokb.ingest.asr import Transcript, TranscriptSegment, Word
from videokb.ingest.errors import BadVideoError
from videokb.ingest.lanes import start_lane
from videokb.ingest.models import Models, lane_threads
from videokb.ingest.ocr import OcrLine, SpanMerger
from videokb.ingest.probe import VideoInfo
from videokb.ingest.task import Checkpoint, FileOutcome, IngestConfig, VideoTask
from videokb.ingest.visual import VisualLane

__all__ = ["load_models", "process_video"]

logger = logging.getLogger(__name__)


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
    if load_s := load_models(models):
        timings["load_models"] = load_s  # paid by the first video of a process only; not a stage of this one

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
                lane = VisualLane(store, models, config, keys, timings)
                bar = tqdm(total=math.ceil(info.duration_s), unit="s", desc=path.name[:30], leave=False,
                           disable=not progress)
                with bar:
                    counts = _run_visual(lane, path, info, bar, config, asr_future is not None)
                visual = {
                    "ocr_frames": [[s, e, [[ln.text, list(ln.bbox_xyxy), ln.score] for ln in lines]]
                                   for s, e, lines in lane.ocr_frames],
                    "counts": counts, "frames_decoded": lane.stats.frames_decoded, "last_t_s": lane.stats.last_t_s,
                    "damaged_s": lane.stats.damaged_s,
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

    n_spans, n_segments = _text_stage(store, models, keys, visual["ocr_frames"], transcript, timings)

    counts = {
        **visual["counts"],
        "frames_decoded": visual["frames_decoded"],
        "ocr_spans": n_spans,
        "segments": n_segments,
    }
    resumed = f"resumed after {', '.join(sorted(task.done))}" if task.done else ""
    if damaged := visual.get("damaged_s"):
        warnings.insert(0, f"damaged video skipped: {len(damaged)} packets between {min(damaged):.1f}s and "
                           f"{max(damaged):.1f}s")
    note = "; ".join([resumed] * bool(resumed) + [f"warning: {w}" for w in warnings])
    return FileOutcome(path, "ingested", note, task.video_id, info.duration_s, stage_seconds=timings, counts=counts,
                       language=transcript.language if transcript else None,
                       language_prob=transcript.language_prob if transcript else None)


def _run_visual(lane: VisualLane, path: Path, info: VideoInfo, bar: tqdm, config: IngestConfig,
                beside_speech: bool) -> dict[str, int]:
    """The visual lane; beside speech, in a thread of its own below speech's priority (see ingest.lanes)."""
    if not beside_speech:
        return lane.run(path, info, bar)
    future = start_lane(lambda: lane.run(path, info, bar), name="visual", nice=config.visual_nice,
                        threads=lane_threads(config.models))
    try:
        return future.result()
    except BaseException:
        if not future.done():  # interrupted here (Ctrl-C): stop the lane before its rows go on
            lane.cancel.set()
            wait([future])
        raise


def _text_stage(store: Store, models: Models, keys: dict, ocr_frames: list, transcript: Transcript | None,
                timings: dict[str, float]) -> tuple[int, int]:
    """Merge OCR lines into spans, embed spans and transcript segments, write both; returns their counts."""
    t = time.perf_counter()
    merger = SpanMerger()
    for start, end, lines in ocr_frames:
        merger.add(start, end, [OcrLine(text, tuple(box), score) for text, box, score in lines])
    spans = merger.finish()
    segments = transcript.segments if transcript else []
    vecs = models.text.embed_texts([s.text for s in spans] + [s.text for s in segments])
    ocr_rows = R.ocr_span_rows(keys, spans, vecs)
    seg_rows = R.segment_rows(keys, transcript, vecs[len(spans):])
    timings["embed"] = timings.get("embed", 0.0) + time.perf_counter() - t
    t = time.perf_counter()
    ocr_table, seg_table = R.text_tables(store, models)
    store.add(ocr_table, ocr_rows)
    store.add(seg_table, seg_rows)
    timings["write"] = timings.get("write", 0.0) + time.perf_counter() - t
    return len(ocr_rows), len(seg_rows)


# The Models this process has loaded, by id; the weak reference tells a reused id from the same object
# (Models is an unhashable dataclass, so no WeakSet).
_loaded: dict[int, weakref.ref] = {}


def load_models(models: Models) -> float:
    """Load every model of ``models`` (once per process); returns the seconds it took, 0 if already loaded.

    Weights load on first use; doing it before the first video keeps load time out of the stage times.
    """
    if (ref := _loaded.get(id(models))) is not None and ref() is models:
        return 0.0
    from PIL import Image

    t = time.perf_counter()
    img = Image.new("RGB", (64, 64), "white")
    models.text.embed_texts(["load"])
    if models.visual is not None:
        models.visual.encode_batch([img], [[]])
    if models.ocr is not None and models.ocr.reads_regions:  # as the visual lane will use it
        models.ocr.detect(img)
        models.ocr.read_crops([np.full((32, 96, 3), 255, dtype=np.uint8)])
    elif models.ocr is not None:
        models.ocr.read(img)
    if models.asr is not None and hasattr(models.asr, "model"):
        models.asr.model()
    _loaded[id(models)] = weakref.ref(models)
    return time.perf_counter() - t


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
