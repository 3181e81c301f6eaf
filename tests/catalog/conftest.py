"""A generated catalog shared by the read-only catalog tests of a module, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from reel.catalog.db import Database
from reel.testing.catalog_gen import GeneratedCatalog, generate_catalog
from tests.conftest import _reset_pg

CATALOG_SIZE = 3000


@dataclass
class Catalog:
    db: Database
    generated: GeneratedCatalog


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def catalog(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Catalog]:
    """A read-only generated catalog (do not write to it in tests)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('catalog') / 'reel.db'}"
    else:
        url = request.getfixturevalue("pg_schema_url")
        Database(url).dispose()
        _reset_pg(url)
    db = Database(url)
    generated = generate_catalog(db, CATALOG_SIZE, seed=11)
    try:
        yield Catalog(db=db, generated=generated)
    finally:
        db.dispose()
