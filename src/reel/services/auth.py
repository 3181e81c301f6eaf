"""Accounts for the web server: first-run set-up, login, sessions, API tokens, throttling.

Passwords are argon2 hashes; session cookies and API tokens are random 256-bit values of
which only the SHA-256 digest is stored. Failed logins are counted per (username, IP) and,
past a few, refused with a doubling delay, so guessing is slow without letting a stranger
lock the real owner out from every other address. The methods are synchronous (argon2 and
the database both block): the web layer calls them from its thread pool.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from datetime import datetime, timedelta

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from reel.catalog.db import Database, writing
from reel.catalog.models import Base
from reel.catalog.types import utcnow
from reel.errors import Conflict, InvalidInput, NotFound, ReelError
from reel.services.auth_tables import API_TOKENS, LOGIN_ATTEMPTS, SESSIONS

log = logging.getLogger(__name__)

USERS = Base.metadata.tables["users"]
SETTINGS = Base.metadata.tables["settings"]

SESSION_TTL = timedelta(days=30)
TOUCH_EVERY = timedelta(minutes=5)
FREE_FAILURES = 5
MAX_BLOCK_S = 15 * 60
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_USERNAME = 64
SETUP_KEY = "setup_done"
# How long a verified session or token is trusted without asking the database again.
# Logout, revocation and password changes in this process clear it at once; another
# server process sees them within this many seconds.
CACHE_TTL_S = 5.0


class Unauthorized(ReelError):
    """Not signed in, or the credentials are wrong."""

    status_code = 401


class TooManyAttempts(ReelError):
    """Login refused for a while after repeated failures; `retry_after` is in seconds."""

    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-in attempts; try again in {retry_after} s")
        self.retry_after = retry_after


class _SetupDone(Exception):
    pass


class UserInfo(msgspec.Struct):
    id: int
    username: str
    is_admin: bool
    created_at: datetime | None = None


class TokenInfo(msgspec.Struct):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None = None


class Login(msgspec.Struct):
    """A new session: the cookie value (secret) and its CSRF token."""

    user: UserInfo
    session_token: str
    csrf_token: str


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def check_username(username: str) -> str:
    name = username.strip()
    if not name or len(name) > MAX_USERNAME or name != username:
        raise InvalidInput(
            f"a username needs 1 to {MAX_USERNAME} characters without surrounding spaces"
        )
    return name


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return password


def user_of(row: object) -> UserInfo:
    return UserInfo(
        id=row.id,  # type: ignore[attr-defined]
        username=row.username,  # type: ignore[attr-defined]
        is_admin=bool(row.is_admin),  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
    )


class AuthService:
    """Login, sessions and tokens over one catalog database."""

    def __init__(self, db: Database, hasher: PasswordHasher | None = None) -> None:
        self.db = db
        self.hasher = hasher or PasswordHasher()
        self._dummy_hash = self.hasher.hash(secrets.token_hex(8))
        self._cache: dict[str, tuple[float, UserInfo, str | None]] = {}

    # -- cache of verified credentials -------------------------------------------------

    def cached(self, credential: str) -> tuple[UserInfo, str | None] | None:
        """A recently verified session or token (no database access); None when unknown."""
        hit = self._cache.get(digest(credential))
        if hit is None or time.monotonic() - hit[0] > CACHE_TTL_S:
            return None
        return hit[1], hit[2]

    def _remember(self, credential: str, user: UserInfo, csrf: str | None) -> None:
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest(credential)] = (time.monotonic(), user, csrf)

    def forget_all(self) -> None:
        """Drop every cached credential (after logout, revocation, account changes)."""
        self._cache.clear()

    # -- users -------------------------------------------------------------------------

    def hash_password(self, password: str) -> str:
        return self.hasher.hash(check_password(password))

    def needs_setup(self) -> bool:
        """True while no account can sign in (the CLI's local owner does not count)."""
        with self.db.engine.connect() as conn:
            count = conn.execute(
                select(func.count()).select_from(USERS).where(USERS.c.is_local_owner.is_(False))
            ).scalar_one()
        return int(count) == 0

    def setup(self, username: str, password: str) -> UserInfo:
        """Create the first admin, once (a concurrent second set-up fails on the lock row)."""
        name = check_username(username)
        hashed = self.hash_password(password)
        try:
            with self.db.engine.begin() as conn:
                conn.execute(insert(SETTINGS).values(key=SETUP_KEY, value=True))
                if conn.execute(
                    select(USERS.c.id).where(USERS.c.is_local_owner.is_(False)).limit(1)
                ).first():
                    raise _SetupDone
                user_id = self._insert_user(conn, name, hashed, is_admin=True)
        except (IntegrityError, _SetupDone):
            raise Conflict("set-up is already done; sign in instead") from None
        log.info("first admin %s created", name)
        return self.user(user_id)

    def create_user(self, username: str, password: str, *, is_admin: bool = False) -> UserInfo:
        name = check_username(username)
        hashed = self.hash_password(password)
        try:
            # An admin reads first (is there an account yet? a local owner to take over?).
            with writing(self.db.engine) as conn:
                user_id = self._insert_user(conn, name, hashed, is_admin=is_admin)
        except IntegrityError:
            raise Conflict(f"a user named {name!r} already exists") from None
        log.info("user %s created (admin=%s)", name, is_admin)
        return self.user(user_id)

    @staticmethod
    def _insert_user(conn: Connection, name: str, hashed: str, *, is_admin: bool) -> int:
        """Insert a user; the first admin takes over the CLI's local owner so the watch
        state recorded before any account existed stays with the person."""
        values = {
            "username": name,
            "password_hash": hashed,
            "is_admin": is_admin,
            "is_local_owner": False,
        }
        if is_admin:
            real = conn.execute(
                select(USERS.c.id).where(USERS.c.is_local_owner.is_(False)).limit(1)
            ).first()
            owner = conn.execute(
                select(USERS.c.id).where(USERS.c.is_local_owner.is_(True))
            ).scalar()
            if real is None and owner is not None:
                conn.execute(update(USERS).where(USERS.c.id == owner).values(**values))
                return int(owner)
        user_id: int = conn.execute(
            insert(USERS).values(created_at=utcnow(), **values).returning(USERS.c.id)
        ).scalar_one()
        return user_id

    def user(self, user_id: int) -> UserInfo:
        with self.db.engine.connect() as conn:
            row = conn.execute(select(USERS).where(USERS.c.id == user_id)).first()
        if row is None:
            raise Unauthorized("this account no longer exists; sign in again")
        return user_of(row)

    def change_password(
        self, user_id: int, current: str, new: str, keep_session: str | None = None
    ) -> None:
        with self.db.engine.connect() as conn:
            stored = conn.execute(
                select(USERS.c.password_hash).where(USERS.c.id == user_id)
            ).scalar()
        if not self._verify(stored, current):
            raise InvalidInput("the current password is wrong")
        self.set_password(user_id, new, keep_session=keep_session)

    def set_password(self, user_id: int, password: str, *, keep_session: str | None = None) -> None:
        """Store a new hash and end the user's other sessions (a stolen cookie dies too)."""
        hashed = self.hash_password(password)
        self.forget_all()
        with self.db.engine.begin() as conn:
            conn.execute(update(USERS).where(USERS.c.id == user_id).values(password_hash=hashed))
            stmt = delete(SESSIONS).where(SESSIONS.c.user_id == user_id)
            if keep_session is not None:
                stmt = stmt.where(SESSIONS.c.id != digest(keep_session))
            conn.execute(stmt)

    def _verify(self, stored: str | None, password: str) -> bool:
        try:
            return bool(self.hasher.verify(stored or self._dummy_hash, password)) and bool(stored)
        except (VerificationError, InvalidHashError):
            return False

    # -- login and throttling ----------------------------------------------------------

    def login(self, username: str, password: str, ip: str, user_agent: str | None = None) -> Login:
        """Check the password (throttled per username and IP) and open a session."""
        key = digest(f"{username.strip().casefold()}\0{ip}")
        now = utcnow()
        with self.db.engine.connect() as conn:
            attempt = conn.execute(
                select(LOGIN_ATTEMPTS).where(LOGIN_ATTEMPTS.c.key == key)
            ).first()
            row = conn.execute(select(USERS).where(USERS.c.username == username)).first()
        if (
            attempt is not None
            and attempt.blocked_until is not None
            and attempt.blocked_until > now
        ):
            raise TooManyAttempts(
                max(1, int((attempt.blocked_until - now).total_seconds() + 0.999))
            )
        stored = row.password_hash if row is not None else None
        if row is None or not self._verify(stored, password):
            self._record_failure(key, attempt, now)
            log.info("failed sign-in for %r from %s", username[:MAX_USERNAME], ip)
            raise Unauthorized("wrong username or password")
        if attempt is not None:
            with self.db.engine.begin() as conn:
                conn.execute(delete(LOGIN_ATTEMPTS).where(LOGIN_ATTEMPTS.c.key == key))
        if stored and self.hasher.check_needs_rehash(stored):
            self.set_password(row.id, password)
        return self.open_session(row.id, user_agent)

    def _record_failure(self, key: str, attempt: object, now: datetime) -> None:
        failures = (attempt.failures if attempt is not None else 0) + 1  # type: ignore[attr-defined]
        blocked = None
        if failures >= FREE_FAILURES:
            blocked = now + timedelta(seconds=min(2 ** (failures - FREE_FAILURES), MAX_BLOCK_S))
        values = {"failures": failures, "last_failure_at": now, "blocked_until": blocked}
        with self.db.engine.begin() as conn:
            if attempt is None:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(LOGIN_ATTEMPTS).values(key=key, **values))
                    return
                except IntegrityError:
                    pass
            conn.execute(update(LOGIN_ATTEMPTS).where(LOGIN_ATTEMPTS.c.key == key).values(**values))

    # -- sessions ----------------------------------------------------------------------

    def open_session(self, user_id: int, user_agent: str | None = None) -> Login:
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = utcnow()
        with self.db.engine.begin() as conn:
            conn.execute(
                insert(SESSIONS).values(
                    id=digest(token),
                    user_id=user_id,
                    csrf_token=csrf,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + SESSION_TTL,
                    user_agent=(user_agent or "")[:500] or None,
                )
            )
            conn.execute(delete(SESSIONS).where(SESSIONS.c.expires_at < now))
        return Login(user=self.user(user_id), session_token=token, csrf_token=csrf)

    def session_user(self, token: str) -> tuple[UserInfo, str] | None:
        """The session's user and CSRF token; None when unknown or expired. Sliding expiry."""
        sid = digest(token)
        now = utcnow()
        with self.db.engine.connect() as conn:
            row = conn.execute(
                select(SESSIONS.c.last_seen_at, SESSIONS.c.expires_at, SESSIONS.c.csrf_token, USERS)
                .join(USERS, USERS.c.id == SESSIONS.c.user_id)
                .where(SESSIONS.c.id == sid)
            ).first()
        if row is None or row.expires_at <= now:
            return None
        if now - row.last_seen_at > TOUCH_EVERY:
            with self.db.engine.begin() as conn:
                conn.execute(
                    update(SESSIONS)
                    .where(SESSIONS.c.id == sid)
                    .values(last_seen_at=now, expires_at=now + SESSION_TTL)
                )
        user = user_of(row)
        self._remember(token, user, row.csrf_token)
        return user, row.csrf_token

    def close_session(self, token: str) -> None:
        self.forget_all()
        with self.db.engine.begin() as conn:
            conn.execute(delete(SESSIONS).where(SESSIONS.c.id == digest(token)))

    # -- API tokens --------------------------------------------------------------------

    def create_token(self, user_id: int, name: str) -> tuple[TokenInfo, str]:
        """A new bearer token; the raw value is returned once and never stored."""
        label = name.strip()
        if not label or len(label) > 200:
            raise InvalidInput("a token name needs 1 to 200 characters")
        raw = "reel_" + secrets.token_urlsafe(32)
        now = utcnow()
        with self.db.engine.begin() as conn:
            token_id = conn.execute(
                insert(API_TOKENS)
                .values(user_id=user_id, name=label, token_hash=digest(raw), created_at=now)
                .returning(API_TOKENS.c.id)
            ).scalar_one()
        return TokenInfo(id=token_id, name=label, created_at=now), raw

    def list_tokens(self, user_id: int) -> list[TokenInfo]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                select(API_TOKENS).where(API_TOKENS.c.user_id == user_id).order_by(API_TOKENS.c.id)
            ).all()
        return [
            TokenInfo(id=r.id, name=r.name, created_at=r.created_at, last_used_at=r.last_used_at)
            for r in rows
        ]

    def revoke_token(self, user_id: int, token_id: int) -> None:
        self.forget_all()
        with self.db.engine.begin() as conn:
            done = conn.execute(
                delete(API_TOKENS).where(
                    API_TOKENS.c.id == token_id, API_TOKENS.c.user_id == user_id
                )
            ).rowcount
        if not done:
            raise NotFound(f"no token with id {token_id}")

    def token_user(self, raw: str) -> UserInfo | None:
        hashed = digest(raw)
        now = utcnow()
        with self.db.engine.connect() as conn:
            row = conn.execute(
                select(API_TOKENS.c.id.label("token_id"), API_TOKENS.c.last_used_at, USERS)
                .join(USERS, USERS.c.id == API_TOKENS.c.user_id)
                .where(API_TOKENS.c.token_hash == hashed)
            ).first()
        if row is None:
            return None
        if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
            with self.db.engine.begin() as conn:
                conn.execute(
                    update(API_TOKENS)
                    .where(API_TOKENS.c.id == row.token_id)
                    .values(last_used_at=now)
                )
        user = user_of(row)
        self._remember(raw, user, None)
        return user
