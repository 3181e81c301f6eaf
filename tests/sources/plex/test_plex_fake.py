"""The fake Plex server proved against python-plexapi, and its own protocol details."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from plex_support import collect, make_adapter
from plexapi.exceptions import Unauthorized
from plexapi.server import PlexServer

from reel.sources.base import ListingContext
from reel.testing.fakes.plex import FakePlex, FakePlexConfig, build
from reel.testing.server import serve_in_thread


def test_python_plexapi_browses_and_writes_back() -> None:
    # more movies than plexapi's 100-item container size, so its paging runs too
    fake = build(FakePlexConfig(movies=105, shows=2, seasons=2, episodes=3))
    with serve_in_thread(fake.app) as url:
        server = PlexServer(url, fake.config.token, timeout=10)
        assert (server.friendlyName, server.machineIdentifier) == (
            fake.config.name,
            fake.config.machine_identifier,
        )
        sections = server.library.sections()
        assert [(s.key, s.type) for s in sections] == [(1, "movie"), (2, "show"), (3, "artist")]
        movies = sections[0].all()
        assert len(movies) == 105 and len({m.ratingKey for m in movies}) == 105
        assert movies[0].guids and movies[0].guids[0].id.startswith("imdb://")
        shows = sections[1].all()
        assert len(shows) == 2
        episodes = shows[0].episodes()
        assert len(episodes) == 6
        assert {(e.seasonNumber, e.index) for e in episodes} == {
            (s, e) for s in (1, 2) for e in (1, 2, 3)
        }
        assert [s.index for s in shows[0].seasons()] == [1, 2]

        target = next(e for e in episodes if not e.isPlayed)
        target.markPlayed()
        progress = next(e for e in episodes if not e.isPlayed and e != target)
        progress.updateTimeline(95_000, state="paused", duration=progress.duration)
        movie = next(m for m in movies if m.isPlayed)
        movie.markUnplayed()

        async def our_view() -> dict[str, tuple[bool, int]]:
            ad = make_adapter(url, fake.config.token, page_size=50)
            pages = await collect(ad, ListingContext())
            await ad.aclose()
            return {u.remote_id: (u.played, u.position_ms) for p in pages for u in p.user_data}

        seen = asyncio.run(our_view())
        assert seen[str(target.ratingKey)] == (True, 0)
        assert seen[str(progress.ratingKey)] == (False, 95_000)
        assert seen[str(movie.ratingKey)] == (False, 0)
        assert server.fetchItem(target.ratingKey).isPlayed
        fake.revoke_token()
        with pytest.raises(Unauthorized):
            server.fetchItem(target.ratingKey)


@pytest.fixture
def small() -> FakePlex:
    return build(FakePlexConfig(movies=5, shows=1, seasons=1, episodes=2))


async def test_paging_json_and_xml(small: FakePlex) -> None:
    with serve_in_thread(small.app) as url:
        async with httpx.AsyncClient(
            base_url=url, headers={"X-Plex-Token": small.config.token}
        ) as http:
            paged = await http.get(
                "/library/sections/1/all?type=1",
                headers={
                    "Accept": "application/json",
                    "X-Plex-Container-Start": "2",
                    "X-Plex-Container-Size": "2",
                },
            )
            body = paged.json()["MediaContainer"]
            assert (body["size"], body["totalSize"], body["offset"]) == (2, 5, 2)
            assert [m["ratingKey"] for m in body["Metadata"]] == ["3", "4"]
            assert paged.headers["X-Plex-Container-Total-Size"] == "5"
            probe = (
                await http.get(
                    "/library/sections/1/all?type=1",
                    headers={"Accept": "application/json", "X-Plex-Container-Size": "0"},
                )
            ).json()
            assert (
                probe["MediaContainer"]["totalSize"] == 5
                and "Metadata" not in probe["MediaContainer"]
            )
            xml = await http.get("/library/sections/2/all?type=4")
            assert xml.text.startswith("<?xml") and xml.text.count("<Video ") == 2
            assert "totalSize" not in xml.text  # unpaged answers carry no total
            only = (
                await http.get(
                    "/library/sections/1/all?type=1&includeFields=ratingKey,viewCount&excludeElements=Media,Genre,Guid",
                    headers={"Accept": "application/json", "X-Plex-Pms-Api-Version": "1.1.1"},
                )
            ).json()["MediaContainer"]["Metadata"]
            assert all(set(m) <= {"ratingKey", "viewCount"} for m in only)


async def test_date_filters_use_the_operator_in_the_name(small: FakePlex) -> None:
    lib = small.library
    lib.touch([1, 2])
    now = int(datetime.now(UTC).timestamp())
    with serve_in_thread(small.app) as url:
        async with httpx.AsyncClient(
            base_url=url, headers={"X-Plex-Token": small.config.token, "Accept": "application/json"}
        ) as http:

            async def keys(params: dict[str, object]) -> list[str]:
                doc = (
                    await http.get("/library/sections/1/all", params={"type": 1, **params})
                ).json()
                return [m["ratingKey"] for m in doc["MediaContainer"].get("Metadata", [])]

            assert await keys({"updatedAt>>": now - 60}) == ["1", "2"]
            assert await keys({"updatedAt<<": now - 60}) == ["3", "4", "5"]
            assert await keys({"updatedAt>>": "-1h"}) == ["1", "2"]
            lib.mark_watched(5)
            assert await keys({"lastViewedAt>>": now - 60}) == ["5"]
            watched = await keys({"viewCount>>": 0})
            lib.mark_unwatched(5)
            assert "5" in watched and "5" not in await keys({"viewCount>>": 0})
            assert await keys({"lastViewedAt>>": now - 60}) == []


async def test_auth_identity_and_files(small: FakePlex) -> None:
    with serve_in_thread(small.app) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            assert (await http.get("/library/sections")).status_code == 401
            assert (await http.get("/identity")).status_code == 200  # no token needed
            item = small.library.items[1]
            part = await http.get(f"{item.part_key}?X-Plex-Token={small.config.token}")
            assert part.status_code == 200 and len(part.content) == 256 * 1024
            tail = await http.get(
                f"{item.part_key}?X-Plex-Token={small.config.token}", headers={"Range": "bytes=-10"}
            )
            assert tail.status_code == 206 and tail.content == part.content[-10:]
            bad = await http.get(
                f"{item.part_key}?X-Plex-Token={small.config.token}",
                headers={"Range": "bytes=999999999-"},
            )
            assert bad.status_code == 416


async def test_fault_switches(small: FakePlex) -> None:
    with serve_in_thread(small.app) as url:
        async with httpx.AsyncClient(
            base_url=url, headers={"X-Plex-Token": small.config.token}
        ) as http:
            small.faults.set("error", count=1, status=503)
            assert (await http.get("/library/sections")).status_code == 503
            assert (await http.get("/library/sections")).status_code == 200
            small.faults.set("truncate", count=1)
            with pytest.raises(httpx.TransportError):
                await http.get("/library/sections/1/all")
            small.faults.set("reset", count=1)
            with pytest.raises(httpx.TransportError):
                await http.get("/library/sections")
            small.faults.set("slow", count=1, delay=0.3)
            with pytest.raises(httpx.TimeoutException):
                await http.get("/library/sections", timeout=0.1)
            assert (await http.get("/library/sections")).status_code == 200


def test_fake_is_deterministic() -> None:
    a = build(FakePlexConfig(movies=10, shows=2, seed=3)).library
    b = build(FakePlexConfig(movies=10, shows=2, seed=3)).library
    assert [(i.title, i.year, i.view_count) for i in a.items.values()] == [
        (i.title, i.year, i.view_count) for i in b.items.values()
    ]
