"""User commands: provisioning, claim sync, profile edit, deactivation; Flowra Bot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.events import DomainEvent
from flowra_core.domain.user import (
    FLOWRA_BOT_ID,
    DeactivationReason,
    ProfileChange,
    User,
    UserAdminRightsChanged,
    UserChanges,
    UserCreated,
    UserDeactivated,
    UserReactivated,
    UserSource,
    UserUpdated,
    create_user,
    deactivate_user,
    edit_display_name,
    evolve,
    flowra_bot,
    is_flowra_bot,
    reactivate_user,
    replay,
    sync_from_claims,
)

NOW = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
USER_ID = "33333333-3333-4333-8333-333333333333"


def apply(state: User, events: list[DomainEvent]) -> User:
    for event in events:
        state = evolve(state, event)
    return state


def alice(*, is_system_admin: bool = False) -> User:
    state = replay(
        create_user(
            user_id=USER_ID,
            external_id="kc-sub-1",
            username="alice",
            email="alice@example.com",
            display_name="Alice Smith",
            is_system_admin=is_system_admin,
            source=UserSource.LOGIN,
            now=NOW,
        )
    )
    assert state is not None
    return state


# --- create ---


def test_create_user() -> None:
    events = create_user(
        user_id=USER_ID,
        external_id="local:alice",
        username="Alice",
        email=" alice@flowra.local ",
        display_name="  Alice Smith ",
        is_system_admin=True,
        source=UserSource.DEV,
        now=NOW,
    )

    assert events == [
        UserCreated(
            user_id=USER_ID,
            username="Alice",
            email="alice@flowra.local",
            display_name="Alice Smith",
            source=UserSource.DEV,
            external_id="local:alice",
            is_system_admin=True,
            created_at=NOW,
        )
    ]


def test_created_user_state() -> None:
    assert alice() == User(
        id=USER_ID,
        external_id="kc-sub-1",
        username="alice",
        email="alice@example.com",
        display_name="Alice Smith",
        display_name_custom=False,
        is_active=True,
        is_system_admin=False,
        created_at=NOW,
        updated_at=NOW,
        version=1,
    )


def test_display_name_defaults_to_the_username() -> None:
    (event,) = create_user(
        user_id=USER_ID,
        external_id="kc-sub-1",
        username="alice",
        email="alice@example.com",
        source=UserSource.SYNC,
        now=NOW,
    )

    assert isinstance(event, UserCreated)
    assert event.display_name == "alice"


def test_create_reports_every_bad_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        create_user(
            user_id=USER_ID,
            external_id="kc-sub-1",
            username="not valid",
            email="nobody",
            display_name="   ",
            source=UserSource.LOGIN,
            now=NOW,
        )

    assert [error.field for error in caught.value.errors] == ["username", "email", "display_name"]


# --- sync from claims ---


def test_sync_with_identical_claims_is_a_no_op() -> None:
    events = sync_from_claims(
        alice(),
        username="alice",
        email="alice@example.com",
        display_name="Alice Smith",
        is_system_admin=False,
        now=LATER,
    )

    assert events == []


def test_sync_changes_make_one_update_then_admin_rights() -> None:
    user = alice()

    events = sync_from_claims(
        user,
        username="alice.smith",
        email="alice@corp.example",
        display_name="Alice S.",
        is_system_admin=True,
        now=LATER,
    )
    synced = apply(user, events)

    assert events == [
        UserUpdated(
            user_id=USER_ID,
            changes=UserChanges(
                username=ProfileChange(old="alice", new="alice.smith"),
                email=ProfileChange(old="alice@example.com", new="alice@corp.example"),
                display_name=ProfileChange(old="Alice Smith", new="Alice S."),
            ),
            updated_at=LATER,
        ),
        UserAdminRightsChanged(user_id=USER_ID, is_system_admin=True),
    ]
    assert (synced.username, synced.email, synced.display_name) == (
        "alice.smith",
        "alice@corp.example",
        "Alice S.",
    )
    assert synced.is_system_admin
    assert not synced.display_name_custom
    assert synced.updated_at == LATER


def test_sync_revokes_admin_rights_alone() -> None:
    events = sync_from_claims(
        alice(is_system_admin=True),
        username="alice",
        email="alice@example.com",
        is_system_admin=False,
        now=LATER,
    )

    assert events == [UserAdminRightsChanged(user_id=USER_ID, is_system_admin=False)]


def test_sync_never_overwrites_an_edited_display_name() -> None:
    user = alice()
    edited = apply(user, edit_display_name(user, "Ali", now=NOW))

    events = sync_from_claims(
        edited,
        username="alice",
        email="alice@new.example",
        display_name="Alice From IdP",
        is_system_admin=False,
        now=LATER,
    )

    assert events == [
        UserUpdated(
            user_id=USER_ID,
            changes=UserChanges(
                email=ProfileChange(old="alice@example.com", new="alice@new.example")
            ),
            updated_at=LATER,
        )
    ]
    assert apply(edited, events).display_name == "Ali"


def test_sync_ignores_a_bad_display_name_claim_once_custom() -> None:
    user = alice()
    edited = apply(user, edit_display_name(user, "Ali", now=NOW))

    events = sync_from_claims(
        edited,
        username="alice",
        email="alice@example.com",
        display_name="",
        is_system_admin=False,
        now=LATER,
    )

    assert events == []


def test_sync_reports_every_bad_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        sync_from_claims(
            alice(), username="", email="x", display_name="", is_system_admin=False, now=LATER
        )

    assert [error.field for error in caught.value.errors] == ["username", "email", "display_name"]


# --- profile edit ---


def test_edit_display_name_marks_it_custom() -> None:
    user = alice()

    events = edit_display_name(user, "  Ali  ", now=LATER)
    edited = apply(user, events)

    assert events == [
        UserUpdated(
            user_id=USER_ID,
            changes=UserChanges(display_name=ProfileChange(old="Alice Smith", new="Ali")),
            updated_at=LATER,
            edited_by_user=True,
        )
    ]
    assert (edited.display_name, edited.display_name_custom, edited.updated_at) == (
        "Ali",
        True,
        LATER,
    )


def test_edit_to_the_same_display_name_is_a_no_op() -> None:
    assert edit_display_name(alice(), " Alice Smith ", now=LATER) == []


@pytest.mark.parametrize("display_name", ["", "   ", "x" * 101])
def test_edit_display_name_validation(display_name: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        edit_display_name(alice(), display_name, now=LATER)

    assert [error.field for error in caught.value.errors] == ["display_name"]


# --- deactivate / reactivate ---


@pytest.mark.parametrize("reason", list(DeactivationReason))
def test_deactivate_then_reactivate(reason: DeactivationReason) -> None:
    user = alice()

    deactivation = deactivate_user(user, reason=reason)
    inactive = apply(user, deactivation)
    reactivation = reactivate_user(inactive)

    assert deactivation == [UserDeactivated(user_id=USER_ID, reason=reason)]
    assert not inactive.is_active
    assert deactivate_user(inactive, reason=reason) == []
    assert reactivation == [UserReactivated(user_id=USER_ID)]
    assert apply(inactive, reactivation).is_active


def test_reactivating_an_active_user_is_a_no_op() -> None:
    assert reactivate_user(alice()) == []


def test_flowra_bot_is_never_deactivated() -> None:
    with pytest.raises(DomainError) as caught:
        deactivate_user(flowra_bot(NOW), reason=DeactivationReason.IDP_DELETED)

    assert caught.value.code is ErrorCode.FORBIDDEN


def test_flowra_bot_state() -> None:
    bot = flowra_bot(NOW)

    assert (bot.id, bot.username, bot.email, bot.display_name) == (
        "00000000-0000-0000-0000-000000000001",
        "FlowraBot",
        "bot@flowra.internal",
        "Flowra Bot",
    )
    assert bot.is_active
    assert not bot.is_system_admin
    assert (bot.created_at, bot.updated_at, bot.version) == (NOW, NOW, 0)
    assert is_flowra_bot(FLOWRA_BOT_ID)
    assert not is_flowra_bot(USER_ID)
