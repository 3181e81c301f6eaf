"""Fake servers of every source kind, faithful to the real APIs' shapes and quirks.

Each module `reel.testing.fakes.<kind>` provides:
- `add_arguments(parser)`: its size and fault options for the command line;
- `create(args) -> FakeServer`: the ASGI app plus the sign-in facts to print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = ("xtream", "m3u", "jellyfin", "plex", "tmdb")


@dataclass
class FakeServer:
    """An ASGI app and what a client needs to sign in (printed as the first stdout line)."""

    app: Any
    credentials: dict[str, Any] = field(default_factory=dict)
