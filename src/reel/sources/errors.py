"""Neutral errors every adapter raises, so the engine can turn them into source states.

Cannot connect → the source goes `offline` (retry later); bad credentials → `needs sign-in`;
a malformed payload → the sync fails with a message that names the call.
"""

from __future__ import annotations


class SourceError(Exception):
    """Base of every error an adapter raises; its message is shown to people as is."""


class CannotConnect(SourceError):
    """The server could not be reached or kept failing (timeouts, resets, 5xx)."""


class InvalidAuth(SourceError):
    """The server refused our credentials or token; retrying will not help."""


class BadResponse(SourceError):
    """The server answered with something we cannot use (HTML, truncated JSON, wrong shape)."""
