"""Encryption at rest for source secrets (passwords, tokens).

A Fernet key lives in a file of its own in the data dir, created 0600 on first use, so a
copied database alone does not reveal any credential. Secrets are a JSON object of
strings; decrypted values stay in memory and are never logged.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import msgspec
from cryptography.fernet import Fernet, InvalidToken

from reel.errors import ReelError

log = logging.getLogger(__name__)


class SecretsError(ReelError):
    """The key file is missing, unreadable, or does not match the stored secrets."""


def load_or_create_key(path: Path) -> bytes:
    """The key in `path`, creating it (mode 0600, exclusive create) when absent."""
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process won the race; use its key
            return load_or_create_key(path)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key + b"\n")
        log.info("created secret key file %s", path)
        return key
    except OSError as exc:
        raise SecretsError(f"cannot read the secret key file {path}: {exc.strerror}") from exc
    if not key:
        raise SecretsError(f"the secret key file {path} is empty")
    return key


class SecretBox:
    """Encrypts and decrypts a source's secret dict with the install's key."""

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except ValueError as exc:
            raise SecretsError("the secret key file does not hold a valid key") from exc

    @classmethod
    def from_file(cls, path: Path) -> SecretBox:
        return cls(load_or_create_key(path))

    def encrypt(self, secrets: dict[str, str]) -> str | None:
        """A Fernet token for `secrets`, or None when there is nothing to keep."""
        if not secrets:
            return None
        return self._fernet.encrypt(msgspec.json.encode(secrets)).decode("ascii")

    def decrypt(self, token: str | None) -> dict[str, str]:
        """The secret dict stored as `token` (empty for None)."""
        if not token:
            return {}
        try:
            raw = self._fernet.decrypt(token.encode("ascii"))
        except (InvalidToken, ValueError) as exc:
            raise SecretsError(
                "stored source credentials cannot be decrypted with this install's key file; "
                "add the source again"
            ) from exc
        return msgspec.json.decode(raw, type=dict[str, str])

    def __repr__(self) -> str:  # never show the key
        return "SecretBox(<key hidden>)"
