"""The web server: JSON API under /api, live events at /ws, the browser UI at /."""

from __future__ import annotations

from reel.web.app import create_app

__all__ = ["create_app"]
