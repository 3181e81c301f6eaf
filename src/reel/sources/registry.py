"""Which adapter class serves which source kind; imported lazily so one broken or slow
adapter import never stops the others."""

from __future__ import annotations

import importlib

from reel.sources.base import SourceAdapter, SourceConfig

ADAPTERS: dict[str, str] = {
    "xtream": "reel.sources.xtream.adapter:XtreamAdapter",
    "m3u": "reel.sources.m3u.adapter:M3uAdapter",
    "jellyfin": "reel.sources.jellyfin.adapter:JellyfinAdapter",
    "plex": "reel.sources.plex.adapter:PlexAdapter",
    "local": "reel.sources.local.adapter:LocalAdapter",
}


class UnknownSourceKind(ValueError):
    """No adapter exists for a kind."""


def adapter_class(kind: str) -> type[SourceAdapter]:
    """The adapter class for `kind`."""
    try:
        module_name, _, attr = ADAPTERS[kind].partition(":")
    except KeyError:
        known = ", ".join(sorted(ADAPTERS))
        raise UnknownSourceKind(f"unknown source kind {kind!r} (known: {known})") from None
    cls: type[SourceAdapter] = getattr(importlib.import_module(module_name), attr)
    return cls


def create_adapter(config: SourceConfig) -> SourceAdapter:
    """An adapter instance for a stored source."""
    return adapter_class(config.kind)(config)
