"""Account administration: list, change and remove users (admins only, checked by callers).

Guards keep an install usable: nobody removes or demotes themselves into a state with no
admin left, since only an admin can create accounts again.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, delete, select, update

from reel.catalog.db import writing
from reel.errors import Conflict, NotFound
from reel.services.auth import USERS, AuthService, UserInfo, check_username, user_of
from reel.services.auth_tables import SESSIONS

log = logging.getLogger(__name__)


class UserService:
    """User CRUD on top of the auth service (which owns hashing and sessions)."""

    def __init__(self, auth: AuthService) -> None:
        self.auth = auth
        self.db = auth.db

    def list_users(self) -> list[UserInfo]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                select(USERS).where(USERS.c.is_local_owner.is_(False)).order_by(USERS.c.id)
            ).all()
        return [user_of(r) for r in rows]

    def get(self, user_id: int) -> UserInfo:
        with self.db.engine.connect() as conn:
            row = conn.execute(
                select(USERS).where(USERS.c.id == user_id, USERS.c.is_local_owner.is_(False))
            ).first()
        if row is None:
            raise NotFound(f"no user with id {user_id}")
        return user_of(row)

    def by_name(self, username: str) -> UserInfo:
        with self.db.engine.connect() as conn:
            row = conn.execute(select(USERS).where(USERS.c.username == username)).first()
        if row is None:
            raise NotFound(f"no user named {username!r}")
        return user_of(row)

    @staticmethod
    def _admins(conn: Connection) -> int:
        """How many admins there are, with their rows locked until the caller commits.

        The lock is what makes the last-admin check hold on PostgreSQL: two demotions
        running at once would each count two admins under READ COMMITTED and leave none.
        With the rows locked, the second waits for the first and then counts again. (On
        SQLite, `writing` already serialises the two.)
        """
        rows = conn.execute(
            select(USERS.c.id)
            .where(USERS.c.is_admin.is_(True), USERS.c.is_local_owner.is_(False))
            .with_for_update()
        )
        return len(rows.all())

    def update(
        self,
        user_id: int,
        *,
        password: str | None = None,
        is_admin: bool | None = None,
        username: str | None = None,
    ) -> UserInfo:
        target = self.get(user_id)
        self.auth.forget_all()
        if password is not None:
            self.auth.set_password(user_id, password)
        values: dict[str, object] = {}
        if username is not None:
            values["username"] = check_username(username)
        if is_admin is not None:
            values["is_admin"] = is_admin
        if values:
            # Counts the admins, then writes: the write lock from BEGIN (see `writing`).
            # On SQLite that also serialises two demotions racing the last-admin check.
            with writing(self.db.engine) as conn:
                if is_admin is False and target.is_admin and self._admins(conn) <= 1:
                    raise Conflict("this is the last admin; make someone else admin first")
                conn.execute(update(USERS).where(USERS.c.id == user_id).values(**values))
        return self.get(user_id)

    def delete(self, user_id: int, *, acting_user_id: int) -> None:
        if user_id == acting_user_id:
            raise Conflict("you cannot delete your own account")
        target = self.get(user_id)
        self.auth.forget_all()
        with writing(self.db.engine) as conn:  # counts the admins, then deletes
            if target.is_admin and self._admins(conn) <= 1:
                raise Conflict("this is the last admin; make someone else admin first")
            conn.execute(delete(SESSIONS).where(SESSIONS.c.user_id == user_id))
            conn.execute(delete(USERS).where(USERS.c.id == user_id))
        log.info("user %s deleted", target.username)
