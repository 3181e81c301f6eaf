"""Whose watch state a request reads and writes.

The CLI acts as `--user`, else the first admin, else a built-in local owner that exists
until real accounts do, so a single-person install never has to create a user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from reel.catalog.models import User
from reel.errors import NotFound

if TYPE_CHECKING:
    from reel.catalog.db import Database

LOCAL_OWNER = "local-owner"


def find_user(session: Session, username: str | None = None) -> User | None:
    """The user `resolve_user` means, without creating anything: None when that is the
    local owner and it does not exist yet."""
    if username:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"no user named {username!r} (create one with `reel user add`)")
        return user
    admin = session.scalar(
        select(User)
        .where(User.is_admin.is_(True), User.is_local_owner.is_(False))
        .order_by(User.id)
    )
    if admin is not None:
        return admin
    return session.scalar(select(User).where(User.is_local_owner.is_(True)))


def resolve_user(session: Session, username: str | None = None) -> User:
    """The user named, else the first admin, else the local owner (created on demand).

    Creating the owner writes after reading: in a session of its own that must be a
    `Database.writing_session()` (or use `resolve_user_id`), else a commit by another
    connection in between fails the insert on SQLite with "database is locked".
    """
    user = find_user(session, username)
    if user is None:
        user = User(username=LOCAL_OWNER, is_admin=True, is_local_owner=True)
        session.add(user)
        session.flush()
    return user


def resolve_user_id(db: Database, username: str | None = None) -> int:
    """`resolve_user`'s id in transactions of its own: a plain read almost always; the
    write lock is taken only when the local owner has to be created (a fresh install), so
    looking the user up never waits behind a sync that holds it."""
    with db.session() as session:
        user = find_user(session, username)
        if user is not None:
            return int(user.id)
    with db.writing_session() as session:
        return int(resolve_user(session, username).id)
