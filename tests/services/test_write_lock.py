"""Account changes that read before they write (count the admins, look for the local
owner) hold SQLite's write lock from BEGIN: a commit by another connection between the
read and the write would otherwise fail them at once with "database is locked"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Connection, select

from reel.catalog.db import Database
from reel.catalog.models import User
from reel.catalog.users import resolve_user_id
from reel.errors import Conflict
from reel.services.auth import AuthService
from reel.services.users import UserService
from tests.sqlite_locks import commit_elsewhere

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def test_deleting_and_demoting_admins(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = AuthService(sqlite_db, FAST_HASHER)
    users = UserService(auth)
    ann = auth.create_user("ann", "password123", is_admin=True)
    bob = auth.create_user("bob", "password123", is_admin=True)
    cid = auth.create_user("cid", "password123", is_admin=True)
    landed: list[bool] = []
    count_admins = UserService._admins

    def count_then_let_another_commit(conn: Connection) -> int:
        admins = count_admins(conn)
        landed.append(commit_elsewhere(tmp_path / "reel.db"))
        return admins

    monkeypatch.setattr(UserService, "_admins", staticmethod(count_then_let_another_commit))
    users.delete(cid.id, acting_user_id=ann.id)
    assert users.update(bob.id, is_admin=False).is_admin is False
    with pytest.raises(Conflict, match="last admin"):
        users.update(ann.id, is_admin=False)
    assert landed == [False, False, False]  # nobody committed between count and write
    assert [u.username for u in users.list_users()] == ["ann", "bob"]


def test_first_admin_takes_over_the_local_owner(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = resolve_user_id(sqlite_db)  # the CLI used the install before any account
    auth = AuthService(sqlite_db, FAST_HASHER)
    landed: list[bool] = []
    real_execute = Connection.execute

    def execute(self: Connection, statement: Any, *args: Any, **kwargs: Any) -> Any:
        result = real_execute(self, statement, *args, **kwargs)
        if getattr(statement, "is_select", False) and not landed:
            # After the first read (is there an account yet?), before the write.
            landed.append(commit_elsewhere(tmp_path / "reel.db"))
        return result

    monkeypatch.setattr(Connection, "execute", execute)
    ann = auth.create_user("ann", "password123", is_admin=True)
    monkeypatch.undo()
    assert landed == [False]
    assert ann.id == owner and ann.username == "ann"
    with sqlite_db.session() as session:
        assert list(session.scalars(select(User.username))) == ["ann"]


def test_account_changes_on_both_databases(db: Database) -> None:
    auth = AuthService(db, FAST_HASHER)
    users = UserService(auth)
    owner = resolve_user_id(db)
    ann = auth.create_user("ann", "password123", is_admin=True)
    assert ann.id == owner
    bob = auth.create_user("bob", "password123", is_admin=True)
    users.update(bob.id, is_admin=False, username="robert")
    with pytest.raises(Conflict):
        users.update(ann.id, is_admin=False)
    users.delete(bob.id, acting_user_id=ann.id)
    assert [u.username for u in users.list_users()] == ["ann"]


def test_concurrent_demotions_keep_an_admin_on_postgresql(db: Database) -> None:
    """Under READ COMMITTED two demotions would each count two admins and leave none: the
    count locks the admin rows, so the second waits for the first and counts again."""
    if db.dialect != "postgresql":
        pytest.skip("on SQLite `writing` serialises the two (see above)")
    import threading

    from sqlalchemy import update

    from reel.services.auth import USERS

    auth = AuthService(db, FAST_HASHER)
    users = UserService(auth)
    ann = auth.create_user("ann", "password123", is_admin=True)
    bob = auth.create_user("bob", "password123", is_admin=True)
    outcome: list[BaseException | None] = []

    def demote_bob() -> None:
        try:
            users.update(bob.id, is_admin=False)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    with db.engine.connect() as first:  # the first demotion, as the service does it
        with first.begin():
            assert UserService._admins(first) == 2
            first.execute(update(USERS).where(USERS.c.id == ann.id).values(is_admin=False))
            second = threading.Thread(target=demote_bob)
            second.start()
            second.join(1.0)
            assert second.is_alive()  # waiting on the locked rows, not counting stale ones
        second.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict)
    admins = [u.username for u in users.list_users() if u.is_admin]
    assert admins == ["bob"]
