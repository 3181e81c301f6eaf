"""What a local source remembers between scans, so a rescan re-reads only what changed.

Per root: the scan index (paths, sizes, mtimes, stable file ids) and, per file, what its
name and its NFO said last time. The engine stores `ListingContext.state` as JSON in the
sources row and deep-copies it per sync, so the whole thing travels as one compressed
msgpack string: copying and saving a string is free, 50k nested dicts are not.
"""

from __future__ import annotations

import base64
import logging
import zlib
from typing import Any

import msgspec

from reel.metadata.nfo import Nfo
from reel.metadata.recognize import Recognition
from reel.sources.local.index import RootIndex

log = logging.getLogger(__name__)

STATE_KEY = "local"
VERSION = 1


class NfoFacts(msgspec.Struct, frozen=True):
    """One NFO as last read. `sig` is "path@mtime"; `own` marks a file Reel wrote."""

    sig: str
    docs: tuple[Nfo, ...] = ()
    own: bool = False
    error: str | None = None


class FileFacts(msgspec.Struct, frozen=True):
    """What a file's path and sidecar NFO said when it had this path, size and mtime."""

    path: str
    size: int
    mtime_ns: int
    recognition: Recognition
    nfo: NfoFacts | None = None
    phash: str | None = None


class RootState(msgspec.Struct):
    index: RootIndex
    files: dict[str, FileFacts] = msgspec.field(default_factory=dict)  # by file_id
    shows: dict[str, NfoFacts] = msgspec.field(default_factory=dict)  # tvshow.nfo by folder


class SourceState(msgspec.Struct):
    version: int = VERSION
    roots: dict[str, RootState] = msgspec.field(default_factory=dict)
    anchors: list[str] = msgspec.field(default_factory=list)  # movie remote ids last listed


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(SourceState)


def load(state: dict[str, Any]) -> SourceState:
    """The remembered state, or a fresh one when absent, unreadable or from another version."""
    blob = state.get(STATE_KEY)
    if not isinstance(blob, str):
        return SourceState()
    try:
        decoded = _decoder.decode(zlib.decompress(base64.b64decode(blob)))
    except (ValueError, zlib.error, msgspec.DecodeError):
        log.warning("local scan state unreadable; the next scan reads every file again")
        return SourceState()
    return decoded if decoded.version == VERSION else SourceState()


def save(state: dict[str, Any], value: SourceState) -> None:
    """Store `value` in the engine's state dict (saved only if the sync succeeds)."""
    packed = zlib.compress(_encoder.encode(value), 1)
    state[STATE_KEY] = base64.b64encode(packed).decode("ascii")
