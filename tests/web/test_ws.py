"""Events reach signed-in WebSocket clients: watch-state changes only their owner's."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from reel.events.types import SyncProgress
from tests.web.conftest import PASSWORD, services_of

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _login(client: TestClient, username: str) -> None:
    response = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]


def test_ws_receives_watch_changes_and_bus_events(app: FastAPI) -> None:
    from reel.testing.catalog_gen import generate_catalog

    svc = services_of(app)
    generate_catalog(svc.db, 60, seed=2)
    with TestClient(app) as ann, TestClient(app) as bob:
        setup = ann.post("/api/setup", json={"username": "ann", "password": PASSWORD})
        ann.headers["X-CSRF-Token"] = setup.json()["csrf_token"]
        ann.post("/api/users", json={"username": "bob", "password": PASSWORD})
        _login(bob, "bob")
        item = ann.get("/api/items", params={"type": "movie", "limit": 1}).json()["items"][0]
        with ann.websocket_connect("/ws") as ws_ann, bob.websocket_connect("/ws") as ws_bob:
            assert ws_ann.receive_json()["event"] == "hello"
            assert ws_bob.receive_json()["user"]["username"] == "bob"
            saved = ann.put(f"/api/items/{item['id']}/progress", json={"position_ms": 1000})
            assert saved.status_code == 200
            event = ws_ann.receive_json()
            assert event == {"event": "watch.changed", "user_id": setup.json()["user"]["id"],
                             "item_ids": [item["id"]]}  # fmt: skip
            svc.bus.publish(SyncProgress(source="IPTV", run_id=1, phase="items", done=5, total=9))
            # bob never saw ann's watch change: his next message is the sync progress.
            assert ws_bob.receive_json()["event"] == "sync.progress"
            assert ws_ann.receive_json()["done"] == 5
            ws_ann.send_json({"type": "ping"})
            assert ws_ann.receive_json()["event"] == "pong"
