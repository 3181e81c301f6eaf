"""The provider response cache in the database (`metadata_cache`), shared by every
process of one install, so a restart or a second worker never asks TMDB twice."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from reel.catalog.models import Base
from reel.catalog.types import utcnow

CACHE = Base.metadata.tables["metadata_cache"]
_MAX_KEY = 400


def _key(key: str) -> str:
    """Keys fit the column: a long one keeps its head and gains a digest of the whole."""
    if len(key) <= _MAX_KEY:
        return key
    return key[:300] + "#" + hashlib.sha256(key.encode()).hexdigest()


class DbCache:
    """`ResponseCache` over the `metadata_cache` table; expired rows read as absent."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.hits = 0
        self.misses = 0

    def _get(self, key: str) -> bytes | None:
        key = _key(key)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(CACHE.c.value, CACHE.c.expires_at).where(CACHE.c.key == key)
            ).first()
        if row is None or row.expires_at <= utcnow():
            return None
        return bytes(row.value)

    def _set(self, key: str, value: bytes, ttl_s: float) -> None:
        key = _key(key)
        expires = utcnow() + timedelta(seconds=ttl_s)
        with self.engine.begin() as conn:
            done = conn.execute(
                update(CACHE).where(CACHE.c.key == key).values(value=value, expires_at=expires)
            )
            if done.rowcount:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(CACHE).values(key=key, value=value, expires_at=expires))
        except IntegrityError:  # another process stored the same answer first
            pass

    async def get(self, key: str) -> bytes | None:
        value = await asyncio.to_thread(self._get, key)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        await asyncio.to_thread(self._set, key, value, ttl_s)

    def purge_expired(self) -> int:
        """Drop expired answers; returns how many."""
        with self.engine.begin() as conn:
            return int(conn.execute(delete(CACHE).where(CACHE.c.expires_at <= utcnow())).rowcount)
