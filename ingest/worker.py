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
import threading
import time
import weakref
from concurrent.futures import Future, wait
from dataclasses import asdict
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from videokb.index.store import Store
from videokb.ingest import rows as R
from videokb.ingest.asr import Transcript, TranscriptSegment, Word
from videokb.ingest.errors import BadVideoError
from videokb.ingest.lanes import Lane
from videokb.ingest.models import Models, lane_threads
from videokb.ingest.ocr import OcrLine, SpanMerger
from videokb.ingest.probe import VideoInfo
from videokb.ingest.task import Checkpoint, FileOutcome, IngestConfig, VideoTask
from videokb.ingest.visual import VisualLane

__all__ = ["Lanes", "VideoJob", "load_models", "process_video"]

logger = logging.getLogger(__name__)


class Lanes:
    """The two lanes a process's videos share: speech, and the visual lane (below speech's priority, within
    its thread budget; see :mod:`ingest.lanes`). Each works on one video at a time, in the order the videos
    were started, so one video's visual lane runs beside the next one's speech."""

    def __init__(self, config: IngestConfig) -> None:
        self.speech = Lane("speech")
        self.visual = Lane("visual", nice=config.visual_nice, threads=lane_threads(config.models))

    def close(self) -> None:
        self.visual.close()
        self.speech.close()


def process_video(task: VideoTask, store: Store, models: Models, config: IngestConfig, *,
                  checkpoint: Checkpoint | None = None, progress: bool = False) -> FileOutcome:
    """Run the stages of ``task`` not done yet; raise BadVideoError if the file turns out to be unusable."""
    lanes = Lanes(config)
    try:
        return VideoJob(task, store, models, config, lanes, checkpoint=checkpoint, progress=progress).outcome()
    finally:
        lanes.close()


class VideoJob:
    """One video's stages not done yet. Made, it has queued its speech and its visual stage on ``lanes``
    (with ``config.parallel_lanes`` off they run one after the other in :meth:`outcome` instead);
    :meth:`outcome` waits for both, runs the text stage and returns what happened. A video with no audio
    never waits for the speech lane, and its visual stage can run while an earlier video's speech does."""

    def __init__(self, task: VideoTask, store: Store, models: Models, config: IngestConfig, lanes: Lanes, *,
                 checkpoint: Checkpoint | None = None, progress: bool = False) -> None:
        self.task, self.store, self.models, self.config = task, store, models, config
        self.started_at = time.perf_counter()
        self.timings: dict[str, float] = {}
        self.keys = {"video_id": task.video_id, "ingest_id": task.ingest_id}
        self.warnings: list[str] = []  # what was skipped: the video is indexed without it (issue 17)
        self._checkpoint = checkpoint or (lambda stage, payload: None)
        self._progress = progress
        self._cancel = threading.Event()  # stops the visual lane at its next keyframe
        if load_s := load_models(models, spare_threads=config.parallel_lanes and config.spare_threads):
            self.timings["load_models"] = load_s  # paid by the first video of a process only
        info = task.info
        self._speech = "asr" not in task.done and models.asr is not None and info.has_audio
        self._visual = "visual" not in task.done
        self._futures: list[Future] = []
        self._asr_future = self._visual_future = None
        # Speech may take the visual lane's threads while that lane and the text stage (which embeds on the
        # worker's own thread) leave them idle.
        self._spare = ((lambda: lanes.visual.idle() and not models.text_lock.locked())
                       if config.parallel_lanes and config.spare_threads else None)
        # ... and the visual lane may take the speech lane's threads while that lane is idle.
        self._speech_idle = lanes.speech.idle if config.parallel_lanes and config.visual_spare_threads else None
        if config.parallel_lanes:
            # The visual stage is queued first: speech, started a moment earlier, would find the visual lane idle.
            if self._visual:
                self._visual_future = lanes.visual.submit(self._run_visual)
            if self._speech:
                self._asr_future = lanes.speech.submit(self._run_asr)
            self._futures = [f for f in (self._visual_future, self._asr_future) if f is not None]

    def outcome(self) -> FileOutcome:
        task = self.task
        try:
            visual, transcript = self._lanes_done()
        except BaseException as e:
            self.stop()
            if isinstance(e, OSError) and not task.path.exists():
                raise BadVideoError(task.path, "file vanished during ingest") from e
            raise
        n_spans, n_segments = _text_stage(self.store, self.models, self.keys, visual["ocr_frames"], transcript,
                                          self.timings)
        counts = {**visual["counts"], "frames_decoded": visual["frames_decoded"], "ocr_spans": n_spans,
                  "segments": n_segments}
        resumed = f"resumed after {', '.join(sorted(task.done))}" if task.done else ""
        warnings = list(self.warnings)
        if damaged := visual.get("damaged_s"):
            warnings.insert(0, f"damaged video skipped: {len(damaged)} packets between {min(damaged):.1f}s and "
                               f"{max(damaged):.1f}s")
        note = "; ".join([resumed] * bool(resumed) + [f"warning: {w}" for w in warnings])
        return FileOutcome(task.path, "ingested", note, task.video_id, task.info.duration_s,
                           seconds=time.perf_counter() - self.started_at, started_at=self.started_at,
                           stage_seconds=self.timings, counts=counts,
                           language=transcript.language if transcript else None,
                           language_prob=transcript.language_prob if transcript else None,
                           language_check=transcript.language_check if transcript else None)

    def stop(self) -> None:
        """Stop the visual stage at its next keyframe, drop a stage not started, wait for a running one (so
        nothing of this attempt is written or checkpointed after it is reported)."""
        self._cancel.set()
        for f in self._futures:
            f.cancel()
        wait(self._futures)

    def _lanes_done(self) -> tuple[dict, Transcript | None]:
        done = self.task.done
        if self._visual_future is not None:
            visual = self._visual_future.result()
        else:
            visual = self._run_visual() if self._visual else done["visual"]
        if self._asr_future is not None:
            transcript = self._asr_future.result()
        elif self._speech:
            transcript = self._run_asr()  # after the visual lane: the other workers already take the other cores
        else:
            transcript = _transcript(done["asr"]) if "asr" in done else None
        return visual, transcript

    def _run_asr(self) -> Transcript | None:
        info, path = self.task.info, self.task.path
        t = time.perf_counter()
        try:
            transcript = self.models.asr.transcribe(path, spare=self._spare)
        except BadVideoError as e:
            if not info.has_video:
                raise
            self.warnings.append(f"speech not indexed: {e.reason}")  # a broken audio track; the picture is fine
            return None
        finally:
            self.timings["asr"] = time.perf_counter() - t
        self._checkpoint("asr", asdict(transcript))
        return transcript

    def _run_visual(self) -> dict:
        path, info = self.task.path, self.task.info
        visual = {"ocr_frames": [], "counts": {}, "frames_decoded": 0, "last_t_s": 0.0}
        if info.has_video:
            lane = VisualLane(self.store, self.models, self.config, self.keys, self.timings, cancel=self._cancel,
                              spare=self._speech_idle)
            bar = tqdm(total=math.ceil(info.duration_s), unit="s", desc=path.name[:30], leave=False,
                       disable=not self._progress)
            with bar:
                counts = lane.run(path, info, bar)
            visual = {
                "ocr_frames": [[s, e, [[ln.text, list(ln.bbox_xyxy), ln.score] for ln in lines]]
                               for s, e, lines in lane.ocr_frames],
                "counts": counts, "frames_decoded": lane.stats.frames_decoded, "last_t_s": lane.stats.last_t_s,
                "damaged_s": lane.stats.damaged_s,
            }
        _check_decoded(path, info, visual)
        self._checkpoint("visual", visual)
        return visual


def _text_stage(store: Store, models: Models, keys: dict, ocr_frames: list, transcript: Transcript | None,
                timings: dict[str, float]) -> tuple[int, int]:
    """Merge OCR lines into spans, embed spans and transcript segments, write both; returns their counts."""
    t = time.perf_counter()
    merger = SpanMerger()
    for start, end, lines in ocr_frames:
        merger.add(start, end, [OcrLine(text, tuple(box), score) for text, box, score in lines])
    spans = merger.finish()
    segments = transcript.segments if transcript else []
    with models.text_lock:
        vecs = models.text.embed_texts([s.text for s in spans] + [s.text for s in segments])
    ocr_rows = R.ocr_span_rows(keys, spans, vecs, transcript.language if transcript else None)
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


def load_models(models: Models, spare_threads: bool = False) -> float:
    """Load every model of ``models`` (once per process); returns the seconds it took, 0 if already loaded.
    ``spare_threads``: also the transcriber's copy for the visual lane's idle threads (Whisper base: +112 MB).

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
        if spare_threads and hasattr(models.asr, "wide_model"):
            models.asr.wide_model()
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
        language=d["language"], language_prob=d["language_prob"], language_check=d.get("language_check"),
        segments=[TranscriptSegment(**{**s, "words": [Word(**w) for w in s["words"]]}) for s in d["segments"]],
    )
