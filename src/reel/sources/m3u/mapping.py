"""Turn parsed M3U entries into catalog records: kind, stable remote ids, stream templates.

Remote ids must survive a reordered playlist, a renamed channel and a rotated URL token,
so they never use the position or the query string. In order of preference:
1. `xc:<stream id>` for Xtream-style stream URLs (`/live|movie|series/U/P/<id>.<ext>`, or
   `/U/P/<id>` when U/P are the playlist's account): the panel's own id;
2. `tvg:<tvg-id>` for channels that have one (the provider's EPG id);
3. `url:<hash of host + path>` (no userinfo, query or fragment), or of the path of a file.
An id seen again in the same playlist gets `#2`, `#3`, ... in order of appearance.

Stream URLs are stored with the account's username and password replaced by
`{username}`/`{password}` (and `stream["auth"] = "1"`); the adapter puts them back when a
stream is played. Opaque per-URL tokens cannot be rebuilt and are kept as written.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import quote

from reel.sources.m3u.const import (
    GROUP_PREFIXES,
    GROUP_SEPARATORS,
    LIBRARIES,
    MAX_KEY,
    PASS_MARK,
    TYPE_WORDS,
    USER_MARK,
    XTREAM_PATH_KINDS,
    EntryKind,
)
from reel.sources.m3u.parse import M3uEntry
from reel.sources.records import (
    CategoryKind,
    CategoryRecord,
    ItemRecord,
    LibraryKind,
    LibraryRecord,
)

_LIBRARY_KIND: dict[EntryKind, LibraryKind] = {
    "channel": "live", "movie": "movies", "series": "shows",
}  # fmt: skip
_CATEGORY_KIND: dict[EntryKind, CategoryKind] = {
    "channel": "live", "movie": "vod", "series": "series",
}  # fmt: skip
_FOLDER_KINDS: tuple[tuple[str, EntryKind], ...] = (
    ("series", "series"), ("movie", "movie"), ("movies", "movie"),
)  # fmt: skip
_EPISODE = re.compile(
    r"(?P<show>.*?)[\s._\-|:]*\b[Ss](?P<s>\d{1,4})[\s._\-]*[Ee][Pp]?(?P<e>\d{1,4})\b(?P<rest>.*)"
)
_EPISODE_X = re.compile(r"(?P<show>.*?)[\s._\-|:]+(?P<s>\d{1,2})x(?P<e>\d{1,3})\b(?P<rest>.*)")
_YEAR = re.compile(r"(?P<title>.*?)[\s\-]*[(\[](?P<year>(?:19|20)\d\d)[)\]]\s*$")
_STREAM_ID = re.compile(r"(\d+)(?:\.[A-Za-z0-9]{1,5})?")
# urllib's urlsplit costs more than the rest of an entry's mapping; this is all we need.
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.S)


class UrlParts(NamedTuple):
    scheme: str
    netloc: str
    path: str
    query: str
    fragment: str


def split_url(location: str) -> UrlParts:
    """Scheme, netloc, path, query, fragment; a local path is all path."""
    match = _URL.fullmatch(location)
    if match is None:
        return UrlParts("", "", location, "", "")
    scheme, netloc, path, query, fragment = match.groups()
    return UrlParts(scheme, netloc, path, query or "", fragment or "")


def join_url(parts: UrlParts) -> str:
    url = f"{parts.scheme}://{parts.netloc}{parts.path}"
    url += f"?{parts.query}" if parts.query else ""
    return url + (f"#{parts.fragment}" if parts.fragment else "")


def fit_key(value: str) -> str:
    """A key that fits the catalog's 255-character columns, stable for the same input."""
    if len(value) <= MAX_KEY:
        return value
    return value[:200] + "~" + hashlib.blake2b(value.encode(), digest_size=16).hexdigest()


def _digest(value: str) -> str:
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()


def xtream_stream(location: str, account: tuple[str, str] | None) -> tuple[EntryKind, str] | None:
    """(kind, stream id) of an Xtream-style stream URL, or None."""
    segments = [s for s in split_url(location).path.split("/") if s]
    if len(segments) >= 4 and segments[-4].lower() in XTREAM_PATH_KINDS:
        match = _STREAM_ID.fullmatch(segments[-1])
        if match is not None:
            return XTREAM_PATH_KINDS[segments[-4].lower()], match.group(1)
    if account is not None and len(segments) >= 3:
        user, password = (quote(part, safe="") for part in account)
        match = _STREAM_ID.fullmatch(segments[-1])
        if match is not None and segments[-3:-1] == [user, password]:
            return "channel", match.group(1)
    return None


def stream_template(location: str, account: tuple[str, str] | None) -> dict[str, str]:
    """The stream dict: the URL with the account's credentials swapped for placeholders."""
    if account is None or "://" not in location:
        return {"url": location}
    parts = split_url(location)
    user, password = account
    quoted = (quote(user, safe=""), quote(password, safe=""))
    segments = parts.path.split("/")
    changed = False
    for i in range(len(segments) - 1):
        if (segments[i], segments[i + 1]) in ((user, password), quoted):
            segments[i : i + 2] = [USER_MARK, PASS_MARK]
            changed = True
            break
    query = parts.query
    for key, value, mark in (("username", user, USER_MARK), ("password", password, PASS_MARK)):
        for written in {f"{key}={value}", f"{key}={quote(value, safe='')}"}:
            if written in query:
                query = query.replace(written, f"{key}={mark}")
                changed = True
    netloc = parts.netloc
    userinfo, at, host = netloc.rpartition("@")
    if at and userinfo in (f"{user}:{password}", f"{quoted[0]}:{quoted[1]}"):
        netloc = f"{USER_MARK}:{PASS_MARK}@{host}"
        changed = True
    if not changed:
        return {"url": location}
    url = join_url(UrlParts(parts.scheme, netloc, "/".join(segments), query, parts.fragment))
    return {"url": url, "auth": "1"}


def fill_template(stream: dict[str, str], account: tuple[str, str] | None) -> str:
    """The playable URL of a stored stream dict (credentials back in)."""
    url = stream.get("url", "")
    if stream.get("auth") == "1" and account is not None:
        url = url.replace(USER_MARK, quote(account[0], safe=""))
        url = url.replace(PASS_MARK, quote(account[1], safe=""))
    return url


def _group_kind(group: str) -> EntryKind | None:
    low = group.strip().lower()
    for prefix, kind in GROUP_PREFIXES.items():
        if low == prefix or (
            low.startswith(prefix)
            and len(low) > len(prefix)
            and low[len(prefix)] in GROUP_SEPARATORS
        ):
            return kind
    return None


def classify(
    entry: M3uEntry, xtream: tuple[EntryKind, str] | None, groups: list[str] | None = None
) -> EntryKind:
    """Channel, movie or series, by the markers playlists use (most explicit first):
    type attribute, Xtream stream path, a `/series/` or `/movie/` folder in the URL, a
    `VOD |`/`Series:`-style group, Kodi's `media` marks; anything else is a channel."""
    for key in ("tvg-type", "type"):
        word = entry.attrs.get(key, "").strip().lower()
        if word in TYPE_WORDS:
            return TYPE_WORDS[word]
    if xtream is not None and xtream[0] != "channel":
        return xtream[0]
    folders = split_url(entry.location).path.lower().split("/")[:-1]
    for folder, folder_kind in _FOLDER_KINDS:
        if folder in folders:
            return folder_kind
    groups = entry_groups(entry) if groups is None else groups
    group_kind = _group_kind(groups[0]) if groups else None
    if group_kind is not None:
        return group_kind
    if entry.media or entry.attrs.get("media", "").lower() == "true":
        return "movie"
    return "channel"


def entry_groups(entry: M3uEntry) -> list[str]:
    """`group-title` (Kodi allows `;`-separated lists) or the sticky `#EXTGRP` groups."""
    raw = entry.attrs.get("group-title")
    if raw is not None:
        return [g.strip() for g in raw.split(";") if g.strip()]
    return entry.groups


def split_episode(title: str) -> tuple[str, int | None, int | None, str | None]:
    """'Show S01E02 - Name' / 'Show S01 E02' / 'Show 1x02' into (show, season, episode, name)."""
    for pattern in (_EPISODE, _EPISODE_X):
        match = pattern.fullmatch(title)
        if match is not None and match.group("show").strip(" -|:._"):
            rest = match.group("rest").strip(" -|:._") or None
            return match.group("show").strip(" -|:._"), int(match["s"]), int(match["e"]), rest
    return title, None, None, None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    if value.isdigit() and len(value) < 10:
        return int(value)
    return None


@dataclass
class Built:
    """What one entry adds to the listing: new libraries/categories first, then items."""

    libraries: list[LibraryRecord] = field(default_factory=list)
    categories: list[CategoryRecord] = field(default_factory=list)
    items: list[ItemRecord] = field(default_factory=list)


class RecordBuilder:
    """Stateful across one playlist: dedupes ids, emits each library/category/show once."""

    def __init__(self, account: tuple[str, str] | None) -> None:
        self.account = account
        self._ids: dict[tuple[str, str], int] = {}
        self._libraries: set[str] = set()
        self._categories: set[tuple[str, str]] = set()
        self._parents: set[str] = set()
        self.counts: dict[str, int] = {}
        # Channel names for guides without matching ids (Kodi's display-name passes).
        self.channel_names: dict[str, str] = {}
        self.epg_ids: set[str] = set()

    def _unique(self, item_type: str, key: str) -> str:
        key = fit_key(key)
        seen = self._ids.get((item_type, key), 0) + 1
        self._ids[(item_type, key)] = seen
        return key if seen == 1 else fit_key(f"{key}#{seen}")

    def _identity(self, entry: M3uEntry, xtream: tuple[EntryKind, str] | None, kind: str) -> str:
        if xtream is not None:
            return f"xc:{xtream[1]}"
        tvg_id = entry.attrs.get("tvg-id", "").strip()
        if kind == "channel" and tvg_id:
            return f"tvg:{tvg_id}"
        parts = split_url(entry.location)
        if parts.scheme and parts.netloc:
            where = f"{parts.netloc.rpartition('@')[2].lower()}{parts.path}"
        else:
            where = entry.location
        return f"url:{_digest(where)}"

    def build(self, entry: M3uEntry) -> Built:
        xtream = xtream_stream(entry.location, self.account)
        groups = entry_groups(entry)
        kind = classify(entry, xtream, groups)
        built = Built()
        library_id, library_title = LIBRARIES[kind]
        if library_id not in self._libraries:
            self._libraries.add(library_id)
            built.libraries.append(LibraryRecord(library_id, library_title, _LIBRARY_KIND[kind]))
        category = fit_key(groups[0]) if groups else None
        if category is not None and (kind, category) not in self._categories:
            self._categories.add((kind, category))
            built.categories.append(CategoryRecord(category, _CATEGORY_KIND[kind], groups[0]))
        title = entry.title or entry.attrs.get("tvg-name", "").strip()
        title = title or entry.location.rstrip("/").rsplit("/", 1)[-1] or "Untitled"
        item = ItemRecord(
            remote_id="",
            type="channel",
            title=title,
            library_remote_id=library_id,
            category_remote_id=category,
            stream=stream_template(entry.location, self.account),
        )
        logo = entry.attrs.get("tvg-logo", "").strip()
        extra: dict[str, object] = {}
        if len(groups) > 1:
            extra["groups"] = groups
        for key in ("catchup", "catchup-days", "catchup-source", "tvg-shift", "radio"):
            if entry.attrs.get(key):
                extra[key] = entry.attrs[key]
        if entry.props:
            extra["props"] = entry.props
        item.extra = extra
        if entry.duration is not None and entry.duration > 0:
            item.duration_ms = int(entry.duration * 1000)
        identity = self._identity(entry, xtream, kind)
        if kind == "channel":
            self._channel(item, entry, identity, logo)
        elif kind == "movie":
            item.type = "movie"
            item.remote_id = self._unique("movie", identity)
            match = _YEAR.fullmatch(title)
            if match is not None and match.group("title"):
                item.title, item.year = match.group("title"), int(match.group("year"))
            if logo:
                item.artwork = {"poster": logo}
        else:
            self._episode(item, built, identity, logo, library_id, category)
        built.items.append(item)
        self.counts[item.type] = self.counts.get(item.type, 0) + 1
        return built

    def _channel(self, item: ItemRecord, entry: M3uEntry, identity: str, logo: str) -> None:
        item.remote_id = self._unique("channel", identity)
        item.channel_number = _int(entry.attrs.get("tvg-chno"))
        tvg_name = entry.attrs.get("tvg-name", "").strip()
        epg = entry.attrs.get("tvg-id", "").strip() or tvg_name or item.title
        item.epg_id = fit_key(epg)
        self.epg_ids.add(item.epg_id)
        for name in (tvg_name, tvg_name.replace(" ", "_"), item.title):
            if name:
                self.channel_names.setdefault(name, item.epg_id)
        if logo:
            item.artwork = {"poster": logo}

    def _episode(
        self,
        item: ItemRecord,
        built: Built,
        identity: str,
        logo: str,
        library_id: str,
        category: str | None,
    ) -> None:
        show, season, episode, name = split_episode(item.title)
        show_id = fit_key(f"show:{_digest(' '.join(show.casefold().split()))}")
        if show_id not in self._parents:
            self._parents.add(show_id)
            artwork = {"poster": logo} if logo else {}
            built.items.append(
                ItemRecord(show_id, "show", show, library_id, category, artwork=artwork)
            )
            self.counts["show"] = self.counts.get("show", 0) + 1
        parent = show_id
        if season is not None:
            parent = f"{show_id}:s{season}"
            if parent not in self._parents:
                self._parents.add(parent)
                built.items.append(
                    ItemRecord(
                        parent,
                        "season",
                        f"Season {season}",
                        library_id,
                        category,
                        parent_remote_id=show_id,
                        season=season,
                    )
                )
                self.counts["season"] = self.counts.get("season", 0) + 1
        item.type = "episode"
        item.remote_id = self._unique("episode", identity)
        item.parent_remote_id = parent
        item.season, item.episode = season, episode
        item.title = name or item.title
        if logo:
            item.artwork = {"thumb": logo}
