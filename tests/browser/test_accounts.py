"""First run, sign-in, sign-out and the session's edge cases, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ADMIN, Shots, create_admin
from tests.browser.stack import Stack

pytestmark = pytest.mark.browser


def test_first_run_creates_the_admin_then_logout_and_login(
    page: Page, fresh_stack: Stack, shot: Shots
) -> None:
    page.goto(fresh_stack.url + "/")
    expect(page.get_by_role("heading", name="Welcome to Reel")).to_be_visible()
    shot("setup")

    # Mismatched passwords are caught before anything is sent.
    page.get_by_label("Username").fill(ADMIN[0])
    page.get_by_label("Password", exact=True).fill(ADMIN[1])
    page.get_by_label("Repeat password").fill("something-else")
    page.get_by_role("button", name="Create admin account").click()
    expect(page.get_by_role("alert")).to_contain_text("differ")

    page.get_by_label("Repeat password").fill(ADMIN[1])
    page.get_by_role("button", name="Create admin account").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    # A new install has no source: Home says what to do next, and offers it.
    expect(page.get_by_role("heading", name="Nothing here yet")).to_be_visible()
    expect(page.get_by_role("link", name="Add a source")).to_be_visible()
    expect(page.locator(".conn")).to_have_attribute("data-state", "open")
    shot("home-empty")

    page.get_by_role("button", name="Account menu for admin").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    # The session is really gone: the API refuses the old cookie.
    status = page.evaluate("fetch('/api/auth/me').then(r => r.status)")
    assert status == 401

    page.get_by_label("Username").fill(ADMIN[0])
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password")
    shot("login-error")

    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    # Reloading keeps the session (cookie), so no second sign-in.
    page.reload()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()


def test_second_visit_asks_to_sign_in_not_to_set_up(page: Page, fresh_stack: Stack) -> None:
    create_admin(fresh_stack)
    page.goto(fresh_stack.url + "/#/sources")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("Welcome to Reel")).to_have_count(0)
    page.get_by_label("Username").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Sign in").click()
    # The address asked for before signing in is where the reader lands.
    expect(page.get_by_role("heading", name="Sources", exact=True)).to_be_visible()
