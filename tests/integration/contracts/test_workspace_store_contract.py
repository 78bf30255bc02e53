"""WorkspaceStore and InviteTokenStore contracts: never-backwards saves of the whole workspace
(members and invites inside), the name-ordered list with keyset pages, membership and invite
look-ups, and the clear-text invite tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flowra_core.domain.workspace.state import Invite, Member, MemberRole, Workspace

from .backends import Ports

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)


def member(user_id: str, role: MemberRole = MemberRole.MEMBER) -> Member:
    return Member(user_id=user_id, role=role, joined_at=T0)


def invite(invite_id: str, workspace_id: str, token_hash: str) -> Invite:
    return Invite(
        id=invite_id,
        workspace_id=workspace_id,
        token_hash=token_hash,
        role=MemberRole.MEMBER,
        created_by="owner",
        created_at=T0,
        expires_at=T0 + timedelta(days=7),
        max_uses=0,
        used_count=0,
        revoked_at=None,
    )


def workspace(
    workspace_id: str,
    name: str,
    *,
    members: tuple[str, ...] = (),
    invites: tuple[Invite, ...] = (),
    deleted: bool = False,
    version: int = 1,
) -> Workspace:
    return Workspace(
        id=workspace_id,
        name=name,
        description=f"About {name}",
        created_by="owner",
        created_at=T0,
        updated_at=T0 + timedelta(minutes=version),
        deleted_at=T0 + timedelta(hours=1) if deleted else None,
        members=(member("owner", MemberRole.OWNER), *(member(user) for user in members)),
        invites=invites,
        version=version,
    )


async def save_all(ports: Ports, *workspaces: Workspace) -> None:
    for one in workspaces:
        await ports.workspaces.save(one)


async def listed(
    ports: Ports,
    *,
    member_id: str | None = None,
    after: tuple[str, str] | None = None,
    limit: int = 50,
) -> list[str]:
    found = await ports.workspaces.list_by_name(member_id=member_id, after=after, limit=limit)
    return [one.id for one in found]


class TestSave:
    async def test_a_workspace_reads_back_with_its_members_and_invites(self, ports: Ports) -> None:
        stored = workspace("w1", "Acme", members=("u1", "u2"), invites=(invite("i1", "w1", "h1"),))
        await ports.workspaces.save(stored)

        assert await ports.workspaces.get("w1") == stored

    async def test_an_older_version_never_overwrites_a_newer_one(self, ports: Ports) -> None:
        await ports.workspaces.save(workspace("w1", "Acme v3", members=("u1",), version=3))
        await ports.workspaces.save(workspace("w1", "Acme v2", version=2))
        await ports.workspaces.save(workspace("w1", "Acme v3 replayed", version=3))

        stored = await ports.workspaces.get("w1")
        assert stored is not None
        assert (stored.name, stored.version) == ("Acme v3", 3)
        assert await ports.workspaces.ids_of_member("u1") == ["w1"]


class TestListByName:
    async def test_live_workspaces_by_lowercased_name_then_id(self, ports: Ports) -> None:
        await save_all(
            ports,
            workspace("w1", "delta"),
            workspace("w2", "Bravo"),
            workspace("w3", "alpha"),
            workspace("w4", "Charlie", deleted=True),
            workspace("w0", "bravo"),
        )

        assert await listed(ports) == ["w3", "w0", "w2", "w1"]

    async def test_pages_continue_after_the_last_key(self, ports: Ports) -> None:
        names = ["delta", "Bravo", "alpha", "echo", "charlie"]
        await save_all(ports, *(workspace(f"w{n}", name) for n, name in enumerate(names)))

        first = await listed(ports, limit=2)
        second = await listed(ports, after=("bravo", "w1"), limit=2)
        last = await listed(ports, after=("delta", "w0"), limit=2)

        assert (first, second, last) == (["w2", "w1"], ["w4", "w0"], ["w3"])

    async def test_only_those_with_the_member(self, ports: Ports) -> None:
        await save_all(
            ports,
            workspace("w1", "Acme", members=("u1", "u2")),
            workspace("w2", "Blue", members=("u2",)),
            workspace("w3", "Cyan", members=("u1",), deleted=True),
        )

        assert await listed(ports, member_id="u1") == ["w1"]
        assert await listed(ports, member_id="u2") == ["w1", "w2"]
        assert await listed(ports, member_id="stranger") == []

    async def test_a_removed_member_no_longer_lists_it(self, ports: Ports) -> None:
        await ports.workspaces.save(workspace("w1", "Acme", members=("u1",), version=1))
        await ports.workspaces.save(workspace("w1", "Acme", version=2))

        assert await listed(ports, member_id="u1") == []


class TestLookUps:
    async def test_ids_of_member_are_the_live_workspaces(self, ports: Ports) -> None:
        await save_all(
            ports,
            workspace("w1", "Acme", members=("u1",)),
            workspace("w2", "Blue", members=("u1",), deleted=True),
            workspace("w3", "Cyan", members=("u2",)),
        )

        assert sorted(await ports.workspaces.ids_of_member("u1")) == ["w1"]
        assert sorted(await ports.workspaces.ids_of_member("owner")) == ["w1", "w3"]

    async def test_by_invite_token_hash(self, ports: Ports) -> None:
        await save_all(
            ports,
            workspace("w1", "Acme", invites=(invite("i1", "w1", "hash-1"),)),
            workspace("w2", "Blue", invites=(invite("i2", "w2", "hash-2"),)),
        )

        found = await ports.workspaces.by_invite_token_hash("hash-2")

        assert found is not None
        assert found.id == "w2"
        assert await ports.workspaces.by_invite_token_hash("hash-3") is None


class TestInviteTokens:
    async def test_tokens_are_found_by_invite_id(self, ports: Ports) -> None:
        await ports.invite_tokens.save("i1", "token-one")
        await ports.invite_tokens.save("i2", "token-two")

        found = await ports.invite_tokens.get_many(["i2", "i1", "unknown"])

        assert dict(found) == {"i1": "token-one", "i2": "token-two"}
        assert await ports.invite_tokens.get_many([]) == {}

    async def test_saving_again_replaces_the_token(self, ports: Ports) -> None:
        await ports.invite_tokens.save("i1", "old")
        await ports.invite_tokens.save("i1", "new")

        assert dict(await ports.invite_tokens.get_many(["i1"])) == {"i1": "new"}
