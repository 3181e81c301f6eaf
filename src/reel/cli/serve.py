"""`reel serve`: the web app (API, WebSocket and UI) on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from reel.cli.context import app_context


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_cmd(
        ctx: typer.Context,
        host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[
            int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")
        ] = 8787,
    ) -> None:
        """Serve the web UI and the API until interrupted."""
        import uvicorn

        from reel.web import create_app

        actx = app_context(ctx)
        web_app = create_app(actx.settings, actx.db)
        actx.err.print(f"Reel is serving on http://{host}:{port}/")
        # proxy_headers: behind a TLS-terminating proxy, cookies become Secure.
        uvicorn.run(
            web_app,
            host=host,
            port=port,
            proxy_headers=True,
            log_level="debug" if actx.settings.debug else "warning",
        )
