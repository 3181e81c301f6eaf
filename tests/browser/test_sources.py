"""Sources in the browser: add an Xtream panel, watch its sync progress live, test it, and
keep browsing its items while it is offline."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    Shots,
    add_xtream,
    api_client,
    create_admin,
    sign_in,
    sync_and_wait,
)
from tests.browser.stack import Stack

pytestmark = pytest.mark.browser


def test_add_xtream_source_and_sync_with_live_progress(
    page: Page, fresh_stack: Stack, shot: Shots
) -> None:
    create_admin(fresh_stack)
    # The series listing answers after a pause, so the sync stays visibly in progress
    # after the channels and films are in.
    fresh_stack.fake.faults.set("slow", delay=5.0, actions={"get_series"})
    sign_in(page, fresh_stack, "/#/sources")
    expect(page.get_by_role("heading", name="No sources yet")).to_be_visible()
    shot("empty")

    page.get_by_role("button", name="Add source").click()
    dialog = page.get_by_role("dialog", name="Add a source")
    expect(dialog.get_by_role("radio", name="Xtream Codes")).to_have_attribute(
        "aria-checked", "true"
    )
    dialog.get_by_label("Name", exact=True).fill("My panel")
    dialog.get_by_role("button", name="Test and add").click()
    # Required fields are checked in the browser first.
    expect(dialog.get_by_role("alert")).to_contain_text("Server URL")
    dialog.get_by_label("Server URL").fill(fresh_stack.xtream_url)
    dialog.get_by_label("Username").fill(fresh_stack.fake.config.username)
    dialog.get_by_label("Password", exact=True).fill("not-the-password")
    dialog.get_by_role("button", name="Test and add").click()
    # A wrong password comes back as the source's own message, and nothing is added.
    expect(dialog.get_by_role("alert")).not_to_be_empty(timeout=10_000)
    shot("add-error")
    dialog.get_by_label("Password", exact=True).fill(fresh_stack.fake.config.password)
    dialog.get_by_label("Sync automatically").select_option(label="Every 6 hours")
    dialog.get_by_role("button", name="Test and add").click()
    expect(dialog).to_have_count(0)

    row = page.locator("article.source[data-source='My panel']")
    bar = row.get_by_role("progressbar")
    expect(bar).to_be_visible()
    # Live progress over the WebSocket: a phase and a count that grows past zero.
    expect(bar).to_have_attribute("aria-valuetext", re.compile(r"\w+: [1-9]\d*"), timeout=10_000)
    shot("syncing")
    done_seen = int(bar.get_attribute("data-done") or 0)
    assert done_seen > 0

    expect(bar).to_be_hidden(timeout=20_000)
    expect(row).to_contain_text("80 movies")
    expect(row).to_contain_text("30 channels")
    expect(row).to_contain_text("Syncs every 6 hours")
    expect(row.locator("[data-role=status]")).to_have_text("ok")
    history = page.get_by_role("region", name="Sync history")
    expect(history.locator("tbody tr").first).to_contain_text("ok")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("Movies"))
    ).to_be_visible()
    shot("synced")

    row.get_by_role("button", name="Test").click()
    expect(page.locator(".toast.ok").filter(has_text="My panel: connected")).to_be_visible()

    row.get_by_role("button", name="Edit My panel").click()
    edit = page.get_by_role("dialog", name="Edit My panel")
    edit.get_by_label("Sync automatically").select_option(label="Every day")
    edit.get_by_role("button", name="Save").click()
    expect(row).to_contain_text("Syncs every day")
    shot("edited")

    with api_client(fresh_stack) as client:
        sources = client.get("/api/sources").json()
    assert [(s["name"], s["auto_sync"], s["sync_interval_s"]) for s in sources] == [
        ("My panel", True, 24 * 3600)
    ]


def test_offline_source_is_marked_and_its_items_stay_browsable(
    page: Page, fresh_stack: Stack, shot: Shots
) -> None:
    create_admin(fresh_stack)
    with api_client(fresh_stack) as client:
        add_xtream(client, fresh_stack, "Panel")
        sync_and_wait(client)
    sign_in(page, fresh_stack, "/#/sources")
    row = page.locator("article.source[data-source='Panel']")
    expect(row.locator("[data-role=status]")).to_have_text("ok")

    fresh_stack.xtream.stop()  # the panel goes away
    row.get_by_role("button", name="Test").click()
    expect(page.locator(".toast.error").filter(has_text="Panel")).to_be_visible()
    row.get_by_role("button", name="Sync now").click()
    expect(row.locator("[data-role=status]")).to_have_text("offline", timeout=15_000)
    expect(row).to_contain_text("items stay browsable")
    shot("sources-offline")

    # Browsing still works from the catalog, and every card says its source is offline.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("Movies")
    ).click()
    expect(page.locator(".view .banner").filter(has_text="Panel is offline")).to_be_visible()
    cards = page.locator(".vgrid .card[data-id]")
    expect(cards.first).to_be_visible()
    assert cards.count() > 10
    expect(cards.first.locator(".offline-badge")).to_have_text("Offline")
    shot("library-offline")
    cards.first.click()
    expect(page.locator(".details h1")).to_be_visible()
    expect(page.locator(".details .banner")).to_contain_text("offline")
    shot("details-offline")
