"""A source's settings as the edit form sees them, and edits that re-sign-in.

Settings go out without anything secret-looking; secrets never go out at all, only
whether each is set. An edit of the URL or the credentials signs in again through the
adapter's `setup()` (as adding a source does) before anything is stored, so a typo
leaves the working source as it was. Secrets left empty in an edit keep their stored
value.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select, update

from reel.catalog.models import Base
from reel.errors import Conflict, InvalidInput
from reel.services.sources import SourceService
from reel.sources.base import SourceConfig

log = logging.getLogger(__name__)

SOURCES = Base.metadata.tables["sources"]

# The secrets each kind's form asks for (reported "set" / "not set").
FORM_SECRETS: dict[str, tuple[str, ...]] = {
    "xtream": ("username", "password"),
    "jellyfin": ("username", "password"),
    "plex": ("token",),
    "m3u": ("url", "epg"),
}
# Kinds whose sign-in swaps the password for a token and forgets it: changing only their
# settings cannot sign in again, so the stored token is tested against the new settings.
TOKEN_SWAP = frozenset({"jellyfin"})
INTERNAL_SETTINGS = frozenset({"device_id", "client_id"})
SECRET_KEY = re.compile(r"token|passw|secret|api_?key|credential", re.IGNORECASE)
RECOVERED = frozenset({"offline", "needs_sign_in", "error"})


def _redact_url(value: str) -> str:
    """A URL without user:password@ (settings should hold none; be sure)."""
    if "@" not in value or "://" not in value:
        return value
    parts = urlsplit(value)
    if parts.username is None and parts.password is None:
        return value
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def public_settings(settings: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if key in INTERNAL_SETTINGS or SECRET_KEY.search(key):
            continue
        out[key] = _redact_url(value) if isinstance(value, str) else value
    return out


def secret_status(kind: str, secrets: dict[str, Any]) -> dict[str, str]:
    keys = dict.fromkeys((*FORM_SECRETS.get(kind, ()), *sorted(secrets)))
    return {k: "set" if secrets.get(k) else "not set" for k in keys}


def form_facts(sources: SourceService) -> dict[int, dict[str, Any]]:
    """source id → {"settings", "secrets"} for the list (one query, secrets decrypted in
    memory only to tell which are set)."""
    with sources.db.engine.connect() as conn:
        rows = conn.execute(
            select(SOURCES.c.id, SOURCES.c.kind, SOURCES.c.settings, SOURCES.c.secret)
        ).all()
    out = {}
    for row in rows:
        try:
            secrets = sources.box.decrypt(row.secret)
        except Exception:  # a key change: report nothing rather than fail the list
            log.warning("cannot decrypt the secrets of source %s", row.id)
            secrets = {}
        out[row.id] = {
            "settings": public_settings(dict(row.settings or {})),
            "secrets": secret_status(row.kind, secrets),
        }
    return out


@dataclass
class SourceEdit:
    name: str | None = None
    settings: dict[str, Any] | None = None
    secrets: dict[str, str] | None = None


async def apply_edit(sources: SourceService, current_name: str, edit: SourceEdit) -> str:
    """Rename and/or re-sign-in with new settings/secrets; returns the (new) name."""
    row = sources.row(current_name)
    values: dict[str, Any] = {}
    new_name = edit.name.strip() if edit.name is not None else row.name
    if new_name != row.name:
        if not new_name or len(new_name) > 200:
            raise InvalidInput("a source name must have 1 to 200 characters")
        with sources.db.engine.connect() as conn:
            taken = conn.execute(select(SOURCES.c.id).where(SOURCES.c.name == new_name)).first()
        if taken is not None:
            raise Conflict(f"a source named {new_name!r} already exists")
        values["name"] = new_name
    new_settings = dict(edit.settings or {})
    new_secrets = {k: v for k, v in (edit.secrets or {}).items() if v}
    if new_settings or new_secrets:
        base = sources.config_of(row)
        merged = {**base.settings, **new_settings}
        settings = {k: v for k, v in merged.items() if v is not None}  # null removes
        secrets = dict(base.secrets)
        for key in new_settings:  # a setting now given in the clear replaces a secret one
            secrets.pop(key, None)
        for key in new_secrets:
            settings.pop(key, None)
        secrets.update(new_secrets)
        config = SourceConfig(new_name, row.kind, settings, secrets)
        stored = await _sign_in(sources, config, resign=bool(new_secrets))
        values["settings"] = dict(stored.settings)
        values["secret"] = sources.box.encrypt(dict(stored.secrets))
        if row.status in RECOVERED:
            values.update(status="ok", last_error=None)
    if values:
        with sources.db.engine.begin() as conn:
            conn.execute(update(SOURCES).where(SOURCES.c.id == row.id).values(**values))
        log.info("edited source %s (%s)", new_name, ", ".join(sorted(values)))
    return new_name


async def _sign_in(sources: SourceService, config: SourceConfig, *, resign: bool) -> SourceConfig:
    adapter = sources.adapter(config)
    try:
        if config.kind in TOKEN_SWAP and not resign:
            result = await adapter.test()
            if not (result.reachable and result.authenticated):
                raise InvalidInput(
                    f"{result.message or 'the server refused the stored sign-in'}; "
                    "enter the username and password to sign in again"
                )
            return adapter.config
        stored: SourceConfig = await adapter.setup()
        return stored
    finally:
        await adapter.aclose()
