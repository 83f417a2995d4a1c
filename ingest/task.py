"""What a worker is given and what it hands back: the ingest config, one video's task, its outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from videokb.ingest.hico import HicoOptions
from videokb.ingest.keyframes import KeyframeOptions
from videokb.ingest.models import ModelConfig
from videokb.ingest.probe import VideoInfo

__all__ = ["Checkpoint", "FileOutcome", "IngestConfig", "VideoTask"]

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
    # Beside speech, the visual lane's threads run this much nicer (Linux): speech keeps its core, the
    # visual lane takes what speech leaves (ingest.lanes). 0: the same priority.
    visual_nice: int = 10
    # While the visual lane (and the text stage) are idle, speech runs on their threads too: a second copy of
    # Whisper on twice the lane's threads (ingest.asr.SpareThreads), the same transcript.
    spare_threads: bool = True
    # ... and while the speech lane is idle, the visual lane encodes on its threads too (ingest.lanes.widened).
    visual_spare_threads: bool = True

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if not 0 <= self.visual_nice <= 19:
            raise ValueError(f"visual_nice must be 0..19, not {self.visual_nice}")


@dataclass
class FileOutcome:
    path: Path
    status: str  # "ingested" | "skipped" | "failed" | "ignored" | "removed"
    reason: str = ""
    video_id: str | None = None
    duration_s: float | None = None
    seconds: float = 0.0  # from the video's start to its outcome (videos in flight together overlap)
    started_at: float | None = None  # time.perf_counter() of the process that worked on it, at its start
    stage_seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    language: str | None = None
    language_prob: float | None = None
    language_check: dict | None = None  # see ingest.asr.Transcript.language_check


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
