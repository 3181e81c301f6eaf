"""Turn recognised files into catalog records: films, and shows → seasons → episodes.

Remote ids are what keep an item (and its watch state and locks) through rescans:
- an episode is its file's `file_id`, which survives renames and moves; a
  multi-episode file (`S01E01E02`) gives one record per episode sharing the file, as
  Kodi lists them: the first episode keeps the bare file id, later ones `<file_id>#eN`;
- a film is the file id of one of its files (the "anchor"); stacked parts (`cd1`,
  `part2`) and editions of the same film are one item, and the anchor stays the one
  used last time as long as that file exists, so adding a part never re-keys the film;
- a show is its normalised title and year (`show:the office|2005`), a season the
  show's id plus its number, so two folders of one show are one show.
NFO values win over what the name says; the fields they set are listed in
`extra["nfo_fields"]` so identification never overrides them.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from reel.metadata.match import normalize_title
from reel.metadata.nfo import Nfo
from reel.metadata.recognize import LibraryHint, Recognition
from reel.sources.local.state import FileFacts, NfoFacts, RootState
from reel.sources.records import ItemRecord, LibraryRecord

ID_KEYS = ("tmdb", "imdb", "tvdb")


@dataclass
class _File:
    root: str
    file_id: str
    facts: FileFacts

    @property
    def path(self) -> str:
        return str(Path(self.root) / self.facts.path)

    @property
    def rec(self) -> Recognition:
        return self.facts.recognition

    def describe(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "file_id": self.file_id,
            "size": self.facts.size,
            "mtime_ns": self.facts.mtime_ns,
            "phash": self.facts.phash,
            "part": self.rec.part,
            "edition": self.rec.edition,
        }


@dataclass
class Built:
    libraries: list[LibraryRecord] = field(default_factory=list)
    items: list[ItemRecord] = field(default_factory=list)
    anchors: list[str] = field(default_factory=list)


def library_id(root: str) -> str:
    return hashlib.sha1(root.encode()).hexdigest()[:12]


def _docs(nfo: NfoFacts | None) -> tuple[Nfo, ...]:
    return nfo.docs if nfo is not None and not nfo.own else ()


def _apply_nfo(values: dict[str, Any], doc: Nfo | None) -> list[str]:
    """Overlay an NFO's values on `values`; returns the fields it set."""
    if doc is None:
        return []
    taken: dict[str, Any] = {
        "title": doc.title,
        "original_title": doc.original_title,
        "sort_title": doc.sort_title,
        "year": doc.year,
        "overview": doc.plot,
        "genres": list(doc.genres) or None,
        "duration_ms": doc.runtime * 60_000 if doc.runtime else None,
        "rating": _rating(doc),
    }
    fields = [k for k, v in taken.items() if v is not None]
    values.update({k: taken[k] for k in fields})
    ids = {k: v for k, v in doc.ids.items() if k in ID_KEYS}
    if ids:
        values["ids"] = {**values.get("ids", {}), **ids}
        fields.extend(f"{k}_id" for k in ids)
    return fields


def _rating(doc: Nfo) -> float | None:
    if not doc.ratings:
        return None
    best = next((r for r in doc.ratings if r.default), doc.ratings[0])
    return round(best.value * 10 / best.max, 2) if best.max else best.value


def _movie_key(f: _File) -> tuple[str, ...]:
    rec = f.rec
    if "tmdb" in rec.ids:
        return ("tmdb", rec.ids["tmdb"])
    if rec.year is not None:
        return ("title", normalize_title(rec.title), str(rec.year))
    return ("folder", f.root, posixpath.dirname(f.facts.path), normalize_title(rec.title))


def _show_key(rec: Recognition) -> str:
    base = normalize_title(rec.title) or rec.title.casefold()
    return f"show:{base}|{rec.year}" if rec.year else f"show:{base}"


def build(
    roots: dict[str, RootState], hint: LibraryHint, previous_anchors: Iterable[str] = ()
) -> Built:
    """Every record of the source's roots (all of them, every scan: cheap, and the engine
    skips unchanged rows by content hash)."""
    out = Built()
    movies: dict[tuple[str, ...], list[_File]] = {}
    shows: dict[str, list[_File]] = {}
    show_nfos: dict[str, tuple[str, NfoFacts]] = {}
    for root, state in roots.items():
        title = Path(root).name or root
        out.libraries.append(LibraryRecord(library_id(root), title, hint))
        for file_id, facts in state.files.items():
            f = _File(root, file_id, facts)
            if facts.recognition.kind == "episode":
                key = _show_key(facts.recognition)
                shows.setdefault(key, []).append(f)
                folder = facts.recognition.show_folder
                if folder and folder in state.shows and key not in show_nfos:
                    show_nfos[key] = (str(Path(root) / folder), state.shows[folder])
            else:
                movies.setdefault(_movie_key(f), []).append(f)
    anchors = set(previous_anchors)
    for members in movies.values():
        record = _movie(members, anchors)
        out.items.append(record)
        out.anchors.append(record.remote_id)
    for key, members in shows.items():
        out.items.extend(_show(key, members, show_nfos.get(key)))
    return out


def _version_sort(f: _File) -> tuple[bool, str, int, str]:
    return (f.rec.edition is not None, f.rec.edition or "", f.rec.part or 0, f.facts.path)


def _movie(members: list[_File], anchors: set[str]) -> ItemRecord:
    members.sort(key=_version_sort)
    primary = members[0]
    kept = sorted(m.file_id for m in members if m.file_id in anchors)
    remote_id = kept[0] if kept else min(m.file_id for m in members)
    rec = primary.rec
    doc = next((d for m in members for d in _docs(m.facts.nfo) if d.kind in ("movie", "url")), None)
    values: dict[str, Any] = {"title": rec.title, "year": rec.year, "ids": dict(rec.ids)}
    nfo_fields = _apply_nfo(values, doc)
    versions: dict[str | None, list[str]] = {}
    for m in members:
        versions.setdefault(m.rec.edition, []).append(m.path)
    extra: dict[str, Any] = {
        "path": primary.path,
        "status": "unidentified",
        "parse": msgspec.to_builtins(rec),
        "file_id": primary.file_id,
        "files": [m.describe() for m in members],
        "parts": versions[rec.edition],
        "nfo_fields": nfo_fields,
        "match": {"title": values["title"], "year": values["year"], "ids": values["ids"]},
    }
    if len(versions) > 1:
        extra["versions"] = [{"edition": k, "parts": v} for k, v in versions.items()]
    return ItemRecord(
        remote_id=remote_id,
        type="movie",
        title=values["title"] or Path(primary.facts.path).stem,
        library_remote_id=library_id(primary.root),
        original_title=values.get("original_title"),
        sort_title=values.get("sort_title"),
        year=values["year"],
        overview=values.get("overview"),
        duration_ms=values.get("duration_ms"),
        rating=values.get("rating"),
        genres=values.get("genres") or [],
        ids={k: str(v) for k, v in values["ids"].items() if k in ID_KEYS},
        stream={"path": primary.path},
        extra=extra,
    )


def _show(key: str, members: list[_File], nfo: tuple[str, NfoFacts] | None) -> list[ItemRecord]:
    members.sort(key=lambda f: (f.root, f.facts.path))
    first = members[0].rec
    values: dict[str, Any] = {"title": first.title, "year": first.year, "ids": dict(first.ids)}
    folder = nfo[0] if nfo else None
    if folder is None and first.show_folder:
        folder = str(Path(members[0].root) / first.show_folder)
    doc = next((d for d in _docs(nfo[1] if nfo else None) if d.kind in ("tvshow", "url")), None)
    nfo_fields = _apply_nfo(values, doc)
    library = library_id(members[0].root)
    show = ItemRecord(
        remote_id=key,
        type="show",
        title=values["title"],
        library_remote_id=library,
        original_title=values.get("original_title"),
        sort_title=values.get("sort_title"),
        year=values["year"],
        overview=values.get("overview"),
        rating=values.get("rating"),
        genres=values.get("genres") or [],
        ids={k: str(v) for k, v in values["ids"].items() if k in ID_KEYS},
        extra={
            "path": folder,
            "status": "unidentified",
            "nfo_fields": nfo_fields,
            "match": {"title": values["title"], "year": values["year"], "ids": values["ids"]},
        },
    )
    out = [show]
    seasons: dict[int, str] = {}
    episodes: list[ItemRecord] = []
    for f in members:
        rec = f.rec
        number = rec.season if rec.season is not None else rec.date.year if rec.date else 1
        season_id = seasons.setdefault(number, f"{key}:s{number}")
        episodes.extend(_episodes(f, number, season_id, library))
    for number, season_id in sorted(seasons.items()):
        out.append(
            ItemRecord(
                remote_id=season_id,
                type="season",
                title="Specials" if number == 0 else f"Season {number}",
                library_remote_id=library,
                parent_remote_id=key,
                season=number,
                extra={"status": "unidentified"},
            )
        )
    out.extend(episodes)
    return out


def _episodes(f: _File, season: int, season_id: str, library: str) -> list[ItemRecord]:
    rec = f.rec
    numbers: list[int | None] = list(rec.episodes) or [rec.absolute]
    docs = [d for d in _docs(f.facts.nfo) if d.kind == "episodedetails"]
    out = []
    for i, number in enumerate(numbers):
        doc = next((d for d in docs if number is not None and d.episode == number), None)
        if doc is None and i < len(docs) and len(docs) == len(numbers):
            doc = docs[i]
        label = f"Episode {number}" if number is not None else (str(rec.date) or f.facts.path)
        values: dict[str, Any] = {"title": rec.episode_title or label, "year": None, "ids": {}}
        nfo_fields = _apply_nfo(values, doc)
        extra: dict[str, Any] = {
            "path": f.path,
            "status": "unidentified",
            "parse": msgspec.to_builtins(rec),
            "file_id": f.file_id,
            "files": [f.describe()],
            "nfo_fields": nfo_fields,
        }
        if len(numbers) > 1:
            extra["multi"] = list(numbers)
        if rec.absolute is not None:
            extra["absolute"] = rec.absolute
        if rec.date is not None:
            extra["aired"] = rec.date.isoformat()
        out.append(
            ItemRecord(
                remote_id=f.file_id if i == 0 else f"{f.file_id}#e{number}",
                type="episode",
                title=values["title"],
                library_remote_id=library,
                parent_remote_id=season_id,
                year=values["year"],
                overview=values.get("overview"),
                duration_ms=values.get("duration_ms"),
                rating=values.get("rating"),
                ids={k: str(v) for k, v in values["ids"].items() if k in ID_KEYS},
                season=season,
                episode=number,
                stream={"path": f.path},
                extra=extra,
            )
        )
    return out
