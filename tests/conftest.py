"""Shared fixtures: a fresh catalog database on SQLite and on the real PostgreSQL server.

Every catalog test takes `db` and so runs on both. PostgreSQL tests use a schema created
for the run and dropped after it, so runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

from reel.catalog.db import Database

# Property tests check behaviour, not speed: on a loaded CI machine (tests run two at a
# time beside a browser) a first example can pass Hypothesis' 200 ms default deadline and
# fail a run that found nothing wrong.
settings.register_profile("reel", deadline=None)
settings.load_profile("reel")

PG_ADMIN_URL = os.environ.get(
    "REEL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    """A URL whose search_path points at a schema of this test process alone."""
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL is not reachable")
    schema = f"reel_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema},public"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _reset_pg(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        tables = (
            conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            )
            .scalars()
            .all()
        )
        names = ", ".join(f'"{t}"' for t in tables if t != "alembic_version")
        if names:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for an empty, migrated-on-open catalog, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'reel.db'}"
    url: str = request.getfixturevalue("pg_schema_url")
    Database(url).dispose()  # migrate once, then empty the tables for this test
    _reset_pg(url)
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """An open catalog database, on SQLite and on PostgreSQL."""
    database = Database(db_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A catalog on SQLite alone at `tmp_path / "reel.db"`, for tests of its locking."""
    database = Database(f"sqlite:///{tmp_path / 'reel.db'}")
    try:
        yield database
    finally:
        database.dispose()
