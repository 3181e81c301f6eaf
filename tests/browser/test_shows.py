"""A series from the Xtream fake: its show page fetches the seasons and episodes the sync
never listed (Xtream lists them per series, on demand), season tabs switch the episode
list, and the player moves on to the next episode by itself and with the `n` key."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shots, api_client, sign_in
from tests.browser.stack import Stack

pytestmark = pytest.mark.browser

VIDEO = "document.querySelector('video')"
VIDEO_ENDED = f"() => {{ const v = {VIDEO}; return !!v && v.ended; }}"
VIDEO_PLAYING = f"() => {{ const v = {VIDEO}; return !!v && v.currentTime > 0.2; }}"


def test_show_page_fetches_episodes_and_the_player_goes_to_the_next(
    page: Page, synced_stack: Stack, shot: Shots
) -> None:
    cfg = synced_stack.fake.config
    with api_client(synced_stack) as client:
        show = client.get("/api/items", params={"type": "show", "limit": 1}).json()["items"][0]
        before = client.get(f"/api/items/{show['id']}").json()
    assert before["children_pending"] is True and before["children"] == []

    sign_in(page, synced_stack, f"/#/item/{show['id']}")
    expect(page.locator(".details h1")).to_have_text(show["title"])
    tabs = page.get_by_role("tablist", name="Seasons")
    expect(tabs.get_by_role("tab")).to_have_count(cfg.seasons)
    episodes = page.locator(".episodes .episode")
    expect(episodes).to_have_count(cfg.episodes_per_season)
    expect(episodes.first).to_contain_text("S01E01")
    shot("show-season-1")

    tabs.get_by_role("tab", name=re.compile("Season 2")).click()
    expect(tabs.get_by_role("tab", name=re.compile("Season 2"))).to_have_attribute(
        "aria-selected", "true"
    )
    expect(episodes.first).to_contain_text("S02E01")
    shot("show-season-2")
    with api_client(synced_stack) as client:
        stored = client.get(f"/api/items/{show['id']}").json()
    assert stored["children_pending"] is False
    season1 = stored["children"][0]["children"]
    first, second, third = (e["id"] for e in season1[:3])

    # "Play S01E01" starts the first episode; at its end "Up next" offers the second.
    tabs.get_by_role("tab", name=re.compile("Season 1")).click()
    page.locator("#play-button").click()
    expect(page).to_have_url(re.compile(rf"#/play/{first}$"))
    page.wait_for_function(f"({VIDEO_PLAYING})()", timeout=10_000)
    next_button = page.get_by_role("button", name="Next episode (n)")
    expect(next_button).to_be_visible()
    page.wait_for_function(f"({VIDEO_ENDED})()", timeout=15_000)
    upnext = page.locator(".upnext")
    expect(upnext).to_contain_text("Up next")
    expect(upnext).to_contain_text("S01E02")
    shot("up-next")
    upnext.get_by_role("button", name="Play now").click()
    expect(page).to_have_url(re.compile(rf"#/play/{second}$"))
    page.wait_for_function(f"({VIDEO_PLAYING})()", timeout=10_000)

    # `n` skips to the one after.
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(rf"#/play/{third}$"))
    page.wait_for_function(f"({VIDEO_PLAYING})()", timeout=10_000)
    shot("third-episode")
    with api_client(synced_stack) as client:
        assert client.get(f"/api/items/{first}/state").json()["played"] is True
