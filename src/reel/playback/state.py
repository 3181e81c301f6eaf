"""Positions and watched marks, per user, and which of them still owe a write-back.

Only the account the sources are signed in with (the sync user: `--user`, else the first
admin) is mirrored to the servers, the same account whose server-side state the sync engine
reads; other people's state stays local. A change for the sync user on a source that can
take it is flagged `pending_write_back` in the same transaction, so an offline server
loses nothing: the write-back service clears the flag once the server has it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import msgspec
from sqlalchemy import Connection, and_, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import aliased

from reel.catalog.db import Database, writing
from reel.catalog.models import Base
from reel.catalog.types import utcnow
from reel.catalog.users import resolve_user_id
from reel.errors import InvalidInput, NotFound
from reel.events.bus import EventBus
from reel.events.types import WatchStateChanged
from reel.sources.registry import UnknownSourceKind, adapter_class

log = logging.getLogger(__name__)

PLAYBACK = Base.metadata.tables["playback_state"]
ITEMS = Base.metadata.tables["items"]
SOURCES = Base.metadata.tables["sources"]

PLAYED_FRACTION = 0.9  # like Jellyfin's default: past 90 % counts as watched
PLAYABLE = ("movie", "episode")
CONTAINERS = ("show", "season")
# Attempts of one change when another transaction got in its way: the first row of an
# item inserted by someone else in between, or a PostgreSQL deadlock victim.
ATTEMPTS = 3
RETRY_SQLSTATES = ("40001", "40P01")  # serialization_failure, deadlock_detected
R = TypeVar("R")


class StateView(msgspec.Struct):
    item_id: int
    position_ms: int = 0
    duration_ms: int | None = None
    played: bool = False
    play_count: int = 0
    last_played_at: datetime | None = None
    pending_write_back: bool = False


@dataclass(frozen=True)
class _Target:
    id: int
    type: str
    source_id: int
    source_kind: str
    duration_ms: int | None


def writes_back(kind: str) -> bool:
    """Whether sources of `kind` take watch state back (Plex, Jellyfin)."""
    try:
        return adapter_class(kind).capabilities.progress_write_back
    except (UnknownSourceKind, ImportError, AttributeError):
        return False


class PlaybackService:
    """Reads and writes one catalog's watch state; publishes `watch.changed` after commit."""

    def __init__(
        self, db: Database, bus: EventBus | None = None, sync_user: str | None = None
    ) -> None:
        self.db = db
        self.bus = bus
        self.sync_user = sync_user
        self._kinds: dict[str, bool] = {}

    def _writes_back(self, kind: str) -> bool:
        if kind not in self._kinds:
            self._kinds[kind] = writes_back(kind)
        return self._kinds[kind]

    def sync_user_id(self) -> int:
        return resolve_user_id(self.db, self.sync_user)

    def _target(self, conn: Connection, item_id: int) -> _Target:
        row = conn.execute(
            select(ITEMS.c.id, ITEMS.c.type, ITEMS.c.source_id, ITEMS.c.duration_ms, SOURCES.c.kind)
            .join(SOURCES, SOURCES.c.id == ITEMS.c.source_id)
            .where(ITEMS.c.id == item_id)
        ).first()
        if row is None:
            raise NotFound(f"no item with id {item_id}")
        return _Target(row.id, row.type, row.source_id, row.kind, row.duration_ms)

    def get(self, user_id: int, item_id: int) -> StateView:
        with self.db.engine.connect() as conn:
            target = self._target(conn, item_id)
            row = conn.execute(
                select(PLAYBACK).where(PLAYBACK.c.user_id == user_id, PLAYBACK.c.item_id == item_id)
            ).first()
        if row is None:
            return StateView(item_id=item_id, duration_ms=target.duration_ms)
        return _view(row)

    def set_position(
        self,
        user_id: int,
        item_id: int,
        position_ms: int,
        duration_ms: int | None = None,
    ) -> StateView:
        """Store where playback is; past 90 % of the duration the item counts as watched."""
        if position_ms < 0 or (duration_ms is not None and duration_ms < 0):
            raise InvalidInput("positions and durations are milliseconds, zero or more")
        row = self._write(
            lambda conn: self._set_position(conn, user_id, item_id, position_ms, duration_ms)
        )
        self._publish(user_id, [item_id])
        return _view(row)

    def _set_position(
        self,
        conn: Connection,
        user_id: int,
        item_id: int,
        position_ms: int,
        duration_ms: int | None,
    ) -> Any:
        target = self._target(conn, item_id)
        if target.type in CONTAINERS:
            raise InvalidInput(f"a {target.type} has no position; play one of its episodes")
        duration = duration_ms or target.duration_ms
        if target.type == "channel":
            position_ms, duration = 0, None  # live: only "last played" means anything
        current = self._current(conn, user_id, [item_id]).get(item_id)
        finished = bool(duration) and position_ms >= PLAYED_FRACTION * float(duration or 0)
        values: dict[str, Any] = {
            "position_ms": 0 if finished else position_ms,
            "duration_ms": duration,
            "last_played_at": utcnow(),
        }
        if finished:
            values["played"] = True
            was_played = current is not None and current.played
            count = current.play_count if current is not None else 0
            values["play_count"] = count if was_played else count + 1
        self._upsert(conn, user_id, {item_id: values}, current and {item_id: current}, target)
        return conn.execute(
            select(PLAYBACK).where(PLAYBACK.c.user_id == user_id, PLAYBACK.c.item_id == item_id)
        ).one()

    def set_watched(self, user_id: int, item_id: int, played: bool) -> StateView:
        """Mark watched or not; a show or season marks all of its episodes."""
        row, ids = self._write(lambda conn: self._set_watched(conn, user_id, item_id, played))
        self._publish(user_id, ids)
        return _view(row)

    def _set_watched(
        self, conn: Connection, user_id: int, item_id: int, played: bool
    ) -> tuple[Any, list[int]]:
        target = self._target(conn, item_id)
        ids = [item_id]
        if target.type in CONTAINERS:
            ids += self._descendants(conn, item_id)
        current = self._current(conn, user_id, ids)
        now = utcnow()
        changes: dict[int, dict[str, Any]] = {}
        for target_id in ids:
            cur = current.get(target_id)
            values: dict[str, Any] = {"played": played, "position_ms": 0}
            if played:
                count = cur.play_count if cur is not None else 0
                values["play_count"] = count if cur is not None and cur.played else count + 1
                values["last_played_at"] = now
            changes[target_id] = values
        self._upsert(conn, user_id, changes, current, target)
        row = conn.execute(
            select(PLAYBACK).where(PLAYBACK.c.user_id == user_id, PLAYBACK.c.item_id == item_id)
        ).one()
        return row, ids

    def _write(self, change: Callable[[Connection], R]) -> R:
        """Run `change` in one write transaction, retried on contention that clears.

        On SQLite the transaction claims the write lock before it reads anything
        (`writing`: BEGIN IMMEDIATE): a transaction that reads first and writes later
        fails at once ("database is locked", no busy wait) when another writer committed
        in between — which is what concurrent progress reports did. Claimed first, it
        waits its turn instead.
        """
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with writing(self.db.engine) as conn:
                    return change(conn)
            except IntegrityError:
                # Two first reports of one item raced to insert its row; the row exists
                # now, so the next attempt updates it.
                if attempt == ATTEMPTS:
                    raise
                log.debug("watch-state insert raced another; retrying (attempt %d)", attempt)
            except OperationalError as exc:
                # PostgreSQL picked this transaction as a deadlock or serialization victim:
                # running it again succeeds. (SQLite's "locked" comes after its busy
                # timeout has already waited; that one goes up as a 503.)
                if attempt == ATTEMPTS or sqlstate(exc) not in RETRY_SQLSTATES:
                    raise
                log.info("watch-state change lost a lock race; retrying (attempt %d)", attempt)
                time.sleep(0.02 * attempt)
        raise AssertionError("unreachable")

    @staticmethod
    def _descendants(conn: Connection, item_id: int) -> list[int]:
        child = aliased(ITEMS)
        level1 = list(
            conn.execute(select(ITEMS.c.id).where(ITEMS.c.parent_id == item_id)).scalars()
        )
        level2: list[int] = []
        if level1:
            level2 = list(
                conn.execute(select(child.c.id).where(child.c.parent_id.in_(level1))).scalars()
            )
        return level1 + level2

    @staticmethod
    def _current(conn: Connection, user_id: int, ids: list[int]) -> dict[int, Any]:
        rows = conn.execute(
            select(PLAYBACK).where(PLAYBACK.c.user_id == user_id, PLAYBACK.c.item_id.in_(ids))
        ).all()
        return {r.item_id: r for r in rows}

    def _upsert(
        self,
        conn: Connection,
        user_id: int,
        changes: dict[int, dict[str, Any]],
        current: dict[int, Any] | None,
        target: _Target,
    ) -> None:
        pending = self._writes_back(target.source_kind) and user_id == self._sync_user(conn)
        now = utcnow()
        inserts, updates = [], []
        for item_id, values in changes.items():
            row = {**values, "updated_at": now}
            if pending:
                row["pending_write_back"] = True
            if current and item_id in current:
                updates.append({"b_item": item_id, **row})
            else:
                inserts.append({"user_id": user_id, "item_id": item_id, **row})
        for row in inserts:  # rows differ in keys, so one statement each (few rows)
            conn.execute(insert(PLAYBACK).values(**row))
        for row in updates:
            item = row.pop("b_item")
            conn.execute(
                update(PLAYBACK)
                .where(and_(PLAYBACK.c.user_id == user_id, PLAYBACK.c.item_id == item))
                .values(**row)
            )

    def _sync_user(self, conn: Connection) -> int | None:
        users = Base.metadata.tables["users"]
        if self.sync_user:
            found = conn.execute(
                select(users.c.id).where(users.c.username == self.sync_user)
            ).scalar()
            return int(found) if found is not None else None
        found = conn.execute(
            select(users.c.id)
            .where(users.c.is_admin.is_(True), users.c.is_local_owner.is_(False))
            .order_by(users.c.id)
            .limit(1)
        ).scalar()
        if found is None:
            found = conn.execute(
                select(users.c.id).where(users.c.is_local_owner.is_(True))
            ).scalar()
        return int(found) if found is not None else None

    def _publish(self, user_id: int, item_ids: list[int]) -> None:
        if self.bus is not None:
            self.bus.publish(WatchStateChanged(user_id=user_id, item_ids=item_ids))


def sqlstate(exc: OperationalError) -> str | None:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return str(code) if code else None


def is_contention(exc: OperationalError) -> bool:
    """Lock trouble another transaction caused (not a broken query): worth a retry later."""
    if sqlstate(exc) in (*RETRY_SQLSTATES, "55P03"):  # + lock_not_available
        return True
    text = str(exc.orig).lower()
    return "database is locked" in text or "database table is locked" in text


def _view(row: Any) -> StateView:
    return StateView(
        item_id=row.item_id,
        position_ms=int(row.position_ms or 0),
        duration_ms=row.duration_ms,
        played=bool(row.played),
        play_count=int(row.play_count or 0),
        last_played_at=row.last_played_at,
        pending_write_back=bool(row.pending_write_back),
    )
