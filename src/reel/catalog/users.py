"""Whose watch state a request reads and writes.

The CLI acts as `--user`, else the first admin, else a built-in local owner that exists
until real accounts do, so a single-person install never has to create a user.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from reel.catalog.models import User
from reel.errors import NotFound

LOCAL_OWNER = "local-owner"


def resolve_user(session: Session, username: str | None = None) -> User:
    """The user named, else the first admin, else the local owner (created on demand)."""
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
    owner = session.scalar(select(User).where(User.is_local_owner.is_(True)))
    if owner is None:
        owner = User(username=LOCAL_OWNER, is_admin=True, is_local_owner=True)
        session.add(owner)
        session.flush()
    return owner
