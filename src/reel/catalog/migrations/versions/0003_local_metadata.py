"""local metadata: files, identification state, field locks, assets, response cache

Revision ID: 0003_local_metadata
Revises: 0002_web_auth
Create Date: 2026-11-23 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_local_metadata"
down_revision: str | None = "0002_web_auth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Key = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _item_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["item_id"], ["items.id"], name=op.f(f"fk_{table}_item_id_items"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "local_files",
        sa.Column("id", Key, nullable=False),
        sa.Column("source_id", Key, nullable=False),
        sa.Column("item_id", Key, nullable=False),
        sa.Column("file_id", sa.String(length=64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column("partial_hash", sa.String(length=64), nullable=True),
        sa.Column("parse", Json, nullable=False),
        sa.Column("match_confidence", sa.Float(), nullable=True),
        sa.Column("manual_override", sa.Boolean(), nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_local_files_source_id_sources"),
            ondelete="CASCADE",
        ),
        _item_fk("local_files"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_files")),
        sa.UniqueConstraint("item_id", "path", name=op.f("uq_local_files_item_id_path")),
    )
    op.create_index("ix_local_files_source_path", "local_files", ["source_id", "path"])
    op.create_index("ix_local_files_size_hash", "local_files", ["size", "partial_hash"])

    op.create_table(
        "item_metadata",
        sa.Column("item_id", Key, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_id", sa.String(length=32), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("query", Json, nullable=False),
        sa.Column("candidates", Json, nullable=False),
        sa.Column("values", Json, nullable=False),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", When, nullable=True),
        sa.Column("updated_at", When, nullable=False),
        _item_fk("item_metadata"),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_item_metadata")),
    )
    op.create_index("ix_item_metadata_status", "item_metadata", ["status", "next_attempt_at"])

    op.create_table(
        "field_locks",
        sa.Column("item_id", Key, nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("value", Json, nullable=True),
        sa.Column("locked_at", When, nullable=False),
        _item_fk("field_locks"),
        sa.PrimaryKeyConstraint("item_id", "field", name=op.f("pk_field_locks")),
    )

    op.create_table(
        "assets",
        sa.Column("id", Key, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("ext", sa.String(length=8), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
        sa.UniqueConstraint("sha256", name=op.f("uq_assets_sha256")),
    )
    op.create_table(
        "asset_refs",
        sa.Column("item_id", Key, nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("asset_id", Key, nullable=False),
        _item_fk("asset_refs"),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_asset_refs_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "role", name=op.f("pk_asset_refs")),
    )
    op.create_index("ix_asset_refs_asset", "asset_refs", ["asset_id"])

    op.create_table(
        "metadata_cache",
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", When, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_metadata_cache")),
    )
    op.create_index("ix_metadata_cache_expires_at", "metadata_cache", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_metadata_cache_expires_at", table_name="metadata_cache")
    op.drop_table("metadata_cache")
    op.drop_index("ix_asset_refs_asset", table_name="asset_refs")
    op.drop_table("asset_refs")
    op.drop_table("assets")
    op.drop_table("field_locks")
    op.drop_index("ix_item_metadata_status", table_name="item_metadata")
    op.drop_table("item_metadata")
    op.drop_index("ix_local_files_size_hash", table_name="local_files")
    op.drop_index("ix_local_files_source_path", table_name="local_files")
    op.drop_table("local_files")
