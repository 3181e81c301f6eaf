"""Source management shared by the CLI and the web API: add, list, test, remove, schedule.

Settings (URLs, ids, choices) are stored as JSON; credentials only as a Fernet token in
`sources.secret`. A config handed to an adapter carries the decrypted secrets in memory
and the install's stable client/device id, which servers bind their tokens to.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from reel.catalog.db import Database
from reel.catalog.models import Base
from reel.catalog.secrets import SecretBox
from reel.config import Settings
from reel.errors import Conflict, InvalidInput, NotFound, ReelError
from reel.sources.base import SourceAdapter, SourceConfig, TestResult
from reel.sources.errors import CannotConnect, SourceError
from reel.sources.records import ITEM_TYPES
from reel.sources.registry import ADAPTERS, UnknownSourceKind, adapter_class

log = logging.getLogger(__name__)

SOURCES = Base.metadata.tables["sources"]
ITEMS = Base.metadata.tables["items"]
SETTINGS = Base.metadata.tables["settings"]

INSTALL_ID_KEY = "install_id"
# Statuses a successful `source test` clears (a failed sync's "error" waits for a sync).
UNHEALTHY = frozenset({"offline", "needs_sign_in"})
MIN_INTERVAL_S = 60


class AdapterUnavailable(ReelError):
    """The adapter for a kind is not part of this build (its module is missing)."""


@dataclass
class SourceInfo:
    """A source as `source list` shows it; never holds secrets."""

    id: int
    name: str
    kind: str
    status: str
    enabled: bool
    auto_sync: bool
    sync_interval_s: int
    last_sync: datetime | None
    last_error: str | None
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "last_sync": self.last_sync.isoformat() if self.last_sync else None,
            "last_error": self.last_error,
            "counts": {t: self.counts.get(t, 0) for t in ITEM_TYPES},
            "enabled": self.enabled,
            "auto_sync": self.auto_sync,
            "sync_interval_s": self.sync_interval_s,
        }


@dataclass
class SourceRow:
    """What the sync engine needs about a stored source, secrets still encrypted."""

    id: int
    name: str
    kind: str
    status: str
    settings: dict[str, Any]
    secret: str | None
    sync_state: dict[str, Any]


class SourceService:
    """Source CRUD over one catalog database and the install's secret key."""

    def __init__(
        self,
        db: Database,
        box: SecretBox,
        *,
        adapter_factory: Callable[[SourceConfig], SourceAdapter] | None = None,
    ) -> None:
        self.db = db
        self.box = box
        self._factory = adapter_factory  # tests: adapters with fast retries
        self._install_id: str | None = None

    @classmethod
    def open(cls, db: Database, settings: Settings) -> SourceService:
        return cls(db, SecretBox.from_file(settings.key_file))

    # -- install identity --------------------------------------------------------------

    def install_id(self) -> str:
        """A random id made once per install; Plex and Jellyfin bind tokens to it."""
        if self._install_id is None:
            self._install_id = self._load_install_id()
        return self._install_id

    def _load_install_id(self) -> str:
        query = select(SETTINGS.c.value).where(SETTINGS.c.key == INSTALL_ID_KEY)
        with self.db.engine.connect() as conn:
            value = conn.execute(query).scalar()
        if isinstance(value, str) and value:
            return value
        new_id = uuid.uuid4().hex
        try:
            with self.db.engine.begin() as conn:
                conn.execute(insert(SETTINGS).values(key=INSTALL_ID_KEY, value=new_id))
        except IntegrityError:  # another process stored one first
            with self.db.engine.connect() as conn:
                return str(conn.execute(query).scalar_one())
        return new_id

    def _with_install_ids(self, settings: dict[str, Any]) -> dict[str, Any]:
        merged = dict(settings)
        merged.setdefault("device_id", self.install_id())
        merged.setdefault("client_id", self.install_id())
        return merged

    # -- adapters ----------------------------------------------------------------------

    def adapter(self, config: SourceConfig) -> SourceAdapter:
        """The adapter for `config`, with a one-line error when its kind is unavailable."""
        if self._factory is not None:
            return self._factory(config)
        return self.kind_class(config.kind)(config)

    def kind_class(self, kind: str) -> type[SourceAdapter]:
        try:
            return adapter_class(kind)
        except UnknownSourceKind as exc:
            raise InvalidInput(str(exc)) from None
        except ImportError as exc:
            log.debug("adapter import failed for %s", kind, exc_info=True)
            raise AdapterUnavailable(
                f"{kind} sources are not available in this build of Reel ({exc})"
            ) from None

    def adapter_class(self, name: str) -> type[SourceAdapter]:
        """The adapter class of a stored source (for its capabilities)."""
        return self.kind_class(self.row(name).kind)

    # -- reads -------------------------------------------------------------------------

    def row(self, name: str) -> SourceRow:
        with self.db.engine.connect() as conn:
            found = conn.execute(select(SOURCES).where(SOURCES.c.name == name)).first()
        if found is None:
            raise NotFound(f"no source named {name!r} (see `reel source list`)")
        return SourceRow(
            id=found.id,
            name=found.name,
            kind=found.kind,
            status=found.status,
            settings=dict(found.settings or {}),
            secret=found.secret,
            sync_state=dict(found.sync_state or {}),
        )

    def config(self, name: str) -> SourceConfig:
        """The source's config with its secrets decrypted (keep it in memory only)."""
        row = self.row(name)
        return self.config_of(row)

    def config_of(self, row: SourceRow) -> SourceConfig:
        return SourceConfig(
            name=row.name,
            kind=row.kind,
            settings=self._with_install_ids(row.settings),
            secrets=self.box.decrypt(row.secret),
        )

    def list_sources(self) -> list[SourceInfo]:
        """Every source with its item counts per type (one GROUP BY for all of them)."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(SOURCES).order_by(SOURCES.c.name)).all()
            counts: dict[int, dict[str, int]] = {}
            for source_id, item_type, count in conn.execute(
                select(ITEMS.c.source_id, ITEMS.c.type, func.count()).group_by(
                    ITEMS.c.source_id, ITEMS.c.type
                )
            ):
                counts.setdefault(source_id, {})[item_type] = int(count)
        return [
            SourceInfo(
                id=r.id,
                name=r.name,
                kind=r.kind,
                status=r.status,
                enabled=r.enabled,
                auto_sync=r.auto_sync,
                sync_interval_s=r.sync_interval_s,
                last_sync=r.last_sync_at,
                last_error=r.last_error,
                counts=counts.get(r.id, {}),
            )
            for r in rows
        ]

    def get(self, name: str) -> SourceInfo:
        for info in self.list_sources():
            if info.name == name:
                return info
        raise NotFound(f"no source named {name!r} (see `reel source list`)")

    def names(self) -> list[str]:
        with self.db.engine.connect() as conn:
            return list(
                conn.execute(
                    select(SOURCES.c.name)
                    .where(SOURCES.c.enabled.is_(True))
                    .order_by(SOURCES.c.name)
                ).scalars()
            )

    # -- writes ------------------------------------------------------------------------

    async def add(
        self, kind: str, name: str, settings: dict[str, Any], secrets: dict[str, str]
    ) -> SourceInfo:
        """Sign in through the adapter's `setup()` and store the result."""
        name = name.strip()
        if not name or len(name) > 200:
            raise InvalidInput("a source name must have 1 to 200 characters")
        if kind not in ADAPTERS:
            known = ", ".join(sorted(ADAPTERS))
            raise InvalidInput(f"unknown source kind {kind!r} (known: {known})")
        with self.db.engine.connect() as conn:
            if conn.execute(select(SOURCES.c.id).where(SOURCES.c.name == name)).first():
                raise Conflict(f"a source named {name!r} already exists")
        config = SourceConfig(name, kind, self._with_install_ids(settings), dict(secrets))
        adapter = self.adapter(config)
        try:
            stored = await adapter.setup()
        finally:
            await adapter.aclose()
        try:
            with self.db.engine.begin() as conn:
                conn.execute(
                    insert(SOURCES).values(
                        name=name,
                        kind=kind,
                        settings=dict(stored.settings),
                        secret=self.box.encrypt(dict(stored.secrets)),
                        enabled=True,
                        auto_sync=True,
                        sync_interval_s=6 * 3600,
                        status="new",
                        sync_state={},
                    )
                )
        except IntegrityError:
            raise Conflict(f"a source named {name!r} already exists") from None
        log.info("added %s source %s", kind, name)
        return self.get(name)

    async def test(self, name: str) -> TestResult:
        """Reachability, credentials and account facts, straight from the adapter.

        What the test learnt is kept: settings the adapter changed (the Plex connection that
        answered) and the source's health — `needs_sign_in` when the server refused us,
        `offline` when it could not be reached, back to `ok` once it answers again. Nothing
        in the catalog is touched either way.
        """
        row = self.row(name)
        config = self.config_of(row)
        adapter = self.adapter(config)
        try:
            result = await adapter.test()
        except SourceError as exc:  # adapters should report, not raise; be safe anyway
            result = TestResult(
                reachable=not isinstance(exc, CannotConnect),
                authenticated=False,
                message=str(exc),
            )
        finally:
            await adapter.aclose()
        self.save_settings(row, adapter.config)
        self._record_health(row, result)
        return result

    def _record_health(self, row: SourceRow, result: TestResult) -> None:
        values: dict[str, Any] = {}
        if not result.reachable:
            values = {"status": "offline", "last_error": result.message or "server unreachable"}
        elif not result.authenticated:
            message = result.message or "the server refused the stored credentials"
            if "sign in" not in message.lower():
                message = f"{message}; sign in again"
            values = {"status": "needs_sign_in", "last_error": message}
        elif row.status in UNHEALTHY:
            values = {"status": "ok", "last_error": None}
        if values:
            with self.db.engine.begin() as conn:
                conn.execute(update(SOURCES).where(SOURCES.c.id == row.id).values(**values))
            if values["status"] != row.status:
                log.info("source %s is now %s", row.name, values["status"])

    def save_settings(self, row: SourceRow, config: SourceConfig) -> None:
        """Keep what an adapter learnt (e.g. the Plex connection that answered)."""
        settings = dict(config.settings)
        if settings != self._with_install_ids(row.settings):
            with self.db.engine.begin() as conn:
                conn.execute(
                    update(SOURCES).where(SOURCES.c.id == row.id).values(settings=settings)
                )

    def remove(self, name: str) -> None:
        """Delete the source; its libraries, items, guide and runs go with it (cascade)."""
        row = self.row(name)
        with self.db.engine.begin() as conn:
            conn.execute(delete(SOURCES).where(SOURCES.c.id == row.id))
        log.info("removed source %s", name)

    def set_schedule(
        self,
        name: str,
        *,
        auto_sync: bool | None = None,
        interval_s: int | None = None,
        enabled: bool | None = None,
    ) -> SourceInfo:
        """Store when the scheduler should sync this source."""
        row = self.row(name)
        values: dict[str, Any] = {}
        if auto_sync is not None:
            values["auto_sync"] = auto_sync
        if enabled is not None:
            values["enabled"] = enabled
        if interval_s is not None:
            if interval_s < MIN_INTERVAL_S:
                raise InvalidInput(
                    f"the sync interval must be at least {MIN_INTERVAL_S // 60} minute"
                )
            values["sync_interval_s"] = interval_s
        if values:
            with self.db.engine.begin() as conn:
                conn.execute(update(SOURCES).where(SOURCES.c.id == row.id).values(**values))
        return self.get(name)
