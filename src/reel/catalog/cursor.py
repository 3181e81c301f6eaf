"""Opaque keyset cursors: base64url of a small JSON array bound to the query's sort.

A cursor from another sort (or a tampered one) is refused with a clear message instead of
silently returning a wrong page.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import msgspec

from reel.errors import InvalidInput

_VERSION = 1


def encode(signature: str, values: list[Any]) -> str:
    """A cursor for the row after which the next page starts."""
    raw = msgspec.json.encode([_VERSION, signature, *values])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode(cursor: str, signature: str, arity: int) -> list[Any]:
    """The values stored in `cursor`; InvalidInput when it is malformed or for another query."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = msgspec.json.decode(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeEncodeError, msgspec.DecodeError):
        raise InvalidInput("invalid cursor: pass the `next` value of a previous page") from None
    if (
        not isinstance(data, list)
        or len(data) != arity + 2
        or data[0] != _VERSION
        or data[1] != signature
    ):
        raise InvalidInput("cursor does not belong to this query (sort or filters changed)")
    return data[2:]
