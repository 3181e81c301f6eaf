"""The fake against the real client library, jellyfin-apiclient-python.

What the library (1.20.2) sends, read from its source: `Authorization: MediaBrowser
Client=…, Device=…, DeviceId=…, Version=…[, Token=…]` on every request (http.py
`_get_authenication_header`), a login body with a lower-case `username` key, and the
obsolete `/Users/{UserId}/Views|Items|PlayedItems` routes that 12.0 still serves. It never
sends `X-Emby-Authorization`, so it works against a Jellyfin 12 with legacy
authorization off; the URLs it builds for players carry `ApiKey`, not `api_key`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from jellyfin_apiclient_python import JellyfinClient
from jellyfin_apiclient_python.connection_manager import CONNECTION_STATE

from reel.testing.fakes.jellyfin import FakeJellyfin


def _client(url: str, fake: FakeJellyfin) -> Any:
    client = JellyfinClient()
    client.config.app("Reel library test", "0.0.1", "pytest", "apiclient-device")
    client.config.data["auth.ssl"] = False
    state = client.auth.connect_to_address(url)
    assert state["State"] == CONNECTION_STATE["ServerSignIn"]  # reachable, not signed in
    result = client.auth.login(url, fake.config.username, fake.config.password)
    assert result["AccessToken"] in fake.data.devices
    return client


def _sync(fake: FakeJellyfin, url: str) -> dict[str, Any]:
    client = _client(url, fake)
    api = client.jellyfin
    views = api.get_views()
    movies_lib = next(v for v in views["Items"] if v["CollectionType"] == "movies")
    movies = api.user_items(
        params={
            "ParentId": movies_lib["Id"],
            "Recursive": True,
            "IncludeItemTypes": "Movie",
            "Fields": "ProviderIds",
        }
    )
    episodes = api.user_items(params={"Recursive": True, "IncludeItemTypes": "Episode"})
    one = api.get_item(movies["Items"][0]["Id"])
    api.item_played(movies["Items"][1]["Id"], True)
    stream_url = api._get_url(
        f"Videos/{movies['Items'][0]['Id']}/master.m3u8",
        {"mediaSourceId": movies["Items"][0]["Id"]},
    )
    return {
        "views": views,
        "movies": movies,
        "episodes": episodes,
        "one": one,
        "stream_url": stream_url,
    }


async def test_library_signs_in_lists_and_marks_played(fake: FakeJellyfin, server_url: str) -> None:
    got = await asyncio.to_thread(_sync, fake, server_url)
    assert [v["Name"] for v in got["views"]["Items"]][:2] == ["Movies", "Shows"]
    assert got["movies"]["TotalRecordCount"] == fake.count("Movie")
    assert all("ProviderIds" in m for m in got["movies"]["Items"])
    assert got["episodes"]["TotalRecordCount"] == fake.count("Episode")
    assert got["one"]["Id"] == got["movies"]["Items"][0]["Id"] and "Overview" in got["one"]
    played = got["movies"]["Items"][1]["Id"]
    assert fake.data.data_for(fake.owner.id, played).played

    # every request carried the modern header, none a legacy form
    library_requests = [
        h for _, _, h in fake.requests if "apiclient-device" in h.get("authorization", "")
    ]
    assert len(library_requests) >= 6
    assert not any("x-emby-authorization" in h or "x-emby-token" in h for _, _, h in fake.requests)

    # the URL it hands to players authenticates with ApiKey, which Jellyfin 12 still reads
    assert "ApiKey=" in got["stream_url"] and "api_key" not in got["stream_url"]
    async with httpx.AsyncClient() as client:
        assert (await client.get(got["stream_url"])).status_code == 200
        legacy = got["stream_url"].replace("ApiKey=", "api_key=")
        assert (await client.get(legacy)).status_code == 401
