"""Plex media-query filters as the fake understands them: `field=v`, `field!=v`,
`field>>=v` (after/greater), `field<<=v`, `field>=v`, `field<=v`, comma for OR, and relative
dates such as `-3d`. The operator sits in the parameter name (`updatedAt>>` = `123`).
Boolean filters take `=1`/`=0`: `unwatched` (no `viewCount`) and `inProgress` (a resume
point, `viewOffset` > 0)."""

from __future__ import annotations

import re
import time

from starlette.requests import Request

from reel.testing.fakes.plex.library import Item

_FIELDS = {
    "updatedAt": lambda i: i.updated_at,
    "addedAt": lambda i: i.added_at,
    "lastViewedAt": lambda i: i.last_viewed_at,
    "viewCount": lambda i: i.view_count,
    "viewOffset": lambda i: i.view_offset,
    "year": lambda i: i.year,
    "index": lambda i: i.index,
    "parentIndex": lambda i: i.parent_index,
}
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800, "mon": 2592000, "y": 31536000}


def _number(value: str) -> int | None:
    rel = re.fullmatch(r"([+-]\d+)(mon|[mhdwy])?", value)
    if rel:  # relative dates: -3d is three days ago
        return int(time.time()) + int(rel.group(1)) * _UNITS.get(rel.group(2) or "", 1)
    try:
        return int(float(value))
    except ValueError:
        return None


def filters(request: Request) -> list[tuple[str, str, list[int | None]]]:
    out = []
    for key, value in request.query_params.multi_items():
        for op in (">>", "<<", ">", "<", "!", ""):
            if key.endswith(op) and key[: len(key) - len(op)] in _FIELDS:
                field = key[: len(key) - len(op)]
                out.append((field, op, [_number(v) for v in value.split(",")]))
                break
    return out


_BOOLEANS = {
    "unwatched": lambda i: i.view_count == 0,
    "inProgress": lambda i: i.view_offset > 0,
}


def booleans(request: Request) -> list[tuple[str, bool]]:
    """`unwatched=1`, `inProgress=0` and the like, in request order."""
    return [
        (key, value not in ("0", "false"))
        for key, value in request.query_params.multi_items()
        if key in _BOOLEANS
    ]


def match(
    item: Item,
    filters: list[tuple[str, str, list[int | None]]],
    flags: list[tuple[str, bool]] | None = None,
) -> bool:
    for name, wanted in flags or ():
        if _BOOLEANS[name](item) != wanted:
            return False
    for field, op, values in filters:
        have = _FIELDS[field](item)
        if field in ("viewCount", "viewOffset"):
            have = have or 0
        ok = False
        for want in values:
            if want is None:
                continue
            if op == "!":
                ok = have != want
            elif have is None:
                ok = False
            elif op == ">>":
                ok = have > want
            elif op == "<<":
                ok = have < want
            elif op == ">":
                ok = have >= want
            elif op == "<":
                ok = have <= want
            else:
                ok = have == want
            if ok:
                break
        if not ok:
            return False
    return True
