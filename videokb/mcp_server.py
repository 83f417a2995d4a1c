"""``videokb mcp``: the index as an MCP server (stdio), so an assistant can search and cite a video library.

Tools: ``search``, ``ask``, ``list_videos``, ``get_transcript(video_id, start_s, end_s)`` and
``get_frame(video_id, t_s)`` (a JPEG). Built on the official SDK (``mcp`` 2.x, ``MCPServer``); every tool
calls :class:`videokb.api.KnowledgeBase`, and a videokb error comes back to the client as a tool error
with its message. stdout carries the protocol: logs go to stderr. Needs ``pip install 'videokb[mcp]'``.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from videokb.api import MODALITIES, KnowledgeBase
from videokb.errors import VideokbError

try:
    from mcp.server.mcpserver import Image, MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
except ImportError as e:  # pragma: no cover - depends on the install
    raise ImportError(f"videokb mcp needs the MCP SDK: pip install 'videokb[mcp]' ({e})") from e

logger = logging.getLogger(__name__)

INSTRUCTIONS = (
    "Search a local video library by what was said, what was written on screen and what was shown. "
    "Results are moments: a video and a start/end time in seconds. Cite them as the video's file name "
    "and mm:ss. get_transcript and get_frame read a moment more closely; ask answers a question with "
    "checked citations."
)


def _tool_errors(fn):
    """Turn videokb's own errors into MCP tool errors (the client reads the message); anything else is
    a crash the SDK reports as one."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except VideokbError as e:
            raise ToolError(str(e)) from e

    return wrapper


def build_server(kb: KnowledgeBase, *, frame_max_side: int = 1024) -> MCPServer:
    """An MCP server whose tools read ``kb``."""
    server = MCPServer("videokb", instructions=INSTRUCTIONS)

    @server.tool()
    @_tool_errors
    def search(query: str, k: int = 5, modalities: list[str] | None = None,
               video: str | None = None) -> list[dict[str, Any]]:
        """Find the moments of the video library that match a query, best first.

        query: plain language ("when does the bakery open") or words shown on screen.
        k: how many moments. modalities: any of speech, ocr, visual (default all).
        video: only the video whose id, id prefix or file-name part this is.
        """
        moments = kb.search(query, k=k, modalities=modalities or MODALITIES, videos=[video] if video else None)
        return [{"video_id": m.video_id, "video_path": m.video_path, "start_s": round(m.start_s, 3),
                 "end_s": round(m.end_s, 3), "score": round(m.score, 6), "modalities": m.modalities,
                 "evidence": m.evidence} for m in moments]

    @server.tool()
    @_tool_errors
    def ask(question: str) -> dict[str, Any]:
        """Answer a question from the library with the local model; every citation is checked against the
        moment it names, and an answer nothing supports is "not found in the archive"."""
        result = kb.ask(question).to_json()
        return {k: result[k] for k in ("question", "answer", "found", "partly_unsupported", "citations")}

    @server.tool()
    @_tool_errors
    def list_videos() -> list[dict[str, Any]]:
        """The indexed videos: id, file path, duration in seconds, spoken language, keyframes."""
        return [{"video_id": v.video_id, "video_path": v.video_path, "duration_s": v.duration_s,
                 "language": v.language, "width": v.width, "height": v.height, "n_keyframes": v.n_keyframes}
                for v in kb.videos()]

    @server.tool()
    @_tool_errors
    def get_transcript(video_id: str, start_s: float = 0.0, end_s: float | None = None) -> list[dict[str, Any]]:
        """What was said in a video between start_s and end_s (seconds; default: all of it), as timed
        segments. video_id may also be an id prefix or a unique part of the file path."""
        return [{"start_s": round(e.start_s, 3), "end_s": round(e.end_s, 3), "text": e.text}
                for e in kb.transcript(video_id, start_s, end_s)]

    @server.tool()
    @_tool_errors
    def get_frame(video_id: str, t_s: float) -> Image:
        """The frame of a video shown at t_s seconds, as a JPEG image (at most 1024 px on its long side)."""
        img = kb.frame(video_id, t_s)
        img.thumbnail((frame_max_side, frame_max_side))
        buf = io.BytesIO()
        img.convert("RGB").save(buf, "JPEG", quality=85)
        return Image(data=buf.getvalue(), format="jpeg")

    return server


def serve(kb: KnowledgeBase) -> None:
    """Serve ``kb`` over stdio until the client closes the connection."""
    logger.info("serving %s over MCP (stdio)", kb.uri)
    build_server(kb).run("stdio")


__all__ = ["build_server", "serve"]
