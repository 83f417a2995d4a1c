"""``videokb export`` and ``videokb mcp``: the index handed to other tools (players, scripts, assistants)."""

from __future__ import annotations

from pathlib import Path

import click

from videokb.cli_common import db_option, device_option


def _kb(db: Path | None, device: str | None = None):
    import videokb

    return videokb.open(db, device=device or "auto")


@click.command()
@click.argument("video", required=False)
@db_option
@click.option("--format", "fmt", type=click.Choice(["srt", "vtt", "json", "jsonl"]), default="srt",
              show_default=True, help="srt/vtt: the transcript as subtitles; json: transcript, on-screen text "
                                      "and every event; jsonl: that JSON on one line per video.")
@click.option("--all", "everything", is_flag=True, help="Every indexed video, one JSON line each (--format jsonl).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of stdout.")
def export(video, db, fmt, everything, output):
    """Export VIDEO (an id, id prefix or unique part of its path) from the index.

    \b
    videokb export bakery --format srt -o bakery.srt
    ffmpeg -i bakery.mp4 -i bakery.srt -c copy -c:s mov_text bakery_subtitled.mp4
    videokb export bakery --format json
    videokb export --all --format jsonl > library.jsonl
    """
    from videokb.errors import VideokbError
    from videokb.export import export_library, export_video

    if everything == (video is not None):
        raise click.UsageError("give a VIDEO or --all (one of them)")
    if everything and fmt != "jsonl":
        raise click.UsageError("--all writes one JSON object per video: use --format jsonl")
    kb = _kb(db)
    try:
        chunks = export_library(kb) if everything else iter([export_video(kb, video, fmt)])
        out = open(output, "w", encoding="utf-8") if output else None
        try:
            for chunk in chunks:
                click.echo(chunk, nl=False, file=out)
        finally:
            if out is not None:
                out.close()
    except VideokbError as e:
        raise click.ClickException(str(e)) from e
    except OSError as e:
        raise click.ClickException(f"{output}: cannot write ({e.strerror})") from e


@click.command()
@db_option
@device_option
def mcp(db, device):
    """Serve the index to an AI assistant over MCP (stdio): tools search, ask, list_videos,
    get_transcript and get_frame. Needs `pip install 'videokb[mcp]'`.

    \b
    Claude Desktop (claude_desktop_config.json):
      {"mcpServers": {"videokb": {"command": "videokb", "args": ["mcp", "--db", "/home/me/kb"]}}}
    """
    try:
        from videokb.mcp_server import serve
    except ImportError as e:
        raise click.ClickException(str(e)) from e
    serve(_kb(db, device))
