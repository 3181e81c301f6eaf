"""Plex sign-in through the source service: one source per reachable server, owned and
shared; servers nobody can reach are reported, not stored; signing in again re-keys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reel.catalog.db import Database
from reel.services.plex_login import PlexLogin
from reel.services.sources import SourceService
from reel.sources.plex.signin import PinExpired
from reel.sync.engine import SyncEngine
from reel.testing.fakes.plex import FakePlex, FakePlexConfig, build
from reel.testing.fakes.plex.plex_tv import connection, server_resource
from reel.testing.server import free_port, serve_in_thread

FRIEND_ID = "f41e2d000000000000000000000000000000000b"


@pytest.fixture
def servers() -> Iterator[tuple[FakePlex, FakePlex, str]]:
    """The account's own server (which also serves plex.tv) and a friend's shared one."""
    own = build(FakePlexConfig(movies=4, shows=1, seasons=1, episodes=2))
    friend = build(
        FakePlexConfig(
            movies=3,
            shows=0,
            name="Friend Plex",
            token="friend-token",
            machine_identifier=FRIEND_ID,
        )
    )
    with serve_in_thread(own.app) as own_url, serve_in_thread(friend.app) as friend_url:
        dead = f"http://127.0.0.1:{free_port()}"
        own.advertise(own_url)
        own.plex_tv.resources += [
            server_resource(
                "Friend Plex",
                FRIEND_ID,
                "friend-token",
                # the local address is another network's: only the remote one answers
                [connection(dead, local=True), connection(friend_url)],
                owned=False,
                owner="friend",
            ),
            server_resource("Gone", "90e" + "0" * 37, "gone-token", [connection(dead, local=True)]),
        ]
        yield own, friend, own_url


async def test_login_adds_each_reachable_server(
    db: Database,
    service: SourceService,
    engine: SyncEngine,
    servers: tuple[FakePlex, FakePlex, str],
) -> None:
    own, friend, url = servers
    login = PlexLogin(service, url, probe_timeout=1.0)
    pin = await login.start()
    own.plex_tv.approve(pin.id)
    token = await login.wait(pin, timeout=5, interval=0.01)
    assert token == own.config.account_token

    result = await login.add_servers(token)
    got = {s.source.name: s for s in result.servers}
    assert set(got) == {"Fake Plex", "Friend Plex (friend)"}
    assert [name for name, _ in result.unreachable] == ["Gone"]
    assert got["Fake Plex"].chosen.kind == "local" and got["Fake Plex"].server.owned
    assert got["Friend Plex (friend)"].chosen.kind == "remote"
    assert not got["Friend Plex (friend)"].server.owned

    stored = service.config("Friend Plex (friend)")
    assert stored.secrets == {"token": "friend-token"}
    assert stored.settings["machine_identifier"] == FRIEND_ID
    assert stored.settings["client_id"] == service.install_id()
    shared = await engine.sync("Friend Plex (friend)")
    assert shared.added == {"movie": len(friend.library.keys_of("movie"))}
    assert (await engine.sync("Fake Plex")).ok

    # signing in again updates the same sources instead of adding copies
    again = await login.add_servers(token)
    assert sorted(s.action for s in again.servers) == ["updated", "updated"]
    assert sorted(i.name for i in service.list_sources()) == sorted(got)


async def test_pin_not_approved_in_time(
    service: SourceService, servers: tuple[FakePlex, FakePlex, str]
) -> None:
    _, _, url = servers
    login = PlexLogin(service, url)
    pin = await login.start()
    with pytest.raises(PinExpired, match="not completed"):
        await login.wait(pin, timeout=0.05, interval=0.02)
    assert service.list_sources() == []
