"""Errors become the neutral source errors with messages people can act on."""

from __future__ import annotations

from typing import Any

import pytest

from reel.sources.base import ListingContext
from reel.sources.errors import BadResponse, CannotConnect, InvalidAuth
from reel.sources.jellyfin.adapter import JellyfinAdapter
from reel.testing.fakes.jellyfin import FakeJellyfin
from reel.testing.server import free_port

REVOKED = "token expired or revoked for source home — sign in again"


async def _list(adapter: JellyfinAdapter) -> None:
    async for _ in adapter.listing(ListingContext(full=True)):
        pass


async def test_revoked_token_needs_sign_in(fake: FakeJellyfin, adapter: JellyfinAdapter) -> None:
    fake.data.revoke_tokens()
    with pytest.raises(InvalidAuth) as info:
        await _list(adapter)
    assert str(info.value) == REVOKED
    with pytest.raises(InvalidAuth, match="sign in again"):
        await adapter.set_played(fake.ids("Movie")[0], "movie", True)
    result = await adapter.test()
    assert result.reachable and not result.authenticated
    assert result.message == REVOKED


async def test_revoked_fault_mode(fake: FakeJellyfin, adapter: JellyfinAdapter) -> None:
    fake.faults.set("revoked", count=1)
    with pytest.raises(InvalidAuth, match="sign in again"):
        await _list(adapter)


async def test_second_login_with_same_device_ends_first_token(
    fake: FakeJellyfin, adapter: JellyfinAdapter, config_for: Any, fast_retry: Any
) -> None:
    other = JellyfinAdapter(config_for(), retry=fast_retry)
    await other.setup()
    await other.aclose()
    with pytest.raises(InvalidAuth):
        await _list(adapter)


async def test_wrong_password(config_for: Any, fast_retry: Any) -> None:
    config = config_for()
    config.secrets["password"] = "nope"
    adapter = JellyfinAdapter(config, retry=fast_retry)
    with pytest.raises(InvalidAuth, match="wrong username or password for source home"):
        await adapter.setup()
    await adapter.aclose()


async def test_unreachable_server(config_for: Any, fast_retry: Any) -> None:
    adapter = JellyfinAdapter(config_for(url=f"http://127.0.0.1:{free_port()}"), retry=fast_retry)
    with pytest.raises(CannotConnect):
        await adapter.setup()
    result = await adapter.test()
    assert not result.reachable
    await adapter.aclose()


@pytest.mark.parametrize("mode", ["5xx", "truncated", "reset"])
async def test_transient_faults_are_retried(
    fake: FakeJellyfin, adapter: JellyfinAdapter, mode: str, run_listing: Any
) -> None:
    fake.faults.set(mode, count=2, path="/items")
    got = await run_listing(adapter, ListingContext(full=True))
    assert len(got.items("movie")) == fake.count("Movie")
    assert fake.faults.hits == 2


@pytest.mark.parametrize("mode", ["5xx", "truncated", "reset"])
async def test_persistent_faults_mean_offline(
    fake: FakeJellyfin, adapter: JellyfinAdapter, mode: str
) -> None:
    fake.faults.set(mode)
    with pytest.raises(CannotConnect):
        await _list(adapter)


async def test_html_instead_of_json(fake: FakeJellyfin, adapter: JellyfinAdapter) -> None:
    fake.faults.set("html", path="/items")
    with pytest.raises(BadResponse, match="malformed answer"):
        await _list(adapter)


async def test_slow_server_times_out(fake: FakeJellyfin, config_for: Any, fast_retry: Any) -> None:
    adapter = JellyfinAdapter(config_for(timeout=0.2), retry=fast_retry)
    adapter = JellyfinAdapter(await adapter.setup(), retry=fast_retry)
    fake.faults.set("slow", delay=1.0, path="/userviews")
    with pytest.raises(CannotConnect, match="timed out during library list"):
        await _list(adapter)
    await adapter.aclose()


async def test_connection_test_reports_account(adapter: JellyfinAdapter) -> None:
    result = await adapter.test()
    assert result.reachable and result.authenticated
    assert result.details["user"] == "reel"
    assert result.details["version"] == "12.0.0"
    assert result.latency_ms is not None
