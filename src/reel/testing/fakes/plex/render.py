"""Plex's two wire formats from one shape: a node is a dict whose list values are child
elements (`Media`, `Genre`, `Guid`…) and whose other values are attributes.

JSON (`Accept: application/json`) is that dict under `MediaContainer`, items in `Metadata`
(sections in `Directory`); XML, the default, is the same tree with items as `<Video>` or
`<Directory>` elements, as python-plexapi expects. Absent values (a zero `viewCount`, no
`lastViewedAt`) are left out, as the real server does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

import orjson

from reel.testing.fakes.plex.library import PART_SIZE, Item, Library, Section

Node = dict[str, Any]
IDENTIFIER = "com.plexapp.plugins.library"
MEDIA_TAG_VERSION = "1700000000"
XML_TAGS = {"movie": "Video", "episode": "Video", "show": "Directory", "season": "Directory"}


def item_node(lib: Library, item: Item, *, guids: bool, detail: bool = False) -> Node:
    """The metadata element of one item as a listing (or, with `detail`, a detail) shows it."""
    section = lib.section(item.section)
    thumb_ts = item.updated_at
    art_key = item.grandparent or item.parent or item.rating_key
    node: Node = {
        "ratingKey": str(item.rating_key),
        "key": item.key,
        "guid": f"plex://{item.type}/{item.rating_key:024x}",
        "type": item.type,
        "title": item.title,
        "librarySectionID": item.section,
        "librarySectionKey": f"/library/sections/{item.section}",
        "librarySectionTitle": section.title if section else "",
        "summary": item.summary,
        "index": item.index,
        "parentIndex": item.parent_index,
        "year": item.year,
        "rating": item.rating,
        "audienceRating": item.audience_rating,
        "contentRating": item.content_rating,
        "studio": item.studio,
        "thumb": f"/library/metadata/{item.rating_key}/thumb/{thumb_ts}",
        "art": f"/library/metadata/{art_key}/art/{thumb_ts}",
        "duration": item.duration,
        "addedAt": item.added_at,
        "updatedAt": item.updated_at,
        "viewCount": item.view_count or None,
        "viewOffset": item.view_offset or None,
        "lastViewedAt": item.last_viewed_at,
    }
    parent = lib.items.get(item.parent) if item.parent else None
    if parent is not None:
        node.update(
            parentRatingKey=str(parent.rating_key),
            parentKey=f"/library/metadata/{parent.rating_key}",
            parentTitle=parent.title,
            parentThumb=f"/library/metadata/{parent.rating_key}/thumb/{thumb_ts}",
        )
    grand = lib.items.get(item.grandparent) if item.grandparent else None
    if grand is not None:
        node.update(
            grandparentRatingKey=str(grand.rating_key),
            grandparentKey=f"/library/metadata/{grand.rating_key}",
            grandparentTitle=grand.title,
            grandparentThumb=f"/library/metadata/{grand.rating_key}/thumb/{thumb_ts}",
        )
    if item.type in ("show", "season"):
        leaves = lib.leaves(item)
        node["leafCount"] = len(leaves)
        node["viewedLeafCount"] = sum(1 for leaf in leaves if leaf.view_count)
        node["childCount"] = len(item.children)
    node = {k: v for k, v in node.items() if v is not None}
    if item.part_key:
        node["Media"] = [_media(item, detail)]
    if item.genres:
        node["Genre"] = [{"tag": g} for g in item.genres]
    if guids and item.guids:
        node["Guid"] = [{"id": g} for g in item.guids]
    return node


def _media(item: Item, detail: bool) -> Node:
    part: Node = {
        "id": item.part_id,
        "key": item.part_key,
        "duration": item.duration,
        "file": f"/data/media/{item.rating_key}.{item.container}",
        "size": PART_SIZE,
        "container": item.container,
    }
    if detail:
        part["Stream"] = [
            {"id": item.rating_key * 10, "streamType": 1, "codec": "h264", "index": 0},
            {
                "id": item.rating_key * 10 + 1,
                "streamType": 2,
                "codec": "aac",
                "index": 1,
                "channels": 2,
                "selected": True,
            },
        ]
    return {
        "id": item.part_id,
        "duration": item.duration,
        "bitrate": 4000,
        "width": 1920,
        "height": 1080,
        "audioChannels": 2,
        "audioCodec": "aac",
        "videoCodec": "h264",
        "videoResolution": "1080",
        "container": item.container,
        "videoFrameRate": "24p",
        "Part": [part],
    }


_CHEAP_FIELDS = {
    "ratingKey": lambda i: str(i.rating_key),
    "type": lambda i: i.type,
    "title": lambda i: i.title,
    "viewCount": lambda i: i.view_count or None,
    "viewOffset": lambda i: i.view_offset or None,
    "lastViewedAt": lambda i: i.last_viewed_at,
    "updatedAt": lambda i: i.updated_at,
    "addedAt": lambda i: i.added_at,
}


def _names(value: str | None) -> frozenset[str] | None:
    return frozenset(value.split(",")) if value else None


@dataclass(frozen=True)
class Shape:
    """A request's `includeFields`/`excludeFields`/`includeElements`/`excludeElements`,
    read once per request (a listing applies them to every item).

    `includeFields` means "only these" since API 1.0 (`X-Plex-Pms-Api-Version`); before, it
    asked for optional extras, which this fake does not have, so it changes nothing.
    """

    keep: frozenset[str] | None
    drop: frozenset[str]
    keep_elements: frozenset[str] | None
    drop_elements: frozenset[str]
    # `includeFields` naming only plain columns: such items are built from those alone.
    cheap: tuple[str, ...] | None

    @classmethod
    def of(cls, params: dict[str, str], api_1: bool) -> Shape | None:
        """The request's shape, or None when it asks for whole items."""
        include = params.get("includeFields") if api_1 else None
        exclude = params.get("excludeFields")
        inc_el, exc_el = params.get("includeElements"), params.get("excludeElements")
        if not (include or exclude or inc_el or exc_el):
            return None
        fields = tuple(include.split(",")) if include else ()
        return cls(
            keep=_names(include),
            drop=_names(exclude) or frozenset(),
            keep_elements=_names(inc_el),
            drop_elements=_names(exc_el) or frozenset(),
            cheap=fields if fields and all(f in _CHEAP_FIELDS for f in fields) else None,
        )

    def cheap_node(self, item: Item) -> Node | None:
        """The item from its plain columns alone, when that is all the request names (the
        server reads only those columns, which is why such listings are cheap)."""
        if self.cheap is None:
            return None
        node = {f: _CHEAP_FIELDS[f](item) for f in self.cheap}
        return {k: v for k, v in node.items() if v is not None}

    def apply(self, node: Node) -> Node:
        keep, drop = self.keep, self.drop
        keep_el, drop_el = self.keep_elements, self.drop_elements
        out: Node = {}
        for key, value in node.items():
            if isinstance(value, list):
                if key in drop_el or (keep_el is not None and key not in keep_el):
                    continue
            elif key in drop or (keep is not None and key not in keep):
                continue
            out[key] = value
        return out


def section_node(lib: Library, section: Section) -> Node:
    count = len(lib.of(section.key, section.type))
    return {
        "allowSync": True,
        "art": f"/:/resources/{section.type}-fanart.jpg",
        "composite": f"/library/sections/{section.key}/composite/{MEDIA_TAG_VERSION}",
        "filters": True,
        "refreshing": False,
        "thumb": f"/:/resources/{section.type}.png",
        "key": str(section.key),
        "type": section.type,
        "title": section.title,
        "agent": section.agent,
        "scanner": section.scanner,
        "language": "en-US",
        "uuid": section.uuid,
        "updatedAt": 1700000000,
        "createdAt": 1600000000,
        "scannedAt": 1700000000,
        "content": True,
        "directory": True,
        "contentChangedAt": 100000 + count,
        "hidden": 0,
        "Location": [
            {"id": section.key, "path": f"/data/{section.title.lower().replace(' ', '')}"}
        ],
    }


def _xml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _xml_element(tag: str, node: Node, out: list[str]) -> None:
    attrs = "".join(
        f" {k}={quoteattr(_xml_value(v))}" for k, v in node.items() if not isinstance(v, list)
    )
    children = [(k, v) for k, v in node.items() if isinstance(v, list)]
    if not children:
        out.append(f"<{tag}{attrs} />")
        return
    out.append(f"<{tag}{attrs}>")
    for child_tag, values in children:
        for child in values:
            _xml_element(child_tag, child, out)
    out.append(f"</{tag}>")


def container(
    attrs: Node,
    children: list[Node],
    *,
    json: bool,
    child_key: str = "Metadata",
    xml_tags: list[str] | None = None,
) -> bytes:
    """A MediaContainer document; `xml_tags` names each child's XML element."""
    if json:
        body = dict(attrs)
        if children:
            body[child_key] = children
        return orjson.dumps({"MediaContainer": body})
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    head = "".join(f" {k}={quoteattr(_xml_value(v))}" for k, v in attrs.items())
    out.append(f"<MediaContainer{head}>")
    for i, child in enumerate(children):
        _xml_element(xml_tags[i] if xml_tags else child_key, child, out)
    out.append("</MediaContainer>\n")
    return "".join(out).encode()


def item_tags(items: list[Item]) -> list[str]:
    return [XML_TAGS.get(i.type, "Video") for i in items]
