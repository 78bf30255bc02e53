"""Invites: creation rules, derived status at boundary times, revoke, accept."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.events import DomainEvent, payload_to_wire
from flowra_core.domain.workspace import (
    Invite,
    InviteCreated,
    InviteRevoked,
    InviteStatus,
    InviteUsed,
    MemberAdded,
    MemberRole,
    Workspace,
    accept_invite,
    add_member,
    create_invite,
    create_workspace,
    evolve,
    invite_token_hash,
    replay,
    revoke_invite,
)

NOW = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
OWNER = "owner-id"
MEMBER = "member-id"
NEWCOMER = "newcomer-id"
INVITE_ID = "invite-id"
TOKEN = "Ab3_-" + "x" * 38
OTHER_TOKEN = "z" * 43


def apply(state: Workspace, events: list[DomainEvent]) -> Workspace:
    for event in events:
        state = evolve(state, event)
    return state


def workspace_with_member() -> Workspace:
    state = replay(create_workspace(workspace_id="ws", name="Acme", created_by=OWNER, now=NOW))
    assert state is not None
    return apply(
        state, add_member(state, user_id=MEMBER, user_is_active=True, added_by=OWNER, now=NOW)
    )


def with_invite(
    *, role: str | None = None, expires_at: datetime | None = None, max_uses: int | None = None
) -> Workspace:
    state = workspace_with_member()
    events = create_invite(
        state,
        invite_id=INVITE_ID,
        token=TOKEN,
        role=role,
        expires_at=expires_at,
        max_uses=max_uses,
        created_by=OWNER,
        now=NOW,
    )
    return apply(state, events)


def only_invite(workspace: Workspace) -> Invite:
    invite = workspace.invite(INVITE_ID)
    assert invite is not None
    return invite


def test_token_hash_is_sha256_hex() -> None:
    assert invite_token_hash(TOKEN) == hashlib.sha256(TOKEN.encode()).hexdigest()


# --- create ---


def test_create_with_defaults() -> None:
    events = create_invite(
        workspace_with_member(), invite_id=INVITE_ID, token=TOKEN, created_by=OWNER, now=NOW
    )

    assert events == [
        InviteCreated(
            invite_id=INVITE_ID,
            role=MemberRole.MEMBER,
            expires_at=NOW + timedelta(days=7),
            max_uses=0,
            created_by=OWNER,
            token_hash=invite_token_hash(TOKEN),
            created_at=NOW,
        )
    ]


def test_the_token_never_appears_in_the_event() -> None:
    (event,) = create_invite(
        workspace_with_member(), invite_id=INVITE_ID, token=TOKEN, created_by=OWNER, now=NOW
    )

    assert TOKEN not in msgspec.json.encode(payload_to_wire(event)).decode()


def test_created_invite_state() -> None:
    expires_at = NOW + timedelta(days=2)

    invite = only_invite(with_invite(role="ADMIN", expires_at=expires_at, max_uses=3))

    assert invite == Invite(
        id=INVITE_ID,
        workspace_id="ws",
        token_hash=invite_token_hash(TOKEN),
        role=MemberRole.ADMIN,
        created_by=OWNER,
        created_at=NOW,
        expires_at=expires_at,
        max_uses=3,
        used_count=0,
        revoked_at=None,
    )
    assert invite.status(NOW) is InviteStatus.ACTIVE


@pytest.mark.parametrize(
    "expires_at",
    [NOW + timedelta(milliseconds=1), NOW + timedelta(days=30)],
)
def test_expiry_bounds_accepted(expires_at: datetime) -> None:
    assert only_invite(with_invite(expires_at=expires_at)).expires_at == expires_at


@pytest.mark.parametrize(
    ("role", "expires_at", "max_uses", "fields"),
    [
        ("owner", None, None, ["role"]),
        ("guest", None, None, ["role"]),
        (None, NOW, None, ["expires_at"]),
        (None, NOW - timedelta(days=1), None, ["expires_at"]),
        (None, NOW + timedelta(days=30, milliseconds=1), None, ["expires_at"]),
        (None, None, -1, ["max_uses"]),
        ("owner", NOW, -5, ["role", "expires_at", "max_uses"]),
    ],
)
def test_create_validation(
    role: str | None, expires_at: datetime | None, max_uses: int | None, fields: list[str]
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        with_invite(role=role, expires_at=expires_at, max_uses=max_uses)

    assert [error.field for error in caught.value.errors] == fields


@pytest.mark.parametrize("token", ["short", "x" * 44, "x" * 42 + "=", "x" * 42 + "+"])
def test_create_refuses_a_malformed_generated_token(token: str) -> None:
    with pytest.raises(ValueError, match="43"):
        create_invite(
            workspace_with_member(), invite_id=INVITE_ID, token=token, created_by=OWNER, now=NOW
        )


# --- status ---

EXPIRES = NOW + timedelta(days=1)


def invite_in_state(*, used: int = 0, max_uses: int = 0, revoked: bool = False) -> Invite:
    return Invite(
        id=INVITE_ID,
        workspace_id="ws",
        token_hash="h",
        role=MemberRole.MEMBER,
        created_by=OWNER,
        created_at=NOW,
        expires_at=EXPIRES,
        max_uses=max_uses,
        used_count=used,
        revoked_at=NOW if revoked else None,
    )


@pytest.mark.parametrize(
    ("invite", "at", "status"),
    [
        (invite_in_state(), EXPIRES - timedelta(milliseconds=1), InviteStatus.ACTIVE),
        (invite_in_state(), EXPIRES, InviteStatus.EXPIRED),
        (invite_in_state(), EXPIRES + timedelta(days=1), InviteStatus.EXPIRED),
        (invite_in_state(used=99), NOW, InviteStatus.ACTIVE),
        (invite_in_state(used=1, max_uses=2), NOW, InviteStatus.ACTIVE),
        (invite_in_state(used=2, max_uses=2), NOW, InviteStatus.EXHAUSTED),
        (invite_in_state(used=2, max_uses=2), EXPIRES, InviteStatus.EXPIRED),
        (invite_in_state(revoked=True), NOW, InviteStatus.REVOKED),
        (invite_in_state(used=2, max_uses=2, revoked=True), EXPIRES, InviteStatus.REVOKED),
    ],
)
def test_status_precedence(invite: Invite, at: datetime, status: InviteStatus) -> None:
    assert invite.status(at) is status


# --- revoke ---


def test_revoke_then_revoke_again_is_a_no_op() -> None:
    workspace = with_invite()
    later = NOW + timedelta(hours=1)

    events = revoke_invite(workspace, invite_id=INVITE_ID, revoked_by=OWNER, now=later)
    revoked = apply(workspace, events)

    assert events == [InviteRevoked(invite_id=INVITE_ID, revoked_by=OWNER, revoked_at=later)]
    assert only_invite(revoked).revoked_at == later
    assert only_invite(revoked).status(later) is InviteStatus.REVOKED
    assert revoke_invite(revoked, invite_id=INVITE_ID, revoked_by=OWNER, now=later) == []


def test_revoke_unknown_invite() -> None:
    with pytest.raises(DomainError) as caught:
        revoke_invite(with_invite(), invite_id="nope", revoked_by=OWNER, now=NOW)

    assert caught.value.code is ErrorCode.INVITE_NOT_FOUND


# --- accept ---


def test_accept_adds_the_member_then_uses_the_invite() -> None:
    workspace = with_invite(role="admin", max_uses=2)
    later = NOW + timedelta(hours=1)

    events = accept_invite(workspace, token=TOKEN, user_id=NEWCOMER, now=later)
    accepted = apply(workspace, events)

    assert events == [
        MemberAdded(
            user_id=NEWCOMER,
            role=MemberRole.ADMIN,
            added_by=NEWCOMER,
            invite_id=INVITE_ID,
            joined_at=later,
        ),
        InviteUsed(invite_id=INVITE_ID, user_id=NEWCOMER, used_count=1),
    ]
    member = accepted.member(NEWCOMER)
    assert member is not None
    assert member.role is MemberRole.ADMIN
    assert only_invite(accepted).used_count == 1


def test_an_existing_member_succeeds_without_using_the_invite() -> None:
    assert accept_invite(with_invite(max_uses=1), token=TOKEN, user_id=MEMBER, now=NOW) == []


def test_accept_until_exhausted() -> None:
    workspace = with_invite(max_uses=2)
    for user_id in ("first", "second"):
        workspace = apply(
            workspace, accept_invite(workspace, token=TOKEN, user_id=user_id, now=NOW)
        )

    assert only_invite(workspace).used_count == 2
    with pytest.raises(DomainError) as caught:
        accept_invite(workspace, token=TOKEN, user_id="third", now=NOW)
    assert caught.value.code is ErrorCode.INVITE_EXHAUSTED


def test_accept_unknown_token() -> None:
    with pytest.raises(DomainError) as caught:
        accept_invite(with_invite(), token=OTHER_TOKEN, user_id=NEWCOMER, now=NOW)

    assert caught.value.code is ErrorCode.INVITE_NOT_FOUND


@pytest.mark.parametrize("user_id", [NEWCOMER, MEMBER])
def test_accept_expired_exactly_at_expires_at(user_id: str) -> None:
    expires_at = NOW + timedelta(days=1)
    workspace = with_invite(expires_at=expires_at)

    with pytest.raises(DomainError) as caught:
        accept_invite(workspace, token=TOKEN, user_id=user_id, now=expires_at)

    assert caught.value.code is ErrorCode.INVITE_EXPIRED


def test_accept_revoked_wins_over_expired() -> None:
    workspace = with_invite()
    workspace = apply(
        workspace, revoke_invite(workspace, invite_id=INVITE_ID, revoked_by=OWNER, now=NOW)
    )

    with pytest.raises(DomainError) as caught:
        accept_invite(workspace, token=TOKEN, user_id=NEWCOMER, now=NOW + timedelta(days=8))

    assert caught.value.code is ErrorCode.INVITE_REVOKED
