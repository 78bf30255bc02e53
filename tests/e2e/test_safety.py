"""Safety of the web client: inert user content, sessions, CSRF, headers, hidden chats."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import httpx
from playwright.sync_api import Dialog, expect

from .browsing import create_chat, create_workspace, live, message, send, sign_in
from .conftest import NewPage
from .server_kit import Server, unique

XSS = (
    "<script>window.__pwned = 1</script> "
    '<img src=x onerror="window.__pwned = 2"> '
    "[click me](javascript:window.__pwned=3) "
    '<a href="javascript:window.__pwned=4">link</a> '
    "![img](javascript:window.__pwned=5)"
)


def png(width: int = 4, height: int = 3) -> bytes:
    """A tiny valid PNG (red pixels), made here rather than shipped."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_an_image_is_previewed_and_hostile_markup_stays_inert(
    new_page: NewPage, tmp_path: Path
) -> None:
    alice = new_page()
    sign_in(alice, unique("alice"))
    workspace_id = create_workspace(alice, unique("Safe"))
    chat_id = create_chat(alice, "Screenshots", type="discussion")
    bob = new_page()
    sign_in(bob, unique("bob"))
    alice.goto(f"/workspaces/{workspace_id}/members")
    alice.get_by_role("button", name="Create invite link").click()
    bob.goto(alice.get_by_label("Invite link").first.input_value())
    bob.get_by_role("button", name="Accept invitation").click()
    expect(bob).to_have_url(re.compile(f"/workspaces/{workspace_id}$"))
    bob.goto(f"/workspaces/{workspace_id}/chats/{chat_id}")
    bob.get_by_role("button", name="Join chat").click()
    expect(bob.get_by_label("Message", exact=True)).to_be_visible()
    alice.goto(f"/workspaces/{workspace_id}/chats/{chat_id}")
    live(alice)
    live(bob)
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    alice.on("dialog", record)
    bob.on("dialog", record)

    image = tmp_path / "red.png"
    image.write_bytes(png())
    bob.locator("#attach").set_input_files(str(image))
    expect(bob.locator("#pending-files li[data-uploaded=true]")).to_have_count(1)
    send(bob, "the red one")
    for page in (alice, bob):
        preview = message(page, "the red one").get_by_role("img", name="red.png")
        expect(preview).to_be_visible()
        expect(message(page, "the red one").get_by_role("link", name="red.png")).to_be_visible()
        loaded = preview.evaluate("img => img.complete && img.naturalWidth")
        assert loaded == 4

    message(alice, "the red one").get_by_role("button", name="Enlarge red.png").click()
    lightbox = alice.get_by_role("dialog", name="red.png")
    expect(lightbox.get_by_role("img", name="red.png")).to_be_visible()
    alice.keyboard.press("Escape")
    expect(lightbox).to_be_hidden()

    send(bob, XSS)
    for page in (alice, bob):
        hostile = message(page, "window.__pwned = 1")
        expect(hostile).to_contain_text("<script>")
        expect(hostile.locator("script, img[onerror], a[href^=javascript]")).to_have_count(0)
        hostile.locator(".body").click()  # the "links" are plain text
        assert page.evaluate("typeof window.__pwned") == "undefined"
    assert dialogs == []


def test_sessions_last_across_reloads_end_on_sign_out_and_hide_private_chats(
    new_page: NewPage,
) -> None:
    alice = new_page()
    sign_in(alice, unique("alice"))
    workspace_id = create_workspace(alice, unique("Private"))
    secret_id = create_chat(alice, "Salaries", type="discussion", private=True)
    alice.goto(f"/workspaces/{workspace_id}/members")
    alice.get_by_role("button", name="Create invite link").click()
    link = alice.get_by_label("Invite link").first.input_value()

    bob = new_page()
    sign_in(bob, unique("bob"))
    bob.goto(link)
    bob.get_by_role("button", name="Accept invitation").click()
    expect(bob.get_by_role("navigation", name="Chats")).not_to_contain_text("Salaries")
    response = bob.goto(f"/workspaces/{workspace_id}/chats/{secret_id}")
    assert response is not None
    assert response.status == 404
    expect(bob.get_by_role("heading", name="Page not found")).to_be_visible()

    bob.reload()
    bob.goto("/workspaces")
    expect(bob.get_by_role("heading", name="Workspaces")).to_be_visible()
    bob.get_by_role("button", name="Account").click()
    bob.get_by_role("button", name="Sign out").click()
    expect(bob).to_have_url(re.compile("/login$"))
    bob.goto("/workspaces")
    expect(bob).to_have_url(re.compile(r"/login\?next=%2Fworkspaces$"))


def _signed_in(client: httpx.Client, server: Server, username: str) -> str:
    """Signs in through the form; returns the page's CSRF token."""
    answer = client.post("/login", data={"username": username}, headers={"Origin": server.base_url})
    assert answer.status_code == 303, answer.text
    page = client.get("/workspaces")
    found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def test_writes_need_the_session_token_and_pages_carry_the_security_headers(
    server: Server,
) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        anonymous = client.get("/workspaces", headers={"HX-Request": "true"})
        assert anonymous.status_code == 401
        assert anonymous.headers["HX-Redirect"].startswith("/login")

        login = client.post(
            "/login", data={"username": unique("carol")}, headers={"Origin": server.base_url}
        )
        cookie = login.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert "secure" not in cookie  # http://: Secure only with an https public URL
        token = _signed_in(client, server, unique("carol"))
        origin = {"Origin": server.base_url}

        page = client.get("/workspaces")
        csp = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp
        assert page.headers["X-Content-Type-Options"] == "nosniff"

        form = {"name": "Forged"}
        assert client.post("/workspaces", data=form, headers=origin).status_code == 403
        wrong = {**origin, "X-CSRF-Token": token[:-2] + "xx"}
        assert client.post("/workspaces", data=form, headers=wrong).status_code == 403
        elsewhere = {"Origin": "https://evil.example", "X-CSRF-Token": token}
        assert client.post("/workspaces", data=form, headers=elsewhere).status_code == 403
        made = client.post("/workspaces", data={**form, "csrf_token": token}, headers=origin)
        assert made.status_code == 303
        assert made.headers["Location"].startswith("/workspaces/")

    with httpx.Client(base_url=server.base_url) as api:  # Bearer: no CSRF token needed
        issued = api.post("/api/v1/auth/dev/token", json={"username": unique("dave")})
        bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}
        created = api.post("/api/v1/workspaces", json={"name": "API"}, headers=bearer)
        assert created.status_code == 201, created.text
