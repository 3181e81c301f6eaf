"""Typed decoding of Jellyfin JSON (BaseItemDto and friends) and its mapping to records.

Listings can hold tens of thousands of items, so pages are decoded straight into msgspec
structs that name only the fields we use; unknown keys are skipped by the decoder.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import msgspec

from reel.sources.errors import BadResponse
from reel.sources.jellyfin.const import (
    COLLECTION_KINDS,
    ITEM_KINDS,
    PLAYABLE,
    PROVIDER_KEYS,
    TICKS_PER_MS,
)
from reel.sources.records import ItemRecord, ItemType, LibraryKind, UserDataRecord


class UserItemData(msgspec.Struct, rename="pascal", gc=False):
    """UserItemDataDto: the signed-in user's state for one item."""

    playback_position_ticks: int = 0
    play_count: int = 0
    played: bool = False
    last_played_date: datetime | None = None


class BaseItem(msgspec.Struct, rename="pascal", gc=False):
    """The part of BaseItemDto the catalog needs.

    Not tracked by the garbage collector (it cannot form cycles): tens of thousands of
    decoded items otherwise make every collection during a listing walk all of them.
    """

    id: str
    name: str | None = None
    type: str | None = None
    collection_type: str | None = None
    original_title: str | None = None
    sort_name: str | None = None
    overview: str | None = None
    genres: list[str] | None = None
    production_year: int | None = None
    community_rating: float | None = None
    run_time_ticks: int | None = None
    date_created: datetime | None = None
    index_number: int | None = None
    parent_index_number: int | None = None
    series_id: str | None = None
    season_id: str | None = None
    parent_id: str | None = None
    provider_ids: dict[str, str | None] | None = None
    image_tags: dict[str, str | None] | None = None
    backdrop_image_tags: list[str] | None = None
    user_data: UserItemData | None = None


class ItemsResult(msgspec.Struct, rename="pascal"):
    """BaseItemDtoQueryResult."""

    items: list[BaseItem] = msgspec.field(default_factory=list)
    total_record_count: int = 0
    start_index: int = 0


class UserDto(msgspec.Struct, rename="pascal"):
    """The account a token belongs to."""

    id: str
    name: str | None = None


class AuthenticationResult(msgspec.Struct, rename="pascal"):
    """What `/Users/AuthenticateByName` answers."""

    access_token: str
    user: UserDto
    server_id: str | None = None


class PublicSystemInfo(msgspec.Struct, rename="pascal"):
    """`/System/Info/Public`: enough to say which server answered."""

    server_name: str | None = None
    version: str | None = None
    product_name: str | None = None
    id: str | None = None


T = TypeVar("T")
_decoders: dict[type[Any], msgspec.json.Decoder[Any]] = {}


def decode(body: bytes, kind: type[T], what: str) -> T:
    """Decode `body` as `kind`, turning any malformed payload into BadResponse."""
    decoder = _decoders.get(kind)
    if decoder is None:
        decoder = _decoders[kind] = msgspec.json.Decoder(kind)
    try:
        result: T = decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BadResponse(f"malformed answer to {what}: {exc}") from None
    return result


def library_kind(collection_type: str | None) -> LibraryKind:
    """Our kind for a view's CollectionType (views without one hold anything)."""
    return COLLECTION_KINDS.get((collection_type or "").lower(), "mixed")


def _date(value: datetime | None) -> datetime | None:
    # .NET writes DateTime.MinValue (year 1) where a date is unknown.
    if value is None or value.year <= 1:
        return None
    return value


_CANONICAL_KEYS = frozenset({"Tmdb", "Imdb", "Tvdb"})


def _ids(provider_ids: dict[str, str | None] | None) -> dict[str, str]:
    """External ids; when a server sends one id under two spellings ("Tmdb" and "TMDB"),
    Jellyfin's own spelling wins, else the first one seen, whatever the key order."""
    out: dict[str, str] = {}
    for key, value in (provider_ids or {}).items():
        name = PROVIDER_KEYS.get(key.lower())
        if name and value and (name not in out or key in _CANONICAL_KEYS):
            out[name] = value
    return out


def _image(item_id: str, image_type: str, tag: str) -> str:
    return f"/Items/{item_id}/Images/{image_type}?tag={quote(tag, safe='')}"


def _artwork(item: BaseItem) -> dict[str, str]:
    art: dict[str, str] = {}
    tags = item.image_tags or {}
    if primary := tags.get("Primary"):
        art["poster"] = _image(item.id, "Primary", primary)
    if item.backdrop_image_tags:
        art["fanart"] = _image(item.id, "Backdrop", item.backdrop_image_tags[0])
    if thumb := tags.get("Thumb"):
        art["thumb"] = _image(item.id, "Thumb", thumb)
    if logo := tags.get("Logo"):
        art["logo"] = _image(item.id, "Logo", logo)
    return art


def item_type(item: BaseItem) -> ItemType | None:
    """Our type for a server item kind, None for kinds we do not catalog."""
    return ITEM_KINDS.get(item.type or "")


def _parent(item: BaseItem, kind: ItemType) -> str | None:
    if kind == "season":
        return item.series_id or item.parent_id
    if kind == "episode":
        # Episodes outside any season folder hang off the series directly.
        return item.season_id or item.series_id or item.parent_id
    return None


def _season_number(item: BaseItem, kind: ItemType) -> int | None:
    if kind == "season":
        return item.index_number
    return item.parent_index_number if kind == "episode" else None


def to_item(item: BaseItem, library_id: str) -> ItemRecord | None:
    """The catalog record for one server item, None for kinds we do not catalog."""
    kind = item_type(item)
    if kind is None:
        return None
    ticks = item.run_time_ticks
    return ItemRecord(
        remote_id=item.id,
        type=kind,
        title=item.name or "",
        library_remote_id=library_id,
        parent_remote_id=_parent(item, kind),
        original_title=item.original_title or None,
        sort_title=item.sort_name or None,
        year=item.production_year or None,
        overview=item.overview or None,
        duration_ms=ticks // TICKS_PER_MS if ticks and ticks > 0 else None,
        rating=item.community_rating,
        genres=list(item.genres or ()),
        added_at=_date(item.date_created),
        artwork=_artwork(item),
        ids=_ids(item.provider_ids),
        season=_season_number(item, kind),
        episode=item.index_number if kind == "episode" else None,
        stream={"media_source_id": item.id} if kind in PLAYABLE else {},
    )


def to_user_data(item: BaseItem) -> UserDataRecord | None:
    """The user's watch state for a playable item (series/season state is derived)."""
    kind = item_type(item)
    if kind not in PLAYABLE or item.user_data is None or kind is None:
        return None
    data = item.user_data
    return UserDataRecord(
        remote_id=item.id,
        type=kind,
        position_ms=max(0, data.playback_position_ticks) // TICKS_PER_MS,
        played=data.played,
        play_count=max(0, data.play_count),
        last_played_at=_date(data.last_played_date),
    )
