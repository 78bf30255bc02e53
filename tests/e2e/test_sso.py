"""Sign-in with Keycloak in the browser: "Sign in with SSO" → the realm's login form → back
to the page asked for, with the API's cookie session; signing out ends the Keycloak session
too (the next SSO sign-in asks for the password again)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .browsing import assert_accessible
from .conftest import NewPage
from .server_kit import Server, base_env, free_port, running_api

KEYCLOAK_URL = os.environ.get("FLOWRA_TEST_KEYCLOAK_URL", "http://127.0.0.1:8090")
REALM_USER, REALM_PASSWORD = "testuser", "test123"  # configs/keycloak/realm-export.json


@pytest.fixture(scope="module")
def sso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = base_env(free_port(), tmp_path_factory.mktemp("sso-uploads"))
    env.update(
        {
            "FLOWRA_AUTH_PROVIDER": "keycloak",
            "FLOWRA_KEYCLOAK_URL": KEYCLOAK_URL,
            "FLOWRA_KEYCLOAK_REALM": "flowra",
            "FLOWRA_KEYCLOAK_CLIENT_ID": "flowra-backend",
            "FLOWRA_KEYCLOAK_CLIENT_SECRET": "flowra-dev-secret",
        }
    )
    with running_api(env) as running:
        yield running


def keycloak_form(page: Page) -> None:
    expect(page).to_have_url(re.compile(re.escape(KEYCLOAK_URL)))
    page.locator("#username").fill(REALM_USER)
    page.locator("#password").fill(REALM_PASSWORD)
    page.locator("#kc-login").click()


def test_sign_in_with_sso_and_out_again(
    new_page: NewPage, sso_server: Server, tmp_path: Path
) -> None:
    page = new_page(base_url=sso_server.base_url)
    page.goto("/notifications")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fnotifications$"))
    expect(page.get_by_label("Username")).to_have_count(0)  # no local form with Keycloak
    assert_accessible(page)
    page.get_by_role("button", name="Sign in with SSO").click()
    keycloak_form(page)
    expect(page).to_have_url(f"{sso_server.base_url}/notifications")
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    expect(page.locator("#live")).to_have_attribute("data-state", "connected")

    page.reload()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    page.get_by_role("button", name="Account").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile("/login$"))
    page.get_by_role("button", name="Sign in with SSO").click()
    expect(page.locator("#password")).to_be_visible()  # the Keycloak session ended too
