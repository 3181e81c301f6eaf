"""Typed decoding of Plex responses (JSON, and XML where only XML exists) into records.

Plex answers JSON when asked (`Accept: application/json`); msgspec decodes large listings
straight into structs. Decoding is lenient about scalar types (`strict=False`) because
servers and versions disagree on whether numbers arrive as numbers or strings, and the same
structs then take XML attributes (always strings) through `msgspec.convert`.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec

from reel.sources.errors import BadResponse
from reel.sources.records import ItemRecord, LibraryRecord, UserDataRecord

T = TypeVar("T")

_ITEM_TYPES: frozenset[str] = frozenset({"movie", "show", "season", "episode"})
_GUID_SCHEMES = {"imdb": "imdb", "tmdb": "tmdb", "tvdb": "tvdb"}
# Legacy agents put one external id in `guid`; for episodes and seasons the tvdb/tmdb path is
# the show's id plus season/episode numbers, so only a single-component path is an id.
_LEGACY_AGENTS = {
    "com.plexapp.agents.imdb": "imdb",
    "com.plexapp.agents.themoviedb": "tmdb",
    "com.plexapp.agents.thetvdb": "tvdb",
}


class Tag(msgspec.Struct, gc=False):
    tag: str = ""


class GuidRef(msgspec.Struct, gc=False):
    id: str = ""


class Part(msgspec.Struct, rename="camel", gc=False):
    key: str | None = None
    container: str | None = None
    duration: int | None = None
    size: int | None = None


class Media(msgspec.Struct, rename="camel", gc=False):
    container: str | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    video_resolution: str | int | None = None
    parts: tuple[Part, ...] = msgspec.field(default=(), name="Part")


class Metadata(msgspec.Struct, rename="camel", gc=False):
    """One metadata item of a listing; fields we do not use are skipped by the decoder.

    These structs (and Media, Part, Tag, GuidRef, with tuples for child elements) are not
    tracked by the garbage collector — they cannot form cycles — because a 100k-item
    listing otherwise makes each collection walk every decoded item (a third of the
    listing's CPU time when measured).
    """

    rating_key: str | int
    type: str = ""
    title: str = ""
    title_sort: str | None = None
    original_title: str | None = None
    summary: str | None = None
    year: int | None = None
    duration: int | None = None
    rating: float | None = None
    audience_rating: float | None = None
    added_at: int | None = None
    updated_at: int | None = None
    last_viewed_at: int | None = None
    view_count: int | None = None
    view_offset: int | None = None
    index: int | None = None
    parent_index: int | None = None
    parent_rating_key: str | int | None = None
    grandparent_rating_key: str | int | None = None
    library_section_id: str | int | None = msgspec.field(default=None, name="librarySectionID")
    thumb: str | None = None
    art: str | None = None
    guid: str | None = None
    content_rating: str | None = None
    studio: str | None = None
    originally_available_at: str | None = None
    genres: tuple[Tag, ...] = msgspec.field(default=(), name="Genre")
    guids: tuple[GuidRef, ...] = msgspec.field(default=(), name="Guid")
    media: tuple[Media, ...] = msgspec.field(default=(), name="Media")


class ItemContainer(msgspec.Struct, rename="camel"):
    size: int = 0
    total_size: int | None = None
    offset: int | None = None
    metadata: list[Metadata] = msgspec.field(default_factory=list, name="Metadata")


def _field_names(*structs: type[msgspec.Struct]) -> list[str]:
    """Attribute names the structs read (child elements, whose values are tuples, left out)."""
    names: dict[str, None] = {}
    for struct in structs:
        for info in msgspec.structs.fields(struct):
            if not (isinstance(info.default, tuple) or info.encode_name[:1].isupper()):
                names[info.encode_name] = None
    return list(names)


# What a listing asks the server for (`includeFields`, API 1.0+: "only these"): the
# attributes the structs above read and nothing else; Plex recommends it for big libraries,
# where it spares the server the reads and everyone the bytes. The names of Media's and
# Part's attributes are in the list too, in case a server applies it to child elements.
LISTING_FIELDS = ",".join(_field_names(Metadata, Media, Part, Tag, GuidRef))
# Child elements a listing may carry that no record uses.
UNUSED_ELEMENTS = "Role,Director,Writer,Producer,Country,Collection,Label,Image,Field"


class Section(msgspec.Struct):
    key: str | int
    type: str = ""
    title: str = ""


class SectionContainer(msgspec.Struct):
    directories: list[Section] = msgspec.field(default_factory=list, name="Directory")


class ServerRoot(msgspec.Struct, rename="camel"):
    """`GET /` (needs the token) and `GET /identity` (does not) share these fields."""

    machine_identifier: str = ""
    version: str = ""
    friendly_name: str = ""
    platform: str | None = None
    my_plex_username: str | None = None


_DOC_TYPES: dict[type[Any], type[Any]] = {}


def _doc_type(container: type[Any]) -> type[Any]:
    doc = _DOC_TYPES.get(container)
    if doc is None:
        doc = msgspec.defstruct(
            f"{container.__name__}Doc", [("MediaContainer", container)], kw_only=True
        )
        _DOC_TYPES[container] = doc
    return doc


def decode(body: bytes, container: type[T], what: str) -> T:
    """Decode `{"MediaContainer": …}` into `container`; anything else is a BadResponse."""
    try:
        doc = msgspec.json.decode(body, type=_doc_type(container), strict=False)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BadResponse(f"unexpected answer to {what}: {exc}") from None
    result: T = doc.MediaContainer
    return result


def items_page(body: bytes, what: str) -> ItemContainer:
    """A page of items, from JSON or (a server that ignores `Accept`) XML."""
    if body.lstrip()[:1] == b"<":
        from reel.sources.plex import parse_xml  # rare; parse_xml builds on this module

        return parse_xml.items(body, what)
    return decode(body, ItemContainer, what)


def convert(data: Any, kind: type[T], what: str) -> T:
    """Typed view of already-parsed data (XML attributes, JSON lists), lenient on scalars."""
    try:
        return msgspec.convert(data, kind, strict=False)
    except msgspec.ValidationError as exc:
        raise BadResponse(f"unexpected answer to {what}: {exc}") from None


def timestamp(value: int | None) -> datetime | None:
    """Plex dates are unix seconds; nonsense values become None rather than errors."""
    if value is None or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def external_ids(md: Metadata) -> dict[str, str]:
    """`Guid` entries (`tmdb://123`) first; the legacy agent `guid` only when those are absent."""
    ids: dict[str, str] = {}
    for ref in md.guids:
        scheme, sep, value = ref.id.partition("://")
        if sep and value and scheme in _GUID_SCHEMES:
            ids.setdefault(_GUID_SCHEMES[scheme], value)
    if ids or not md.guid:
        return ids
    agent, sep, rest = md.guid.partition("://")
    value = rest.split("?", 1)[0]
    if sep and agent in _LEGACY_AGENTS and value and "/" not in value:
        ids[_LEGACY_AGENTS[agent]] = value
    return ids


def _stream(md: Metadata) -> dict[str, str]:
    """What playback needs from the first Media/Part (unrolled: this runs per item)."""
    if not md.media:
        return {}
    media = md.media[0]
    stream: dict[str, str] = {}
    container = media.container
    if media.parts:
        part = media.parts[0]
        if part.key:
            stream["part_key"] = part.key
        container = container or part.container
    if container:
        stream["container"] = container
    if media.video_codec:
        stream["video_codec"] = media.video_codec
    if media.audio_codec:
        stream["audio_codec"] = media.audio_codec
    resolution = media.video_resolution
    if resolution is not None and resolution != "":
        stream["video_resolution"] = str(resolution)
    return stream


def _opt_str(value: str | int | None) -> str | None:
    return None if value is None or value == "" else str(value)


def _extra(md: Metadata, show: str | None) -> dict[str, object]:
    extra: dict[str, object] = {}
    if show:
        extra["show_remote_id"] = show
    if md.content_rating:
        extra["content_rating"] = md.content_rating
    if md.studio:
        extra["studio"] = md.studio
    if md.originally_available_at:
        extra["originally_available_at"] = md.originally_available_at
    return extra


def to_item(md: Metadata, library_id: str | None) -> ItemRecord | None:
    """An ItemRecord for movies, shows, seasons and episodes; other types give None.

    Runs once per item of every full listing, so it avoids helper loops and temporaries.
    """
    item_type = md.type
    if item_type not in _ITEM_TYPES:
        return None
    season = episode = parent = show = None
    if item_type == "episode":
        season, episode = md.parent_index, md.index
        parent = _opt_str(md.parent_rating_key)
        show = _opt_str(md.grandparent_rating_key)
    elif item_type == "season":
        season = md.index
        parent = _opt_str(md.parent_rating_key)
    artwork: dict[str, str] = {}
    if md.thumb:
        artwork["poster"] = md.thumb
    if md.art:
        artwork["fanart"] = md.art
    rating = md.audience_rating if md.audience_rating is not None else md.rating
    if rating is not None and not math.isfinite(rating):
        rating = None
    duration = md.duration
    record = ItemRecord(
        remote_id=str(md.rating_key),
        type=item_type,  # type: ignore[arg-type]
        title=md.title,
        library_remote_id=_opt_str(md.library_section_id) if library_id is None else library_id,
        parent_remote_id=parent,
        original_title=md.original_title or None,
        sort_title=md.title_sort or None,
        year=md.year,
        overview=md.summary or None,
        duration_ms=duration if duration and duration > 0 else None,
        rating=rating,
        genres=[g.tag for g in md.genres if g.tag],
        added_at=timestamp(md.added_at),
        updated_at=timestamp(md.updated_at),
        artwork=artwork,
        ids=external_ids(md) if md.guids or md.guid else {},
        season=season,
        episode=episode,
        stream=_stream(md) if item_type == "movie" or item_type == "episode" else {},
        extra=_extra(md, show),
    )
    # Digested here, where a big listing's pages are converted (a worker process), rather
    # than by the writer, whose thread shares this process's interpreter lock with the
    # fetching and sets the pace of a first sync.
    record.source_hash = record.digest()
    return record


def to_user_data(md: Metadata) -> UserDataRecord | None:
    """Watch state of a movie or episode (shows and seasons derive theirs from episodes)."""
    if md.type not in ("movie", "episode"):
        return None
    count = md.view_count or 0
    return UserDataRecord(
        remote_id=str(md.rating_key),
        type=md.type,  # type: ignore[arg-type]
        position_ms=max(md.view_offset or 0, 0),
        played=count > 0,
        play_count=max(count, 0),
        last_played_at=timestamp(md.last_viewed_at),
    )


def to_library(section: Section) -> LibraryRecord | None:
    """Movie and show sections become libraries; music, photos and others are skipped."""
    kind = {"movie": "movies", "show": "shows"}.get(section.type)
    if kind is None:
        return None
    return LibraryRecord(remote_id=str(section.key), title=section.title, kind=kind)  # type: ignore[arg-type]


class Connection(msgspec.Struct):
    """One advertised way to reach a server (plex.tv `/api/v2/resources`)."""

    uri: str
    protocol: str = ""
    address: str = ""
    port: int | None = None
    local: bool = False
    relay: bool = False
    ipv6: bool = msgspec.field(default=False, name="IPv6")


class Device(msgspec.Struct, rename="camel"):
    """A plex.tv resource: servers, and players we ignore."""

    name: str = ""
    product: str = ""
    product_version: str = ""
    client_identifier: str = ""
    provides: str = ""
    owned: bool = False
    access_token: str | None = None
    source_title: str | None = None
    presence: bool = False
    connections: list[Connection] = msgspec.field(default_factory=list)


class Pin(msgspec.Struct, rename="camel"):
    id: int
    code: str
    auth_token: str | None = None
    expires_in: int | None = None


def decode_json(body: bytes, kind: type[T], what: str) -> T:
    """Decode a plain JSON document (plex.tv answers are not wrapped in MediaContainer)."""
    try:
        return msgspec.json.decode(body, type=kind, strict=False)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BadResponse(f"unexpected answer to {what}: {exc}") from None
