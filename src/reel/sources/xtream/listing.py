"""One big listing split into entries the catalog already holds and entries to convert.

Converting a panel entry into an `ItemRecord` (titles cleaned, years found, numbers
normalised) costs far more than recognising that the entry did not change. So each entry
is first cut out of the body as raw JSON (msgspec's `Raw`, no copy) and hashed; an entry
whose digest is the one the catalog stored for it last time is only named in
`present_ids`, and only the rest is decoded and converted. The digest is keyed with the
item type, the categories the panel listed (an entry's category resolves against them)
and `CONVERSION_VERSION`, so a change to any of those reconverts everything once.

A fresh catalog has nothing to match: the whole body is then decoded in one typed call,
as before. Panels list some streams twice; the first occurrence wins either way.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec

from reel.sources.errors import BadResponse
from reel.sources.xtream import parse

log = logging.getLogger(__name__)

T = TypeVar("T")
# Bump when items.py converts entries differently: stored digests then stop matching.
CONVERSION_VERSION = b"xtream-items-1"


@dataclass
class Split(Generic[T]):
    """Entries to convert (with their digests) and ids of entries known unchanged."""

    entries: list[tuple[T, str]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    null: bool = False  # the panel answered `null`: nothing to trust, nothing to sweep


def digest_key(item_type: str, categories: set[str]) -> bytes:
    """The blake2b key every entry digest of one listing is made with."""
    salt = hashlib.blake2b(CONVERSION_VERSION, digest_size=16)
    salt.update(item_type.encode())
    for category in sorted(categories):
        salt.update(b"\x00" + category.encode())
    return salt.digest()


def entry_digest(raw: Any, key: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16, key=key).hexdigest()


def _raw_entries(body: bytes, what: str, source: str) -> list[msgspec.Raw] | None:
    try:
        raw: Any = msgspec.json.decode(body, type=list[msgspec.Raw] | dict[str, msgspec.Raw] | None)
    except msgspec.ValidationError:
        raise BadResponse(f"server returned unexpected JSON for {what}") from None
    except msgspec.DecodeError:
        raise BadResponse(f"server returned malformed JSON for {what}") from None
    if isinstance(raw, dict):
        if "user_info" in raw:
            parse.check_auth(msgspec.json.decode(body), source)
            raise BadResponse(f"server returned account info instead of a listing for {what}")
        return list(raw.values())
    return raw


def _decode_each(
    raws: list[msgspec.Raw], type_: type[T], what: str, whole: bytes | None
) -> list[T | None]:
    """Typed entries in order; None for an entry nothing can be made of (logged).

    `whole` is the body when every entry is wanted and it is a plain list: decoding it
    directly saves joining a copy of it.
    """
    if not raws:
        return []
    try:  # one call for all of them: the common case
        joined = whole if whole is not None else b"[" + b",".join(raws) + b"]"
        return msgspec.json.decode(joined, type=list[type_])  # type: ignore[valid-type]
    except msgspec.ValidationError:
        pass
    out: list[T | None] = []
    for raw in raws:
        try:
            out.append(msgspec.json.decode(raw, type=type_))
        except msgspec.ValidationError:
            out.append(None)
    bad = sum(1 for entry in out if entry is None)
    log.warning("%s: skipped %d malformed entries of %d", what, bad, len(out))
    return out


@dataclass
class RawSplit:
    """A body cut into raw entries with their digests, before anything is decoded."""

    raws: list[msgspec.Raw] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    hits: list[str | None] = field(default_factory=list)  # the stored remote id, if unchanged
    plain_list: bool = False
    null: bool = False

    @property
    def all_new(self) -> bool:
        """Nothing matched a stored digest: every entry is to be converted."""
        return not any(self.hits)


def split_raw(
    body: bytes, *, key: bytes, known: Mapping[str, str], what: str, source: str
) -> RawSplit:
    """Cut `body` into raw entries and match their digests against `known`."""
    raws = _raw_entries(body, what, source)
    if raws is None:
        return RawSplit(null=True)
    digests = [entry_digest(raw, key) for raw in raws]
    hits: list[str | None] = [known.get(d) for d in digests] if known else [None] * len(raws)
    return RawSplit(raws, digests, hits, plain_list=body[:64].lstrip()[:1] == b"[")


def decode_split(
    split: RawSplit,
    body: bytes,
    type_: type[T],
    id_field: str,
    *,
    what: str,
    seen: set[str] | None = None,
) -> Split[T]:
    """Decode the entries `split` did not match; drop repeats (the first occurrence wins)."""
    if split.null:
        return Split(null=True)
    raws, digests, hits = split.raws, split.digests, split.hits
    todo = [raw for raw, hit in zip(raws, hits, strict=True) if hit is None]
    whole = body if split.plain_list and len(todo) == len(raws) else None
    decoded = iter(_decode_each(todo, type_, what, whole))
    del todo
    out: Split[T] = Split()
    seen = set() if seen is None else seen
    for digest, hit in zip(digests, hits, strict=True):
        if hit is not None:
            if hit not in seen:
                seen.add(hit)
                out.unchanged.append(hit)
            continue
        entry = next(decoded)
        if entry is None:
            continue
        remote_id = parse.ident(getattr(entry, id_field))
        if remote_id is None or remote_id in seen:
            continue
        seen.add(remote_id)
        out.entries.append((entry, digest))
    return out


def split_listing(
    body: bytes,
    type_: type[T],
    id_field: str,
    *,
    key: bytes,
    known: Mapping[str, str],
    what: str,
    source: str,
) -> Split[T]:
    """Cut `body` into entries; `known` maps a stored digest to the remote id it was for."""
    split = split_raw(body, key=key, known=known, what=what, source=source)
    return decode_split(split, body, type_, id_field, what=what)
