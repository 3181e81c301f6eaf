"""`Database.writing_session()`: an ORM unit of work that reads and then writes, whose
SQLite transaction holds the write lock from BEGIN; and `resolve_user_id`, which uses it
only when the local owner has to be created."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from reel.catalog import users as users_module
from reel.catalog.db import Database
from reel.catalog.models import User
from reel.catalog.users import LOCAL_OWNER, resolve_user_id
from tests.sqlite_locks import commit_elsewhere


@pytest.fixture
def sqlite_db(sqlite_db: Database) -> Database:
    with sqlite_db.session() as session:
        session.add(User(username="ann", is_admin=True))
    return sqlite_db


def test_a_plain_session_that_loads_then_flushes_fails_after_another_commit(
    sqlite_db: Database, tmp_path: Path
) -> None:
    """The hazard: `session.get` then a change, with a commit landing in between."""
    other = tmp_path / "reel.db"
    with pytest.raises(Exception, match="database is locked"), sqlite_db.session() as session:
        user = session.scalars(select(User).where(User.username == "ann")).one()
        assert commit_elsewhere(other)  # the deferred reader does not stop it
        user.username = "anna"
    with sqlite_db.session() as session:
        assert session.scalar(select(User.username).where(User.is_admin)) == "ann"


def test_writing_session_holds_the_write_lock_and_commits(
    sqlite_db: Database, tmp_path: Path
) -> None:
    other = tmp_path / "reel.db"
    with sqlite_db.writing_session() as session:
        assert not commit_elsewhere(other)  # locked before the first statement
        user = session.scalars(select(User).where(User.username == "ann")).one()
        assert not commit_elsewhere(other)  # cannot slip in between read and write
        user.username = "anna"
        session.add(User(username="bob"))
    assert commit_elsewhere(other)  # its turn comes after the commit
    with sqlite_db.session() as session:
        assert set(session.scalars(select(User.username))) == {"anna", "bob"}
        # A plain session afterwards (same pooled connection) is deferred again.
        assert commit_elsewhere(other)


def test_writing_session_rolls_back_on_error_and_releases_the_lock(
    sqlite_db: Database, tmp_path: Path
) -> None:
    other = tmp_path / "reel.db"
    with pytest.raises(RuntimeError), sqlite_db.writing_session() as session:
        session.add(User(username="bob"))
        session.flush()
        raise RuntimeError("boom")
    assert commit_elsewhere(other)
    with sqlite_db.session() as session:
        assert list(session.scalars(select(User.username))) == ["ann"]


def test_writing_session_on_both_databases(db: Database) -> None:
    with db.writing_session() as session:
        session.add(User(username="ann"))
    with pytest.raises(RuntimeError), db.writing_session() as session:
        session.scalars(select(User)).one().username = "changed"
        raise RuntimeError("boom")
    with db.session() as session:
        assert list(session.scalars(select(User.username))) == ["ann"]


def test_resolve_user_id_creates_the_local_owner_under_the_write_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh install: the lookup finds nobody, then the owner is inserted. A commit by
    another connection between that lookup and the insert must not fail it."""
    db = Database(f"sqlite:///{tmp_path}/reel.db")
    other = tmp_path / "reel.db"
    landed: list[bool] = []
    find_user = users_module.find_user

    def find_then_let_another_commit(session: object, username: str | None = None) -> object:
        found = find_user(session, username)  # type: ignore[arg-type]
        landed.append(commit_elsewhere(other))
        return found

    monkeypatch.setattr(users_module, "find_user", find_then_let_another_commit)
    try:
        owner = resolve_user_id(db)
        # The plain lookup let the other commit through; the creating one did not.
        assert landed == [True, False]
        assert resolve_user_id(db) == owner  # found now: no second creation attempt
        assert landed == [True, False, True]
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(User)) == 1
            assert session.get(User, owner).username == LOCAL_OWNER  # type: ignore[union-attr]
    finally:
        db.dispose()


def test_resolve_user_id_on_both_databases(db: Database) -> None:
    owner = resolve_user_id(db)
    assert resolve_user_id(db) == owner
    with db.session() as session:
        session.add(User(username="ann", is_admin=True))
    ann = resolve_user_id(db)
    assert ann != owner and resolve_user_id(db, "ann") == ann
