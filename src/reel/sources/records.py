"""Typed records that adapters yield and the sync engine consumes.

Adapters know nothing about the database: they translate a server's listing into these
plain structs. msgspec structs keep decoding and hashing of large listings cheap.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

import msgspec

ItemType = Literal["movie", "show", "season", "episode", "channel"]
ITEM_TYPES: tuple[ItemType, ...] = ("movie", "show", "season", "episode", "channel")
LibraryKind = Literal["movies", "shows", "live", "music", "mixed"]
CategoryKind = Literal["live", "vod", "series"]


class LibraryRecord(msgspec.Struct, frozen=True):
    """A server-side library (Plex section, Jellyfin view, IPTV live/vod/series group)."""

    remote_id: str
    title: str
    kind: LibraryKind


class CategoryRecord(msgspec.Struct, frozen=True):
    """An IPTV category (Xtream category, M3U group-title)."""

    remote_id: str
    kind: CategoryKind
    name: str


_digest_encoder = msgspec.msgpack.Encoder(order="deterministic")


class ItemRecord(msgspec.Struct, gc=False):
    """One catalog entry as the source describes it.

    Records hold only strings, numbers, datetimes and plain containers of those, never a
    reference back to anything that could close a cycle, so they are kept out of the
    cyclic garbage collector (`gc=False`): a big listing makes hundreds of thousands.

    `parent_remote_id` points at the parent's remote id (show for a season, season for an
    episode); the engine resolves it to an internal key. `stream` holds whatever the adapter
    needs later to build a playable URL (never credentials).
    """

    remote_id: str
    type: ItemType
    title: str
    library_remote_id: str | None = None
    category_remote_id: str | None = None
    parent_remote_id: str | None = None
    original_title: str | None = None
    sort_title: str | None = None
    year: int | None = None
    overview: str | None = None
    duration_ms: int | None = None
    rating: float | None = None
    genres: list[str] = msgspec.field(default_factory=list)
    added_at: datetime | None = None
    updated_at: datetime | None = None
    artwork: dict[str, str] = msgspec.field(default_factory=dict)
    ids: dict[str, str] = msgspec.field(default_factory=dict)
    season: int | None = None
    episode: int | None = None
    channel_number: int | None = None
    epg_id: str | None = None
    stream: dict[str, str] = msgspec.field(default_factory=dict)
    extra: dict[str, object] = msgspec.field(default_factory=dict)
    # A digest the adapter took of the entry (of its raw server entry, or of the record
    # itself with `digest()`): the engine stores it as the row's content hash instead of
    # hashing the record again, and hands it back in `ListingContext.known_hashes`, so an
    # adapter can skip converting entries that did not change.
    source_hash: str | None = None

    def digest(self) -> str:
        """A short digest of everything the record says (its `source_hash` included: set
        that after taking the digest, not before)."""
        return hashlib.blake2b(_digest_encoder.encode(self), digest_size=16).hexdigest()


class ProgrammeRecord(msgspec.Struct, frozen=True):
    """One EPG entry; `channel_key` is the EPG channel id that items carry as `epg_id`."""

    channel_key: str
    start: datetime
    stop: datetime
    title: str
    description: str | None = None


class UserDataRecord(msgspec.Struct, frozen=True):
    """The signed-in account's watch state for one remote item."""

    remote_id: str
    type: ItemType
    position_ms: int = 0
    played: bool = False
    play_count: int = 0
    last_played_at: datetime | None = None


class ListingPage(msgspec.Struct):
    """A page of a listing. Any field may be empty.

    `present_ids` lists remote ids per item type that exist on the server without their
    full records (cheap id-only listings of incremental syncs); the engine counts them as
    seen for mark-and-sweep.
    """

    libraries: list[LibraryRecord] = msgspec.field(default_factory=list)
    categories: list[CategoryRecord] = msgspec.field(default_factory=list)
    items: list[ItemRecord] = msgspec.field(default_factory=list)
    programmes: list[ProgrammeRecord] = msgspec.field(default_factory=list)
    user_data: list[UserDataRecord] = msgspec.field(default_factory=list)
    present_ids: dict[str, list[str]] = msgspec.field(default_factory=dict)
