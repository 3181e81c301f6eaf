"""How the fake Jellyfin turns its items into BaseItemDto JSON, and answers `/Items`.

Quirks kept from the real server: null values are left out; `Overview`, `Genres`,
`ProviderIds`, `DateCreated`, `SortName`, `OriginalTitle`, `Path`, `ParentId`, `Etag` and
`MediaSources` appear only when named in `Fields`; `MinDateLastSaved` and
`MinDateLastSavedForUser` both filter on the item's own `DateLastSaved`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from reel.testing.fakes.jellyfin_data import (
    FakeItem,
    FakeLibrary,
    FakeLibraryData,
    FakeUserData,
    dotnet_date,
)

FOLDER_TYPES = frozenset({"Series", "Season"})


class QueryError(ValueError):
    """A request the real server answers with 400."""


def user_data_dto(item_id: str, data: FakeUserData, runtime: int | None) -> dict[str, Any]:
    """UserItemDataDto."""
    out: dict[str, Any] = {
        "PlaybackPositionTicks": data.position_ticks,
        "PlayCount": data.play_count,
        "IsFavorite": data.favorite,
        "Played": data.played,
        "Key": item_id,
        "ItemId": item_id,
    }
    if data.last_played is not None:
        out["LastPlayedDate"] = dotnet_date(data.last_played)
    if data.position_ticks and runtime:
        out["PlayedPercentage"] = round(100 * data.position_ticks / runtime, 2)
    return out


def library_dto(library: FakeLibrary, server_id: str) -> dict[str, Any]:
    """A user view as `/UserViews` and the root `/Items` list it."""
    return {
        "Name": library.name,
        "ServerId": server_id,
        "Id": library.id,
        "Etag": library.id[:8],
        "Type": "CollectionFolder",
        "CollectionType": library.collection_type,
        "IsFolder": True,
        "ImageTags": {},
        "BackdropImageTags": [],
        "LocationType": "FileSystem",
        "MediaType": "Unknown",
    }


# Fields= names the server adds only when asked: (field, DTO key, value of an item).
_OPTIONAL: tuple[tuple[str, str, Callable[[FakeItem], Any]], ...] = (
    ("overview", "Overview", lambda i: i.overview),
    ("genres", "Genres", lambda i: i.genres),
    ("providerids", "ProviderIds", lambda i: i.provider_ids),
    ("datecreated", "DateCreated", lambda i: dotnet_date(i.date_created)),
    ("sortname", "SortName", lambda i: i.sort_name),
    ("originaltitle", "OriginalTitle", lambda i: i.original_title),
    ("path", "Path", lambda i: i.path),
    ("parentid", "ParentId", lambda i: i.parent_id),
    ("etag", "Etag", lambda i: dotnet_date(i.date_last_saved)[-12:-1]),
)


def item_dto(
    item: FakeItem,
    *,
    server_id: str,
    fields: set[str],
    user_data: dict[str, Any] | None,
    images: bool,
) -> dict[str, Any]:
    """BaseItemDto with only the fields the real server would include."""
    out: dict[str, Any] = {
        "Name": item.name,
        "ServerId": server_id,
        "Id": item.id,
        "Type": item.type,
        "IsFolder": item.type in FOLDER_TYPES,
        "RunTimeTicks": item.runtime_ticks,
        "ProductionYear": item.year,
        "IndexNumber": item.index,
        "ParentIndexNumber": item.parent_index,
        "CommunityRating": item.rating,
        "SeriesName": item.series_name,
        "SeriesId": item.series_id,
        "SeasonId": item.season_id,
        "SeasonName": item.season_name,
        "LocationType": "FileSystem",
        "MediaType": "Unknown" if item.type in FOLDER_TYPES else "Video",
    }
    if images:
        out["ImageTags"] = dict(item.image_tags)
        out["BackdropImageTags"] = list(item.backdrop_tags)
    if user_data is not None:
        out["UserData"] = user_data
    for name, key, value_of in _OPTIONAL:
        if name in fields:
            out[key] = value_of(item)
    if "mediasources" in fields and item.type not in FOLDER_TYPES:
        out["MediaSources"] = [
            {
                "Protocol": "File",
                "Id": item.id,
                "Path": item.path,
                "Type": "Default",
                "Container": "mkv",
                "Name": item.name,
                "RunTimeTicks": item.runtime_ticks,
                "SupportsDirectPlay": True,
                "SupportsDirectStream": True,
                "SupportsTranscoding": True,
                "MediaStreams": [],
            }
        ]
    return {k: v for k, v in out.items() if v is not None}


def _csv(values: Iterable[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def parse_date(value: str) -> datetime:
    """ASP.NET accepts ISO 8601 dates with or without a zone; naive means UTC here."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"The value '{value}' is not valid.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


class ItemQuery:
    """`/Items` over the fake library, with a small cache of filtered, sorted id lists."""

    def __init__(self, data: FakeLibraryData) -> None:
        self.data = data
        self._cache: OrderedDict[tuple[Any, ...], list[FakeItem]] = OrderedDict()
        self._libraries: tuple[int, dict[tuple[str, str], list[FakeItem]]] = (-1, {})

    def run(
        self, query: dict[str, list[str]], user_id: str
    ) -> tuple[list[FakeItem] | list[FakeLibrary], int, int]:
        """(page, total, start): libraries at the root, else the filtered item list."""
        data = self.data
        first = {k: v[-1] for k, v in query.items() if v}
        parent_id = first.get("parentid", "").replace("-", "").lower()
        recursive = first.get("recursive", "").lower() == "true"
        ids = {i.replace("-", "").lower() for i in _csv(query.get("ids", []))}
        start = int(first.get("startindex", "0") or 0)
        # The server takes only a positive Limit (`Take` when `Limit > 0`): `Limit=0` lists
        # every match, and with StartIndex 0 its TotalRecordCount is the count returned.
        limit = int(first["limit"]) if first.get("limit") else None
        if limit is not None and limit <= 0:
            limit = None
        if not parent_id and not recursive and not ids:
            # Neither Recursive nor ParentId: the user's root folders; filters are ignored.
            libraries = list(data.libraries)
            return (
                libraries[start : None if limit is None else start + limit],
                len(libraries),
                start,
            )
        key: tuple[Any, ...] = (
            data.version,
            parent_id,
            recursive,
            tuple(sorted(ids)),
            tuple(t.lower() for t in _csv(query.get("includeitemtypes", []))),
            tuple(t.lower() for t in _csv(query.get("excludeitemtypes", []))),
            first.get("mindatelastsaved"),
            first.get("mindatelastsavedforuser"),
            tuple(_csv(query.get("sortby", []))),
            first.get("sortorder", ""),
            first.get("isplayed"),
            tuple(sorted(f.lower() for f in _csv(query.get("filters", [])))),
        )
        if _uses_user_data(query, first):
            # Watch state is per user and changes without touching the catalog version.
            key = (*key, user_id, data.user_version)
        items = self._cache.get(key)
        if items is None:
            items = self._select(query, first, parent_id, recursive, ids, user_id)
            self._cache[key] = items
            while len(self._cache) > 32:
                self._cache.popitem(last=False)
        page = items[start : None if limit is None else start + limit]
        return page, len(items), start

    def _select(
        self,
        query: dict[str, list[str]],
        first: dict[str, str],
        parent_id: str,
        recursive: bool,
        ids: set[str],
        user_id: str,
    ) -> list[FakeItem]:
        data = self.data
        items: Iterable[FakeItem] = data.items.values()
        include = {t.lower() for t in _csv(query.get("includeitemtypes", []))}
        if ids:  # looked up by id, as the server's database does, not found by a scan
            items = [data.items[i] for i in ids if i in data.items]
        if parent_id:
            library = next((lib for lib in data.libraries if lib.id == parent_id), None)
            if library is None and parent_id not in data.items:
                raise QueryError(f"Parent item {parent_id} not found.")
            if library is not None and recursive and not ids:
                items, include = self._in_library(parent_id, include), set()
            elif library is not None:
                items = (
                    i for i in items if (i.library_id if recursive else i.parent_id) == parent_id
                )
            elif recursive:
                items = (i for i in items if parent_id in (i.series_id, i.season_id))
            else:
                items = (i for i in items if i.parent_id == parent_id)
        exclude = {t.lower() for t in _csv(query.get("excludeitemtypes", []))}
        if include:
            items = (i for i in items if i.type.lower() in include)
        if exclude:
            items = (i for i in items if i.type.lower() not in exclude)
        for name in ("mindatelastsaved", "mindatelastsavedforuser"):
            if first.get(name):
                since = parse_date(first[name])
                items = (i for i in items if i.date_last_saved >= since)
        if "isplayed" in first:
            want = first["isplayed"].lower() == "true"
            items = (i for i in items if data.data_for(user_id, i.id).played == want)
        for name in _csv(query.get("filters", [])):
            test = _FILTERS.get(name.lower())
            if test is None:
                raise QueryError(f"The value '{name}' is not valid.")
            items = _filtered(items, data, user_id, test)
        selected = list(items)
        return self._sort(selected, _csv(query.get("sortby", [])), first, user_id)

    def _in_library(self, library_id: str, types: set[str]) -> list[FakeItem]:
        """The items of a library (of `types`, or all), from an index kept per catalog
        version: the server's database has one on the top parent and the type."""
        version, index = self._libraries
        if version != self.data.version or not index:
            index = {}
            for item in self.data.items.values():
                index.setdefault((item.library_id, item.type.lower()), []).append(item)
            self._libraries = (self.data.version, index)
        return [
            item
            for (library, kind), members in index.items()
            if library == library_id and (not types or kind in types)
            for item in members
        ]

    def _sort(
        self, items: list[FakeItem], sort_by: list[str], first: dict[str, str], user_id: str
    ) -> list[FakeItem]:
        data = self.data
        keys = {
            "sortname": lambda i: i.sort_name or i.name.lower(),
            "name": lambda i: i.name.lower(),
            "datecreated": lambda i: i.date_created,
            "productionyear": lambda i: i.year or 0,
            "communityrating": lambda i: i.rating or 0.0,
            "dateplayed": lambda i: _played_at(data.data_for(user_id, i.id)),
        }
        chosen = [keys[s.lower()] for s in sort_by if s.lower() in keys] or [keys["sortname"]]
        descending = first.get("sortorder", "").lower().startswith("desc")
        # One stable pass per key, last key first, from an order by id: the same order as
        # one sort on (keys..., id), without building a key tuple per item.
        items.sort(key=_ID, reverse=descending)
        for key in reversed(chosen):
            items.sort(key=key, reverse=descending)
        return items


_ID = attrgetter("id")

_FILTERS: dict[str, Callable[[FakeItem, FakeUserData], bool]] = {
    "isfolder": lambda i, _: i.type in FOLDER_TYPES,
    "isnotfolder": lambda i, _: i.type not in FOLDER_TYPES,
    "isplayed": lambda _, d: d.played,
    "isunplayed": lambda _, d: not d.played,
    "isresumable": lambda _, d: d.position_ticks > 0,
    "isfavorite": lambda _, d: d.favorite,
    "isfavoriteorlikes": lambda _, d: d.favorite,
    "likes": lambda _, d: False,
    "dislikes": lambda _, d: False,
}


def _filtered(
    items: Iterable[FakeItem],
    data: FakeLibraryData,
    user_id: str,
    test: Callable[[FakeItem, FakeUserData], bool],
) -> Iterator[FakeItem]:
    return (i for i in items if test(i, data.data_for(user_id, i.id)))


def _uses_user_data(query: dict[str, list[str]], first: dict[str, str]) -> bool:
    sort_by = {s.lower() for s in _csv(query.get("sortby", []))}
    return "isplayed" in first or bool(query.get("filters")) or "dateplayed" in sort_by


def _played_at(data: FakeUserData) -> float:
    return data.last_played.timestamp() if data.last_played else 0.0
