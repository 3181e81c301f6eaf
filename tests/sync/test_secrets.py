"""Secrets at rest: a 0600 key file, Fernet tokens, and nothing readable in the database."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from reel.catalog.db import Database
from reel.catalog.secrets import SecretBox, SecretsError, load_or_create_key
from reel.services.sources import SourceService
from tests.sync.conftest import add_source


def test_key_file_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "secret.key"
    key = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == key


def test_wrong_key_gives_a_clear_error(tmp_path: Path) -> None:
    token = SecretBox(Fernet.generate_key()).encrypt({"password": "x"})
    with pytest.raises(SecretsError, match="cannot be decrypted"):
        SecretBox(Fernet.generate_key()).decrypt(token)
    (tmp_path / "k").write_text("not a key")
    with pytest.raises(SecretsError):
        SecretBox.from_file(tmp_path / "k")


@given(st.dictionaries(st.text(min_size=1), st.text()))
def test_round_trip(secrets: dict[str, str]) -> None:
    box = SecretBox(b"x" * 43 + b"=")
    assert box.decrypt(box.encrypt(secrets)) == secrets


async def test_stored_sources_hold_no_clear_secret(db: Database, service: SourceService) -> None:
    await add_source(service)
    with db.engine.connect() as conn:
        raw = " ".join(str(v) for v in conn.execute(text("SELECT * FROM sources")).one())
    assert "secret" not in raw.replace('"scenario"', "")  # the password given to add
    assert "terces" not in raw  # nor the token setup() made of it
    assert service.config("demo").secrets == {"token": "tok-terces"}
    assert "tok-" not in str(service.get("demo").to_json())
    assert service.install_id() == SourceService(db, service.box).install_id()
    assert service.config("demo").settings["device_id"] == service.install_id()
