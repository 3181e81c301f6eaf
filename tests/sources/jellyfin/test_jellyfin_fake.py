"""The fake behaves like a Jellyfin 12 server where it matters to clients."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from reel.testing.fakes.jellyfin import FakeJellyfin, FakeJellyfinConfig
from reel.testing.server import serve_in_thread

CLIENT = 'MediaBrowser Client="t", Device="d", DeviceId="dev-1", Version="1"'


def _login(http: httpx.Client, header: str = CLIENT) -> httpx.Response:
    return http.post(
        "/Users/AuthenticateByName",
        headers={"Authorization": header},
        json={"Username": "reel", "Pw": "reel-secret"},
    )


@pytest.fixture
def http(fake: FakeJellyfin, server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url) as client:
        yield client


@pytest.fixture
def token(http: httpx.Client) -> str:
    response = _login(http)
    assert response.status_code == 200
    return str(response.json()["AccessToken"])


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f'{CLIENT}, Token="{token}"'}


@pytest.mark.parametrize(
    "missing", ['Client="t", ', 'Device="d", ', 'DeviceId="dev-1", ', ', Version="1"']
)
def test_login_without_client_fields_is_400(http: httpx.Client, missing: str) -> None:
    assert _login(http, CLIENT.replace(missing, "")).status_code == 400


def test_login_with_only_the_legacy_header_is_400(http: httpx.Client) -> None:
    response = http.post(
        "/Users/AuthenticateByName",
        headers={"X-Emby-Authorization": CLIENT},
        json={"Username": "reel", "Pw": "reel-secret"},
    )
    assert response.status_code == 400


def test_new_login_on_same_device_ends_old_token(http: httpx.Client, token: str) -> None:
    assert http.get("/Users/Me", headers=_auth(token)).status_code == 200
    second = _login(http).json()["AccessToken"]
    assert http.get("/Users/Me", headers=_auth(token)).status_code == 401
    assert http.get("/Users/Me", headers=_auth(second)).status_code == 200


def _legacy_forms(token: str) -> list[tuple[dict[str, str], dict[str, str]]]:
    return [
        ({"X-Emby-Token": token}, {}),
        ({"X-MediaBrowser-Token": token}, {}),
        ({"X-Emby-Authorization": f'{CLIENT}, Token="{token}"'}, {}),
        ({"Authorization": f'Emby {CLIENT[13:]}, Token="{token}"'}, {}),
        ({}, {"api_key": token}),
    ]


def test_legacy_forms_are_refused(http: httpx.Client, token: str) -> None:
    for headers, params in _legacy_forms(token):
        assert http.get("/UserViews", headers=headers, params=params).status_code == 401
    assert http.get("/UserViews", params={"ApiKey": token}).status_code == 200
    assert http.get("/UserViews", headers=_auth(token)).status_code == 200


def test_legacy_auth_compat_setting_accepts_them() -> None:
    fake = FakeJellyfin(FakeJellyfinConfig(movies=2, shows=1, legacy_auth=True))
    with serve_in_thread(fake.app) as url, httpx.Client(base_url=url) as http:
        legacy_login = http.post(
            "/Users/AuthenticateByName",
            headers={"X-Emby-Authorization": CLIENT},
            json={"Username": "reel", "Pw": "reel-secret"},
        )
        assert legacy_login.status_code == 200
        token = legacy_login.json()["AccessToken"]
        for headers, params in _legacy_forms(token):
            assert http.get("/UserViews", headers=headers, params=params).status_code == 200


def test_root_listing_ignores_filters(fake: FakeJellyfin, http: httpx.Client, token: str) -> None:
    body = http.get(
        "/Items", headers=_auth(token), params={"IncludeItemTypes": "Movie", "Limit": 1000}
    ).json()
    assert [i["Type"] for i in body["Items"]] == ["CollectionFolder"] * len(fake.data.libraries)


def test_unknown_parent_is_400(http: httpx.Client, token: str) -> None:
    response = http.get(
        "/Items", headers=_auth(token), params={"ParentId": "0" * 32, "Recursive": "true"}
    )
    assert response.status_code == 400


def test_routes_are_case_insensitive(http: httpx.Client, token: str) -> None:
    assert http.get("/userviews", headers=_auth(token)).status_code == 200
    assert http.get("/SYSTEM/INFO/PUBLIC").json()["Version"] == "12.0.0"


def test_extra_fields_only_when_named(fake: FakeJellyfin, http: httpx.Client, token: str) -> None:
    params = {"ParentId": fake.data.libraries[0].id, "Recursive": "true", "Limit": 1}
    plain = http.get("/Items", headers=_auth(token), params=params).json()["Items"][0]
    assert not {"Overview", "Genres", "ProviderIds", "DateCreated", "SortName", "Path"} & set(plain)
    assert {"Name", "Id", "Type", "RunTimeTicks", "UserData", "ImageTags"} <= set(plain)
    rich = http.get(
        "/Items", headers=_auth(token), params={**params, "Fields": "Overview,ProviderIds"}
    ).json()["Items"][0]
    assert {"Overview", "ProviderIds"} <= set(rich) and "Genres" not in rich
    bare = http.get(
        "/Items",
        headers=_auth(token),
        params={**params, "EnableUserData": "false", "EnableImages": "false"},
    ).json()["Items"][0]
    assert "UserData" not in bare and "ImageTags" not in bare


def test_min_date_last_saved_sees_metadata_not_watch_state(
    fake: FakeJellyfin, http: httpx.Client, token: str
) -> None:
    since = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    changed = fake.data.change_metadata(2)
    fake.data.set_played(fake.ids("Movie")[-3:], True)
    for name in ("MinDateLastSaved", "MinDateLastSavedForUser"):
        body = http.get(
            "/Items",
            headers=_auth(token),
            params={"Recursive": "true", "IncludeItemTypes": "Movie", name: since},
        ).json()
        assert sorted(i["Id"] for i in body["Items"]) == sorted(changed)


def test_paging_and_totals(fake: FakeJellyfin, http: httpx.Client, token: str) -> None:
    params = {
        "Recursive": "true",
        "IncludeItemTypes": "Episode",
        "Limit": 5,
        "SortBy": "DateCreated,SortName",
    }
    seen: list[str] = []
    for start in range(0, fake.count("Episode"), 5):
        body = http.get("/Items", headers=_auth(token), params={**params, "StartIndex": start})
        payload = body.json()
        assert payload["TotalRecordCount"] == fake.count("Episode")
        seen += [i["Id"] for i in payload["Items"]]
    assert sorted(seen) == sorted(fake.ids("Episode"))


def test_limit_zero_lists_everything(fake: FakeJellyfin, http: httpx.Client, token: str) -> None:
    """The server takes only a positive Limit: `Limit=0` is no limit, not a bare count (a
    client that wants a count asks for one row)."""
    params = {"Recursive": "true", "IncludeItemTypes": "Movie", "Limit": 0}
    body = http.get("/Items", headers=_auth(token), params=params).json()
    assert len(body["Items"]) == body["TotalRecordCount"] == fake.count("Movie") > 7
    later = http.get("/Items", headers=_auth(token), params={**params, "StartIndex": 5}).json()
    assert [i["Id"] for i in later["Items"]] == [i["Id"] for i in body["Items"][5:]]
    assert later["TotalRecordCount"] == fake.count("Movie")


def test_without_total_record_count_the_total_is_the_page(
    fake: FakeJellyfin, http: httpx.Client, token: str
) -> None:
    """Like the server, which then skips its count query and reports the rows returned."""
    params = {"Recursive": "true", "IncludeItemTypes": "Movie", "StartIndex": 3, "Limit": 4}
    counted = http.get("/Items", headers=_auth(token), params=params).json()
    assert counted["TotalRecordCount"] == fake.count("Movie") > 7
    skipped = http.get(
        "/Items", headers=_auth(token), params={**params, "EnableTotalRecordCount": "false"}
    ).json()
    assert len(skipped["Items"]) == skipped["TotalRecordCount"] == 4
    assert [i["Id"] for i in skipped["Items"]] == [i["Id"] for i in counted["Items"]]


def test_ids_return_those_items_with_user_data(
    fake: FakeJellyfin, http: httpx.Client, token: str
) -> None:
    owner = fake.owner.id
    wanted = [*fake.ids("Movie")[:2], fake.ids("Episode")[0], "0" * 32]
    body = http.get(
        "/Items",
        headers=_auth(token),
        params={"Ids": ",".join(wanted), "EnableUserData": "true", "EnableImages": "false"},
    ).json()
    assert sorted(i["Id"] for i in body["Items"]) == sorted(wanted[:3])
    for item in body["Items"]:
        assert item["UserData"]["Played"] == fake.data.data_for(owner, item["Id"]).played
        assert "ImageTags" not in item


def test_sizes_are_deterministic_and_as_asked() -> None:
    config = FakeJellyfinConfig(movies=7, shows=2, seasons=3, episodes=5, seed=9)
    a, b = FakeJellyfin(config), FakeJellyfin(config)
    assert (a.count("Movie"), a.count("Series"), a.count("Season"), a.count("Episode")) == (
        7,
        2,
        6,
        30,
    )
    assert [(i.id, i.name) for i in a.data.items.values()] == [
        (i.id, i.name) for i in b.data.items.values()
    ]
    assert a.data.user_data == b.data.user_data


def test_delete_cascades_and_add_appends(fake: FakeJellyfin) -> None:
    series = fake.ids("Series")[0]
    gone = fake.data.delete(1, "Series")
    assert series in gone and len(gone) == 1 + 2 + 2 * 4
    added = fake.data.add_movies(2)
    assert fake.ids("Movie")[-2:] == added


def test_range_requests_on_streams(fake: FakeJellyfin, http: httpx.Client) -> None:
    item = fake.ids("Movie")[0]
    size = fake.config.stream_size
    whole = http.get(f"/Videos/{item}/stream", params={"static": "true"})
    assert whole.status_code == 200 and len(whole.content) == size
    tail = http.get(f"/Videos/{item}/stream", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == whole.content[-10:]
    beyond = http.get(f"/Videos/{item}/stream", headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416


def test_watch_state_filters_follow_changes(
    fake: FakeJellyfin, http: httpx.Client, token: str
) -> None:
    """IsPlayed / Filters / SortBy=DatePlayed listings are not served from a stale cache."""
    owner = fake.owner.id
    base = {"Recursive": "true", "IncludeItemTypes": "Movie", "Limit": 1}

    def total(**extra: str) -> int:
        body = http.get("/Items", headers=_auth(token), params={**base, **extra}).json()
        return int(body["TotalRecordCount"])

    played, resumable = total(IsPlayed="true"), total(Filters="IsResumable")
    assert played == sum(fake.data.data_for(owner, m).played for m in fake.ids("Movie"))
    unplayed = [m for m in fake.ids("Movie") if not fake.data.data_for(owner, m).played]
    fake.data.set_played(unplayed[:2], True)
    assert total(IsPlayed="true") == played + 2
    assert total(Filters="IsPlayed") == played + 2
    fake.data.set_progress(unplayed[2:3], 120_000)
    assert total(Filters="IsResumable") == resumable + 1
    newest = http.get(
        "/Items",
        headers=_auth(token),
        params={**base, "SortBy": "DatePlayed", "SortOrder": "Descending"},
    ).json()["Items"][0]
    assert newest["Id"] == unplayed[2]
    assert (
        http.get("/Items", headers=_auth(token), params={**base, "Filters": "Bogus"}).status_code
        == 400
    )


def test_marking_follows_the_server_rules(
    fake: FakeJellyfin, http: httpx.Client, token: str
) -> None:
    """MarkUnplayed clears count and date; MarkPlayed without datePlayed keeps a date."""
    owner = fake.owner.id
    item = next(m for m in fake.ids("Movie") if fake.data.data_for(owner, m).played)
    before = fake.data.data_for(owner, item)
    count, date = before.play_count, before.last_played
    http.post(f"/UserPlayedItems/{item}", headers=_auth(token)).raise_for_status()
    after = fake.data.data_for(owner, item)
    assert (after.play_count, after.last_played) == (count, date)
    http.delete(f"/UserPlayedItems/{item}", headers=_auth(token)).raise_for_status()
    cleared = fake.data.data_for(owner, item)
    assert (cleared.played, cleared.play_count, cleared.last_played) == (False, 0, None)
    http.post(
        f"/UserPlayedItems/{item}",
        headers=_auth(token),
        params={"datePlayed": "2025-05-01T10:00:00Z"},
    ).raise_for_status()
    again = fake.data.data_for(owner, item)
    assert again.played and again.play_count == 1
    assert again.last_played == datetime(2025, 5, 1, 10, tzinfo=UTC)
