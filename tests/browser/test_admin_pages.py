"""Settings and users pages, an ordinary user's narrower view, and the live-connection
indicator through a network drop."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shots, sign_in
from tests.browser.stack import Stack

pytestmark = pytest.mark.browser


def test_users_and_settings_then_an_ordinary_user_sees_no_admin_pages(
    page: Page, synced_stack: Stack, shot: Shots
) -> None:
    sign_in(page, synced_stack, "/#/users")
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    page.get_by_role("button", name="Add user").click()
    dialog = page.get_by_role("dialog", name="Add a user")
    dialog.get_by_label("Username").fill("ben")
    dialog.get_by_label("Password", exact=True).fill("short")
    dialog.get_by_role("button", name="Add user").click()
    expect(dialog.get_by_role("alert")).to_contain_text("8 characters")
    dialog.get_by_label("Password", exact=True).fill("ben-password")
    dialog.get_by_role("button", name="Add user").click()
    expect(page.locator("tr[data-user=ben]")).to_contain_text("user")
    shot("users")

    page.goto(synced_stack.url + "/#/settings")
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    page.get_by_placeholder("e.g. my script").fill("backup script")
    page.get_by_role("button", name="Create token").click()
    token_dialog = page.get_by_role("dialog", name="Your new token")
    token = token_dialog.get_by_label("New token").input_value()
    assert len(token) >= 20
    token_dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_role("region", name="API tokens")).to_contain_text("backup script")
    shot("settings")

    page.get_by_role("button", name="Account menu for admin").click()
    page.get_by_role("menuitem", name="Sign out").click()
    page.get_by_label("Username").fill("ben")
    page.get_by_label("Password").fill("ben-password")
    page.get_by_role("button", name="Sign in").click()
    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="Home", exact=True)).to_be_visible()
    expect(main_nav.get_by_role("link", name="Sources")).to_have_count(0)
    expect(main_nav.get_by_role("link", name="Users")).to_have_count(0)
    page.goto(synced_stack.url + "/#/users")
    expect(page.get_by_role("heading", name="Admins only")).to_be_visible()
    shot("ordinary-user")


def test_connection_indicator_follows_the_socket(page: Page, synced_stack: Stack) -> None:
    sign_in(page, synced_stack)
    conn = page.locator(".conn")
    expect(conn).to_have_attribute("data-state", "open")
    page.context.set_offline(True)
    expect(conn).to_have_attribute("data-state", "offline")
    expect(conn).to_have_text("Offline")
    page.context.set_offline(False)
    expect(conn).to_have_attribute("data-state", "open", timeout=15_000)
