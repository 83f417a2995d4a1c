"""``videokb serve``: the web page and JSON API over an index, from one process."""

from __future__ import annotations

import click

from videokb.cli_common import backend_option, db_option, device_option
from videokb.config import default_db


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs $VIDEOKB_API_TOKEN.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@device_option
@backend_option("--answerer", kind="answerer", default="gemma-270m", show_default=True,
                lead="Answering model for questions (as for `videokb ask`).")
@click.option("--llm-url", default=None, help="Server URL, for answerers whose config takes one.")
@click.option("--llm-model", default=None, help="Model name on that server, or a hub id / folder.")
@click.option("-o", "--option", "answerer_options", multiple=True, metavar="KEY=VALUE",
              help="An answerer option (`videokb backends --kind answerer --options`); repeatable.")
@click.option("--allow-ingest", is_flag=True, help="Let API callers ingest server-side folders from the page.")
def serve(db, host, port, device, answerer, llm_url, llm_model, answerer_options, allow_ingest):
    """Serve the web page and JSON API (OpenAPI docs at /docs): search, watch the moment, ask.

    The models and tables stay open, so searches after the first are fast. On an address other than
    loopback it refuses to start unless $VIDEOKB_API_TOKEN holds a secret, which every API call must then send.

    \b
    videokb serve                      # http://127.0.0.1:8000
    videokb serve --db ./kb --port 8080
    VIDEOKB_API_TOKEN=$(python -c 'import secrets; print(secrets.token_urlsafe())') videokb serve --host 0.0.0.0
    """
    import uvicorn

    from videokb.index.backends import BackendError, get_backend
    from videokb.server import ServeConfig, ServeConfigError, create_app

    backend = get_backend("answerer", answerer)
    try:
        # As `videokb ask` does: shared flags fill the fields the answerer's config declares; -o wins.
        options = {**backend.options_from({"llm_url": llm_url, "llm_model": llm_model, "device": device}),
                   **backend.parse_options(answerer_options)}
        config = ServeConfig(db=db or default_db(), host=host, port=port, allow_ingest=allow_ingest,
                             device=device or "auto", answerer=answerer, answerer_options=options)
    except (ServeConfigError, BackendError) as e:
        raise click.UsageError(str(e)) from e
    app = create_app(config)
    click.echo(f"serving {config.db} on http://{host}:{port} (API docs at /docs; Ctrl-C stops)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
