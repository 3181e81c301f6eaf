"""Sparse item columns get partial indexes

`category_id` is set only for IPTV items, `epg_id` only for channels, `parent_id` only
for seasons and episodes, `tmdb_id` only where a source or a match gave one. Their
indexes held an entry for every row anyway, mostly NULLs no query looks up: every lookup
is an equality, an IN list, a join or an IS NOT NULL, which imply the column is set, so
both SQLite and PostgreSQL use an index restricted to the rows where it is. A first sync
rebuilds these indexes at its end; over a Plex or Jellyfin library (no categories, no
channels) the category and EPG indexes were a quarter of that time.

Revision ID: 0006_partial_sparse_indexes
Revises: 0005_covering_browse_indexes
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006_partial_sparse_indexes"
down_revision: str | None = "0005_covering_browse_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# index name -> (columns, the sparse column)
SPARSE = {
    "ix_items_category_sort": ("category_id, sort_key, id", "category_id"),
    "ix_items_epg": ("epg_id", "epg_id"),
    "ix_items_parent": ("parent_id, season, episode", "parent_id"),
    "ix_items_tmdb": ("tmdb_id", "tmdb_id"),
}


def _recreate(partial: bool) -> None:
    for name, (columns, sparse) in SPARSE.items():
        op.execute(f"DROP INDEX IF EXISTS {name}")
        where = f" WHERE {sparse} IS NOT NULL" if partial else ""
        op.execute(f"CREATE INDEX {name} ON items ({columns}){where}")


def upgrade() -> None:
    _recreate(partial=True)


def downgrade() -> None:
    _recreate(partial=False)
