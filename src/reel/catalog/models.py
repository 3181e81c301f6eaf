"""The catalog schema. Alembic migrations under `catalog/migrations` create it.

Items are unique per (source, type, remote id): the internal integer key stays stable
across resyncs, so it is the public id. Sort and search columns (`sort_key`,
`search_title`, `search_text`) are derived from titles by `catalog.text` on write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from reel.catalog.types import JSONType, UTCDateTime, utcnow

# Byte-order collation on PostgreSQL, as SQLite's BINARY: prefix ranges and sorting agree.
ByteText = Text().with_variant(Text(collation="C"), "postgresql")

# Integer keys: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
Key = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention Alembic needs for stable names."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
        datetime: UTCDateTime,
    }


Base.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    username: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str | None] = mapped_column(Text)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_local_owner: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secret: Mapped[str | None] = mapped_column(Text)  # Fernet token of a JSON dict
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    auto_sync: Mapped[bool] = mapped_column(Boolean, default=True)
    sync_interval_s: Mapped[int] = mapped_column(Integer, default=6 * 3600)
    status: Mapped[str] = mapped_column(String(32), default="new")
    last_sync_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    sync_state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Library(Base):
    __tablename__ = "libraries"
    __table_args__ = (UniqueConstraint("source_id", "remote_id"),)

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("source_id", "kind", "remote_id"),)

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    remote_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(Text)


def _sparse_index(name: str, column: str, *more: str) -> Index:
    """An index of the rows where `column` is set."""
    where = text(f"{column} IS NOT NULL")
    return Index(name, column, *more, sqlite_where=where, postgresql_where=where)


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("source_id", "type", "remote_id"),
        # Sparse columns are indexed only where set (migration 0006): every lookup implies
        # the column is not NULL.
        _sparse_index("ix_items_parent", "parent_id", "season", "episode"),
        Index("ix_items_search_title", "search_title"),
        # Sort indexes carry year and rating so the common filters run on the index alone.
        Index("ix_items_type_sort", "type", "sort_key", "id", "year", "rating"),
        Index("ix_items_type_added", "type", "added_at", "id", "year", "rating"),
        Index("ix_items_type_year", "type", text("(COALESCE(year, -1))"), "id", "year", "rating"),
        Index(
            "ix_items_type_rating", "type", text("(COALESCE(rating, -1.0))"), "id", "year", "rating"
        ),
        _sparse_index("ix_items_category_sort", "category_id", "sort_key", "id"),
        Index("ix_items_library_sort", "library_id", "sort_key", "id"),
        _sparse_index("ix_items_epg", "epg_id"),
        _sparse_index("ix_items_tmdb", "tmdb_id"),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    library_id: Mapped[int | None] = mapped_column(ForeignKey("libraries.id", ondelete="SET NULL"))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    sort_title: Mapped[str | None] = mapped_column(Text)
    original_title: Mapped[str | None] = mapped_column(Text)
    sort_key: Mapped[str] = mapped_column(ByteText)
    search_title: Mapped[str] = mapped_column(ByteText)
    search_text: Mapped[str] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    overview: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    rating: Mapped[float | None] = mapped_column(Float)
    genres: Mapped[list[Any]] = mapped_column(default=list)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column()
    artwork: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tmdb_id: Mapped[str | None] = mapped_column(String(32))
    imdb_id: Mapped[str | None] = mapped_column(String(32))
    tvdb_id: Mapped[str | None] = mapped_column(String(32))
    season: Mapped[int | None] = mapped_column(Integer)
    episode: Mapped[int | None] = mapped_column(Integer)
    channel_number: Mapped[int | None] = mapped_column(Integer)
    epg_id: Mapped[str | None] = mapped_column(String(255))
    stream: Mapped[dict[str, Any]] = mapped_column(default=dict)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content_hash: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)


class ItemGenre(Base):
    """One row per (item, genre) so genre filters use an index instead of scanning JSON."""

    __tablename__ = "item_genres"
    __table_args__ = (Index("ix_item_genres_genre", "genre", "item_id"),)

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    genre: Mapped[str] = mapped_column(String(100), primary_key=True)


class Programme(Base):
    __tablename__ = "programmes"
    __table_args__ = (
        Index("ix_programmes_channel_start", "channel_key", "start"),
        Index("ix_programmes_source_stop", "source_id", "stop"),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    channel_key: Mapped[str] = mapped_column(String(255))
    start: Mapped[datetime] = mapped_column()
    stop: Mapped[datetime] = mapped_column()
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)


class PlaybackState(Base):
    __tablename__ = "playback_state"
    __table_args__ = (Index("ix_playback_state_item", "item_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    position_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    played: Mapped[bool] = mapped_column(Boolean, default=False)
    play_count: Mapped[int] = mapped_column(Integer, default=0)
    last_played_at: Mapped[datetime | None] = mapped_column()
    pending_write_back: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=func.now())


class SyncRun(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_source_started", "source_id", "started_at"),)

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType)


# Local-file metadata and job tables live in their own modules; importing registers them.
from reel.catalog import models_jobs as models_jobs  # noqa: E402
from reel.catalog import models_metadata as models_metadata  # noqa: E402
