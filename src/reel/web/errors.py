"""The one place where failures become HTTP answers: `{"error": "<what to do>"}`.

ReelError carries its status; adapter errors map to 502/503 (the source, not Reel, is at
fault); validation errors list the fields; anything else is a bug, logged with its
traceback and answered 500 without internals.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from reel.errors import ReelError
from reel.playback.state import is_contention
from reel.sources.errors import CannotConnect, InvalidAuth, SourceError

log = logging.getLogger(__name__)

_encoder = msgspec.json.Encoder()
BUSY_RETRY_S = 2


def json_response(
    data: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response encoded by msgspec (structs, datetimes) — faster than the default."""
    return Response(
        _encoder.encode(data),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )


def error_response(
    message: str, status_code: int, headers: dict[str, str] | None = None
) -> Response:
    return json_response({"error": message}, status_code, headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{where or 'request'}: {err.get('msg', 'invalid')}")
    return "invalid request — " + "; ".join(parts)


async def _reel_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ReelError)
    headers = None
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, int):
        headers = {"Retry-After": str(retry_after)}
    return error_response(str(exc) or type(exc).__name__, exc.status_code, headers)


async def _source_error(_request: Request, exc: Exception) -> Response:
    if isinstance(exc, CannotConnect):
        status = 503
    elif isinstance(exc, InvalidAuth):
        status = 502
    else:
        status = 502
    return error_response(str(exc) or "the source answered with an error", status)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(_validation_message(exc), 422)


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404 and detail == "Not Found":
        detail = "no such endpoint (see /openapi.json)"
    elif exc.status_code == 405:
        detail = "method not allowed on this endpoint"
    return error_response(detail, exc.status_code, dict(exc.headers or {}) or None)


async def _data_error(request: Request, exc: Exception) -> Response:
    """The database refused a value taken from the request (a NUL byte, a number out of
    range): the caller's input, not a server fault."""
    log.info(
        "database refused request data on %s %s: %s",
        request.method,
        request.url.path,
        str(getattr(exc, "orig", exc)).splitlines()[0],
    )
    return error_response(
        "the request contains a value the catalog cannot store or match "
        "(control characters or out-of-range numbers)",
        400,
    )


async def _operational(request: Request, exc: Exception) -> Response:
    """Lock contention (SQLite's busy timeout ran out while a sync held the write lock, a
    PostgreSQL lock wait) is the server being busy, not broken: 503, try again shortly."""
    assert isinstance(exc, OperationalError)
    if is_contention(exc):
        log.warning("database busy on %s %s: %s", request.method, request.url.path, exc.orig)
        return error_response(
            "the catalog is busy with another write (a sync, most likely); "
            f"try again in {BUSY_RETRY_S} s",
            503,
            {"Retry-After": str(BUSY_RETRY_S)},
        )
    return await _unexpected(request, exc)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response("internal error; the server log has the details", 500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ReelError, _reel_error)
    app.add_exception_handler(SourceError, _source_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(OperationalError, _operational)
    app.add_exception_handler(Exception, _unexpected)
