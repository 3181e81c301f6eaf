"""Typed, liberal decoding of player_api.php answers.

Panels differ in every detail: ids and numbers arrive as ints or strings, categories as
null, "" or lists, `info` as `[]` where an object belongs, listings as objects keyed by
position. Fields are declared as unions of scalars and normalised afterwards, so the fast
path is one msgspec call per listing; only a listing that fails it is decoded element by
element, skipping (and counting) the entries nothing can be made of. Anything that is not
JSON at all is a `BadResponse` naming the call.

Listing entries hold only scalars and lists of scalars, so they cannot be part of a
reference cycle: `gc=False` keeps the 100k of them out of the cyclic collector, whose
full passes over a growing heap otherwise cost a second of a big sync.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec

from reel.sources.errors import BadResponse, InvalidAuth

log = logging.getLogger(__name__)

Scalar = bool | int | float | str | None
T = TypeVar("T")
_MAX_UNIX = 4_102_444_800  # 2100-01-01: later stamps are junk, not dates


class Category(msgspec.Struct, gc=False):
    category_id: Scalar = None
    category_name: Scalar = None


class LiveStream(msgspec.Struct, gc=False):
    stream_id: Scalar
    num: Scalar = None
    name: Scalar = None
    stream_type: Scalar = None
    stream_icon: Scalar = None
    epg_channel_id: Scalar = None
    added: Scalar = None
    category_id: Scalar = None
    category_ids: list[Any] | Scalar = None
    tv_archive: Scalar = None
    tv_archive_duration: Scalar = None


class VodStream(msgspec.Struct, gc=False):
    stream_id: Scalar
    num: Scalar = None
    name: Scalar = None
    title: Scalar = None
    year: Scalar = None
    stream_icon: Scalar = None
    rating: Scalar = None
    added: Scalar = None
    category_id: Scalar = None
    category_ids: list[Any] | Scalar = None
    container_extension: Scalar = None
    tmdb: Scalar = None
    tmdb_id: Scalar = None
    plot: Scalar = None
    genre: Scalar = None
    release_date: Scalar = None
    release_date_camel: Scalar = msgspec.field(default=None, name="releaseDate")
    episode_run_time: Scalar = None


class Series(msgspec.Struct, gc=False):
    series_id: Scalar
    num: Scalar = None
    name: Scalar = None
    title: Scalar = None
    year: Scalar = None
    cover: Scalar = None
    plot: Scalar = None
    genre: Scalar = None
    release_date: Scalar = None
    release_date_camel: Scalar = msgspec.field(default=None, name="releaseDate")
    last_modified: Scalar = None
    rating: Scalar = None
    backdrop_path: list[Any] | Scalar = None
    episode_run_time: Scalar = None
    category_id: Scalar = None
    category_ids: list[Any] | Scalar = None
    tmdb: Scalar = None
    tmdb_id: Scalar = None


class UserInfo(msgspec.Struct):
    auth: Scalar = None
    status: Scalar = None
    exp_date: Scalar = None
    is_trial: Scalar = None
    active_cons: Scalar = None
    created_at: Scalar = None
    max_connections: Scalar = None
    allowed_output_formats: list[Any] | Scalar = None
    message: Scalar = None


class ServerInfo(msgspec.Struct):
    url: Scalar = None
    timezone: Scalar = None
    timestamp_now: Scalar = None
    server_protocol: Scalar = None


class Account(msgspec.Struct):
    user_info: UserInfo | list[Any] | Scalar = None
    server_info: ServerInfo | list[Any] | Scalar = None


# ---- scalar normalisation ------------------------------------------------------------
def text(value: object) -> str | None:
    """A stripped, non-empty string, or None."""
    kind = type(value)
    if kind is str:  # the common case first: these run a dozen times per entry
        result: str = value.strip()  # type: ignore[attr-defined]
        return result or None
    if kind is int:
        return str(value)
    if kind is float:
        number: float = value  # type: ignore[assignment]
        if not math.isfinite(number):
            return None
        return str(int(number)) if number.is_integer() else str(number)
    return None


def ident(value: object) -> str | None:
    """An id as a string: 123, "123", " 0123" and 123.0 all give "123"."""
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is str:  # inlined text(): ids are looked up several times per entry
        result: str | None = value.strip()  # type: ignore[attr-defined]
        if not result:
            return None
    else:
        result = text(value)
        if result is None:
            return None
    if result[0] == "0" and result.isascii() and result.isdigit():
        return str(int(result))
    return result


def to_int(value: object) -> int | None:
    if value is None:
        return None
    kind = type(value)
    if kind is int:
        return value  # type: ignore[return-value]
    if kind is bool:
        return None
    if isinstance(value, int):  # an int subclass
        return value
    number = to_float(value)
    return int(number) if number is not None else None


def to_float(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def unix_time(value: object) -> datetime | None:
    """Panels send unix times as ints or digit strings; 0, junk and far futures mean unknown."""
    if type(value) is str and value.isascii() and value.strip().isdigit():
        stamp: int | None = int(value)  # the usual digit string, without a float round trip
    else:
        stamp = to_int(value)
    if stamp is None or stamp <= 0 or stamp > _MAX_UNIX:
        return None
    return datetime.fromtimestamp(stamp, UTC)


def stamp(value: object) -> str | None:
    """A unix time normalised for comparison: 1685447913, "1685447913 " -> "1685447913"."""
    moment = unix_time(value)
    return str(int(moment.timestamp())) if moment is not None else None


def id_list(value: object) -> list[str]:
    if isinstance(value, list):
        return [i for i in (ident(v) for v in value) if i is not None]
    single = ident(value)
    return [single] if single else []


# ---- whole answers -------------------------------------------------------------------
def check_auth(obj: object, source: str) -> None:
    """Classic panels answer bad credentials with 200 and `{"user_info":{"auth":0}}`."""
    if isinstance(obj, dict) and isinstance(obj.get("user_info"), dict):
        auth = obj["user_info"].get("auth")
        if auth is not None and str(auth).strip().lower() in ("0", "false", ""):
            raise InvalidAuth(f"bad credentials for source {source}")


def _decode_one(raw: msgspec.Raw, type_: type[T]) -> T | None:
    try:
        return msgspec.json.decode(raw, type=type_)
    except msgspec.ValidationError:
        return None


def decode_list(body: bytes, type_: type[T], what: str, source: str) -> list[T] | None:
    """The entries of a listing; None when the panel sent `null` (nothing we can trust).

    An object keyed by position (PHP arrays with gaps) counts as a list.
    """
    try:
        return msgspec.json.decode(body, type=list[type_])  # type: ignore[valid-type]
    except msgspec.ValidationError:
        pass
    except msgspec.DecodeError:
        raise BadResponse(f"server returned malformed JSON for {what}") from None
    try:
        raw: Any = msgspec.json.decode(body, type=list[msgspec.Raw] | dict[str, msgspec.Raw] | None)
    except msgspec.ValidationError:
        raise BadResponse(f"server returned unexpected JSON for {what}") from None
    except msgspec.DecodeError:
        raise BadResponse(f"server returned malformed JSON for {what}") from None
    if raw is None:
        return None
    if isinstance(raw, dict):
        if "user_info" in raw:
            check_auth(msgspec.json.decode(body), source)
            raise BadResponse(f"server returned account info instead of a listing for {what}")
        raw = list(raw.values())
    decoded = [_decode_one(r, type_) for r in raw]
    out = [d for d in decoded if d is not None]
    if len(out) < len(decoded):
        log.warning(
            "%s: skipped %d malformed entries of %d", what, len(decoded) - len(out), len(decoded)
        )
    return out


def decode_account(body: bytes, source: str) -> tuple[UserInfo, ServerInfo]:
    try:
        generic = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise BadResponse("server returned malformed JSON for account info") from None
    check_auth(generic, source)
    try:
        account = msgspec.convert(generic, Account)
    except msgspec.ValidationError:
        raise BadResponse("server returned unexpected JSON for account info") from None
    if not isinstance(account.user_info, UserInfo):
        raise BadResponse("server returned no user_info for account info")
    server = account.server_info if isinstance(account.server_info, ServerInfo) else ServerInfo()
    return account.user_info, server


def decode_any(body: bytes, what: str) -> Any:
    """Small answers (series info, VOD info, short EPG) are walked as plain objects."""
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise BadResponse(f"server returned malformed JSON for {what}") from None


def convert(obj: object, type_: type[T]) -> T | None:
    """One nested object (an episode, a season) or None when it is not one."""
    if not isinstance(obj, dict):
        return None
    try:
        return msgspec.convert(obj, type_)
    except msgspec.ValidationError:
        return None
