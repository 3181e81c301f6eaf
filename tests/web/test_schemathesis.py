"""schemathesis against /openapi.json, signed in with an API token: no answer is a 5xx.

Bounded (few examples per operation) so it stays well under a minute. Operations that
would reach the network (adding or testing a source, Plex sign-in) or sign this client
out (token revocation, password change, logout) are left out.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from reel.catalog.db import Database
from reel.config import Settings
from reel.testing.catalog_gen import generate_catalog
from reel.web import create_app
from reel.web.app import close_services
from tests.web.conftest import FAST_HASHER, PASSWORD

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SKIP = {
    ("POST", "/api/sources"),
    ("POST", "/api/sources/{source_id}/test"),
    ("POST", "/api/plex/pin"),
    ("GET", "/api/plex/pin/{pin_id}"),
    ("POST", "/api/plex/pin/{pin_id}/add"),
    ("DELETE", "/api/tokens/{token_id}"),
    ("POST", "/api/auth/password"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/sync"),  # would run real syncs of the generated (server-less) sources
    # Reach the (server-less) sources by design and answer 503 for them: fetching a
    # series' episodes, and edits that sign in again.
    ("POST", "/api/items/{item_id}/children"),
    ("PATCH", "/api/sources/{source_id}"),
}
MAX_EXAMPLES = 10


def test_no_operation_answers_5xx(db: Database, tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path), db, hasher=FAST_HASHER)
    svc = app.state.reel
    generate_catalog(db, 120, seed=9)
    admin = svc.auth.setup("ann", PASSWORD)
    _, token = svc.auth.create_token(admin.id, "schemathesis")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    tested = 0
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            if (operation.method.upper(), operation.path) in SKIP:
                continue
            tested += 1

            @given(case=operation.as_strategy())
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: schemathesis.Case) -> None:
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} {case.query} -> "
                        f"{response.status_code} {response.text[:200]}"
                    )

            with contextlib.suppress(Unsatisfiable):
                check()
    finally:
        asyncio.run(close_services(svc))
    assert tested > 25
    assert not failures, "\n".join(failures)
