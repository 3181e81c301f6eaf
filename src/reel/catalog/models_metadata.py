"""Tables of local-file metadata: files, identification state, field locks, the asset store
and the provider response cache. Migration 0003_local_metadata creates them.

They hang off `items` and cascade with it, so removing a source removes them too.
`item_metadata` remembers what identification found and chose for an item apart from
the item row itself, because a rescan rewrites the row from the file; the values kept
here are laid over it again afterwards, and `field_locks` (what a person set) last.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from reel.catalog.models import Base, Key
from reel.catalog.types import JSONType, utcnow


class LocalFile(Base):
    """One file of a local item (a stacked film has several; a multi-episode file
    appears once per episode item)."""

    __tablename__ = "local_files"
    __table_args__ = (
        UniqueConstraint("item_id", "path"),
        Index("ix_local_files_source_path", "source_id", "path"),
        Index("ix_local_files_size_hash", "size", "partial_hash"),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    file_id: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    partial_hash: Mapped[str | None] = mapped_column(String(64))
    parse: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    match_confidence: Mapped[float | None] = mapped_column(Float)
    manual_override: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ItemMetadata(Base):
    """Identification state of one item: unidentified → identified → enriched."""

    __tablename__ = "item_metadata"
    __table_args__ = (Index("ix_item_metadata_status", "status", "next_attempt_at"),)

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16), default="unidentified")
    provider: Mapped[str] = mapped_column(String(16), default="tmdb")
    provider_id: Mapped[str | None] = mapped_column(String(32))
    method: Mapped[str | None] = mapped_column(String(16))  # id | imdb | search | nfo | manual
    confidence: Mapped[float | None] = mapped_column(Float)
    query: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    candidates: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    values: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FieldLock(Base):
    """A field a person set; automation never writes it while the lock exists."""

    __tablename__ = "field_locks"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType)
    locked_at: Mapped[datetime] = mapped_column(default=utcnow)


class Asset(Base):
    """A blob in the content-addressed store (`assets/ab/cd/<sha256>.<ext>`)."""

    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    ext: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column(BigInteger)
    source_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssetRef(Base):
    """One use of an asset (an item's poster, fanart, thumb); the count is the refcount."""

    __tablename__ = "asset_refs"
    __table_args__ = (Index("ix_asset_refs_asset", "asset_id"),)

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))


class MetadataCache(Base):
    """Provider responses by request key (never containing the API key), with expiry."""

    __tablename__ = "metadata_cache"
    __table_args__ = (Index("ix_metadata_cache_expires_at", "expires_at"),)

    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column()
