"""plex.tv PIN sign-in, server discovery and connection choice against the fake."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest
from plex_support import CLIENT_ID, FAST_RETRY, collect, make_adapter

from reel.sources.base import ListingContext
from reel.sources.errors import CannotConnect, InvalidAuth
from reel.sources.plex import signin
from reel.sources.plex.signin import ConnectionInfo, ServerInfo
from reel.testing.fakes.plex import FakePlex, FakePlexConfig, build
from reel.testing.fakes.plex.plex_tv import connection, player_resource, server_resource
from reel.testing.server import free_port, serve_in_thread


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


async def test_pin_flow_returns_the_account_token(fake: FakePlex, plex_url: str) -> None:
    pin = await signin.start_pin(CLIENT_ID, plex_tv_url=plex_url, retry=FAST_RETRY)
    assert len(pin.code) == 25
    assert pin.auth_url.startswith("https://app.plex.tv/auth#?")
    assert f"clientID={CLIENT_ID}" in pin.auth_url and f"code={pin.code}" in pin.auth_url
    assert await signin.check_pin(pin.id, CLIENT_ID, plex_tv_url=plex_url) is None
    waiter = asyncio.create_task(
        signin.poll_pin(pin, CLIENT_ID, plex_tv_url=plex_url, timeout=30, interval=0.02)
    )
    await asyncio.sleep(0.1)
    assert not waiter.done()
    assert fake.plex_tv.approve(pin_id=pin.id)
    assert await waiter == fake.config.account_token
    name = await signin.account_name(fake.config.account_token, CLIENT_ID, plex_tv_url=plex_url)
    assert name == fake.config.username


async def test_pin_linked_over_http_like_plex_tv_link(fake: FakePlex, plex_url: str) -> None:
    pin = await signin.start_pin(CLIENT_ID, plex_tv_url=plex_url)
    async with httpx.AsyncClient() as http:
        response = await http.put(
            f"{plex_url}/api/v2/pins/link",
            data={"code": pin.code},
            headers={"X-Plex-Token": fake.config.account_token, "X-Plex-Client-Identifier": "x"},
        )
    assert response.status_code == 204
    assert (
        await signin.check_pin(pin.id, CLIENT_ID, plex_tv_url=plex_url) == fake.config.account_token
    )


async def test_pin_times_out_and_expires(fake: FakePlex, plex_url: str) -> None:
    pin = await signin.start_pin(CLIENT_ID, plex_tv_url=plex_url)
    with pytest.raises(signin.PinExpired, match="not completed"):
        await signin.poll_pin(pin, CLIENT_ID, plex_tv_url=plex_url, timeout=0.1, interval=0.02)
    fake.plex_tv.pins[pin.id].ttl = 0
    with pytest.raises(signin.PinExpired, match="expired"):
        await signin.check_pin(pin.id, CLIENT_ID, plex_tv_url=plex_url, retry=FAST_RETRY)


async def test_discovery_lists_owned_and_shared_servers(fake: FakePlex, plex_url: str) -> None:
    relay = "https://10-0-0-1.abcdef.plex.direct:8443"
    fake.plex_tv.resources = [
        server_resource("Zed Shared", "shared-id", "shared-token",
                        [connection("http://192.0.2.9:32400")], owned=False, owner="friend"),
        server_resource("Home", fake.config.machine_identifier, fake.config.token,
                        [connection(plex_url, local=True), connection(relay, relay=True)]),
        player_resource(),
    ]  # fmt: skip
    servers = await signin.discover_servers(
        fake.config.account_token, CLIENT_ID, plex_tv_url=plex_url
    )
    assert [(s.name, s.owned, s.owner, s.access_token) for s in servers] == [
        ("Home", True, None, fake.config.token),
        ("Zed Shared", False, "friend", "shared-token"),
    ]
    assert [(c.uri, c.kind) for c in servers[0].connections] == [
        (plex_url, "local"),
        (relay, "relay"),
    ]
    settings = servers[0].source_settings()
    assert settings["machine_identifier"] == fake.config.machine_identifier
    assert settings["connections"][1] == {"uri": relay, "local": False, "relay": True}


async def test_discovery_with_a_bad_token(plex_url: str) -> None:
    with pytest.raises(InvalidAuth):
        await signin.discover_servers("nope", CLIENT_ID, plex_tv_url=plex_url)


@pytest.fixture
def second_url(fake: FakePlex) -> Iterator[str]:
    with serve_in_thread(fake.app) as url:
        yield url


def server(fake: FakePlex, *conns: ConnectionInfo) -> ServerInfo:
    return ServerInfo(
        "Fake", fake.config.machine_identifier, fake.config.token, True, connections=conns
    )


async def test_choice_prefers_local_then_remote_then_relay(
    fake: FakePlex, plex_url: str, second_url: str
) -> None:
    local, remote = ConnectionInfo(plex_url, "local"), ConnectionInfo(second_url, "remote")
    relay = ConnectionInfo(second_url + "/", "relay")
    fake.faults.set("slow", delay=0.3, path_prefix="/identity", count=1)  # local is slowest
    chosen = await signin.choose_connection(server(fake, relay, remote, local), CLIENT_ID)
    assert (chosen.uri, chosen.kind) == (plex_url, "local") and chosen.latency_ms > 0
    dead = ConnectionInfo(dead_url(), "local")
    chosen = await signin.choose_connection(server(fake, relay, dead, remote), CLIENT_ID)
    assert chosen.kind == "remote"
    chosen = await signin.choose_connection(server(fake, dead, relay), CLIENT_ID)
    assert chosen.kind == "relay"
    with pytest.raises(CannotConnect):
        await signin.choose_connection(server(fake, dead), CLIENT_ID, timeout=0.5)


async def test_choice_skips_a_different_server_at_a_local_address(
    fake: FakePlex, plex_url: str
) -> None:
    other = build(FakePlexConfig(movies=1, shows=0, machine_identifier="someone-else"))
    with serve_in_thread(other.app) as other_url:
        chosen = await signin.choose_connection(
            server(fake, ConnectionInfo(other_url, "local"), ConnectionInfo(plex_url, "remote")),
            CLIENT_ID,
        )
    assert chosen.uri == plex_url


async def test_adapter_falls_back_when_the_remembered_connection_dies(fake: FakePlex) -> None:
    with ExitStack() as stack:
        first = stack.enter_context(serve_in_thread(fake.app))
        second = stack.enter_context(serve_in_thread(fake.app))
        conns = [
            ConnectionInfo(first, "local").as_setting(),
            ConnectionInfo(second, "remote").as_setting(),
        ]
        ad = make_adapter(first, fake.config.token, connections=conns,
                          machine_identifier=fake.config.machine_identifier)  # fmt: skip
        result = await ad.test()
        assert (
            result.details["connection"] == first and result.details["connection_kind"] == "local"
        )
        stack.close()  # nothing answers any more
        assert not (await ad.test()).reachable
        await ad.aclose()
    with serve_in_thread(fake.app, port=int(second.rsplit(":", 1)[1])):
        pages = await collect(ad, ListingContext())
        assert sum(len(p.items) for p in pages) > 0
        assert ad.config.settings["url"] == second  # remembered for next time
        result = await ad.test()
        assert result.details["connection_kind"] == "remote" and result.latency_ms is not None
        await ad.set_played(str(fake.library.keys_of("movie")[0]), "movie", True)
    await ad.aclose()


async def test_adapter_leaves_an_address_taken_over_by_another_server(
    fake: FakePlex, plex_url: str
) -> None:
    other = build(FakePlexConfig(movies=1, shows=0, machine_identifier="someone-else"))
    with serve_in_thread(other.app) as other_url:
        conns = [
            ConnectionInfo(other_url, "local").as_setting(),
            ConnectionInfo(plex_url, "remote").as_setting(),
        ]
        ad = make_adapter(
            other_url,
            fake.config.token,
            connections=conns,
            machine_identifier=fake.config.machine_identifier,
        )
        pages = await collect(ad, ListingContext())
        assert sum(len(p.items) for p in pages) == 7 + 2 + 4 + 12
        assert ad.config.settings["url"] == plex_url
        await ad.aclose()
