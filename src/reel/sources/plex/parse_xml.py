"""XML answers (the default Plex format, and plex.tv's legacy `/api/resources`) as the same
typed structs the JSON path uses.

Reel asks for JSON, but some servers, proxies and captured fixtures speak only XML. Each
element becomes a dict of its attributes plus lists of child elements keyed by tag, which
`parse.convert` turns into structs; defusedxml refuses entity tricks.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from reel.sources.errors import BadResponse
from reel.sources.plex.parse import (
    Device,
    ItemContainer,
    SectionContainer,
    ServerRoot,
    convert,
)

# Tags under a listing's MediaContainer that are metadata items in JSON's `Metadata` list.
_ITEM_TAGS = frozenset({"Video", "Directory", "Track", "Photo", "Episode"})


def _root(body: bytes | str, what: str) -> Element:
    try:
        root = fromstring(body)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise BadResponse(f"unexpected answer to {what}: {exc}") from None
    if root is None:
        raise BadResponse(f"unexpected answer to {what}: empty document")
    return root


def _element(el: Element) -> dict[str, Any]:
    data: dict[str, Any] = dict(el.attrib)
    for child in el:
        if child.tag == "Part" and el.tag != "Media":
            # Some captures list Part beside Media rather than inside it: attach it.
            media = data.setdefault("Media", [])
            if not media:
                media.append({})
            media[-1].setdefault("Part", []).append(_element(child))
            continue
        data.setdefault(child.tag, []).append(_element(child))
    return data


def items(body: bytes | str, what: str = "a listing") -> ItemContainer:
    """A `/library/sections/{id}/all`, `/children` or `/library/metadata/{id}` answer."""
    root = _root(body, what)
    data: dict[str, Any] = dict(root.attrib)
    data["Metadata"] = [_element(child) for child in root if child.tag in _ITEM_TAGS]
    return convert(data, ItemContainer, what)


def sections(body: bytes | str, what: str = "the library sections") -> SectionContainer:
    """A `/library/sections` answer."""
    root = _root(body, what)
    dirs = [dict(child.attrib) for child in root if child.tag == "Directory"]
    return convert({"Directory": dirs}, SectionContainer, what)


def server_root(body: bytes | str, what: str = "the server root") -> ServerRoot:
    """`GET /` or `/identity`: name, version and machine identifier."""
    return convert(dict(_root(body, what).attrib), ServerRoot, what)


def resources(body: bytes | str, what: str = "the plex.tv resources") -> list[Device]:
    """plex.tv's XML resources: legacy `<Device><Connection/>` or v2 `<resource><connections>`."""
    root = _root(body, what)
    devices = []
    for child in root:
        if child.tag not in ("Device", "resource"):
            continue
        data: dict[str, Any] = dict(child.attrib)
        conns = [c for c in child if c.tag == "Connection"]
        for group in child.iter("connections"):
            conns.extend(c for c in group if c.tag == "connection")
        data["connections"] = [dict(c.attrib) for c in conns]
        devices.append(data)
    return convert(devices, list[Device], what)
