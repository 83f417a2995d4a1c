"""``videokb serve``: the web page and JSON API over an index, from one process."""

from __future__ import annotations

import click

from videokb.cli_common import db_option, device_option
from videokb.config import default_db


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs $VIDEOKB_API_TOKEN.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@device_option
@click.option("--answerer", default="gemma-270m", show_default=True, help="Answerer for questions (as for ask).")
@click.option("--llm-url", default=None, help="Server URL for openai-compatible / ollama.")
@click.option("--llm-model", default=None, help="Model name on that server, or the VLM's hub id / folder.")
@click.option("--allow-ingest", is_flag=True, help="Let API callers ingest server-side folders from the page.")
def serve(db, host, port, device, answerer, llm_url, llm_model, allow_ingest):
    """Serve the web page and JSON API (OpenAPI docs at /docs): search, watch the moment, ask.

    The models and tables stay open, so searches after the first are fast. On an address other than
    loopback it refuses to start unless $VIDEOKB_API_TOKEN holds a secret, which every API call must then send.

    \b
    videokb serve                      # http://127.0.0.1:8000
    videokb serve --db ./kb --port 8080
    VIDEOKB_API_TOKEN=$(python -c 'import secrets; print(secrets.token_urlsafe())') videokb serve --host 0.0.0.0
    """
    import uvicorn

    from videokb.config import cache_dir
    from videokb.server import ServeConfig, ServeConfigError, create_app

    options: dict = {}
    if answerer in ("openai-compatible", "ollama"):
        options = {"url": llm_url, "model": llm_model}
    elif answerer == "transformers-vlm":
        options = {"device": device or "auto", **({"model_id": llm_model} if llm_model else {})}
    elif answerer == "gemma-270m":
        options = {"cache_dir": cache_dir() / "models"}
    try:
        config = ServeConfig(db=db or default_db(), host=host, port=port, allow_ingest=allow_ingest,
                             device=device or "auto", answerer=answerer, answerer_options=options)
    except ServeConfigError as e:
        raise click.UsageError(str(e)) from e
    app = create_app(config)
    click.echo(f"serving {config.db} on http://{host}:{port} (API docs at /docs; Ctrl-C stops)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
