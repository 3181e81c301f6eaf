"""Tables of the web server's accounts: sessions, API tokens and login throttling.

They live apart from the catalog's declarative models (their own MetaData) because only
the auth service reads them; migration 0002_web_auth creates them. Tokens are stored as
SHA-256 digests, so a copied database cannot be replayed as a login.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, Text

from reel.catalog.models import Key
from reel.catalog.types import UTCDateTime

metadata = MetaData()

SESSIONS = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # sha256 hex of the cookie value
    Column("user_id", Key, nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("user_agent", Text),
)

API_TOKENS = Table(
    "api_tokens",
    metadata,
    Column("id", Key, primary_key=True),
    Column("user_id", Key, nullable=False),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
)

LOGIN_ATTEMPTS = Table(
    "login_attempts",
    metadata,
    Column("key", String(64), primary_key=True),  # sha256 of "username\0ip"
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", UTCDateTime, nullable=False),
    Column("blocked_until", UTCDateTime),
)
