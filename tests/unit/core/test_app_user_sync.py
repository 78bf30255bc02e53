"""User sync (operations.md §5, domain.md §1, D35): mirror the identity provider's accounts
onto Flowra's users, against an in-memory directory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from flowra_core.app.actor import Actor
from flowra_core.app.users.sync import UserSync, UserSyncReport
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.domain.user import (
    FLOWRA_BOT_ID,
    DeactivationReason,
    User,
    UserDeactivated,
    UserSource,
)
from flowra_core.memory.users import InMemoryUserStore
from flowra_core.ports.directory import DirectoryUser
from flowra_core.ports.identity import IdentityClaims
from flowra_core.testing.builder import TestCore


def account(
    username: str,
    *,
    external_id: str | None = None,
    email: str | None = None,
    display_name: str | None = None,
    enabled: bool = True,
    is_system_admin: bool = False,
) -> DirectoryUser:
    return DirectoryUser(
        external_id=external_id or f"kc-{username}",
        username=username,
        email=email if email is not None else f"{username}@example.com",
        display_name=display_name,
        enabled=enabled,
        is_system_admin=is_system_admin,
    )


@dataclass
class InMemoryDirectory:
    """The directory as a list in its stable order. `unlisted` accounts exist (`find`) but are
    not paged (shifted out of sight); `broken_page` makes that page fail; `failing_finds`
    makes `find` fail for those ids."""

    accounts: list[DirectoryUser] = field(default_factory=list)
    unlisted: list[DirectoryUser] = field(default_factory=list)
    broken_page: int | None = None
    failing_finds: set[str] = field(default_factory=set)
    found: list[str] = field(default_factory=list)

    async def pages(self, page_size: int = 100) -> AsyncIterator[list[DirectoryUser]]:
        for number, start in enumerate(range(0, len(self.accounts), page_size)):
            if number == self.broken_page:
                raise ServiceUnavailable("keycloak", f"page {number} could not be read")
            yield self.accounts[start : start + page_size]

    async def find(self, external_id: str) -> DirectoryUser | None:
        self.found.append(external_id)
        if external_id in self.failing_finds:
            raise ServiceUnavailable("keycloak", f"no answer for {external_id}")
        everyone = [*self.accounts, *self.unlisted]
        return next((a for a in everyone if a.external_id == external_id), None)


class FailingLookups:
    """The user store, except that looking up some external ids fails."""

    def __init__(self, inner: InMemoryUserStore, failing: set[str]) -> None:
        self._inner = inner
        self._failing = failing

    async def by_external_id(self, external_id: str) -> User | None:
        if external_id in self._failing:
            raise ServiceUnavailable("mongodb", "look-up timed out")
        return await self._inner.by_external_id(external_id)

    async def get(self, aggregate_id: str) -> User | None:
        return await self._inner.get(aggregate_id)

    async def save(self, state: User) -> None:
        await self._inner.save(state)

    async def save_new(self, state: User) -> None:
        await self.save(state)

    async def by_username(self, username: str) -> User | None:
        return await self._inner.by_username(username)

    async def get_many(self, user_ids: Collection[str]) -> Mapping[str, User]:
        return await self._inner.get_many(user_ids)

    async def search(
        self,
        *,
        q: str | None,
        among: Collection[str] | None,
        after: tuple[str, str] | None,
        limit: int,
    ) -> Sequence[User]:
        return await self._inner.search(q=q, among=among, after=after, limit=limit)


def sync_of(tc: TestCore, directory: InMemoryDirectory, *, page_size: int = 100) -> UserSync:
    core = tc.core
    return UserSync(
        write=core.write,
        users=core.ports.users,
        provisioning=core.users,
        directory=directory,
        page_size=page_size,
    )


async def run(
    tc: TestCore, directory: InMemoryDirectory, *, page_size: int = 100
) -> UserSyncReport:
    return await sync_of(tc, directory, page_size=page_size).run_once()


async def logged_in(
    tc: TestCore,
    username: str,
    *,
    external_id: str | None = None,
    display_name: str | None = None,
    is_system_admin: bool = False,
) -> User:
    """A user created by a Keycloak login."""
    return await tc.core.users.provision(
        IdentityClaims(
            external_id=external_id or f"kc-{username}",
            username=username,
            email=f"{username}@example.com",
            display_name=display_name,
            is_system_admin=is_system_admin,
            source=UserSource.LOGIN,
        )
    )


async def stored(tc: TestCore, external_id: str) -> User:
    user = await tc.adapters.users.by_external_id(external_id)
    assert user is not None, f"no user {external_id}"
    return user


async def deactivation_reasons(tc: TestCore, user_id: str) -> list[DeactivationReason]:
    envelopes = await tc.adapters.event_store.read_stream(user_id)
    return [e.event.reason for e in envelopes if isinstance(e.event, UserDeactivated)]


def counts(report: UserSyncReport) -> dict[str, int]:
    return {
        name: value
        for name, value in (
            ("created", report.created),
            ("updated", report.updated),
            ("reactivated", report.reactivated),
            ("deactivated", report.deactivated),
            ("unchanged", report.unchanged),
            ("skipped", report.skipped),
            ("failed", len(report.failures)),
        )
        if value
    }


class TestCreatingMissingUsers:
    async def test_an_unknown_account_becomes_a_user(self, tc: TestCore) -> None:
        directory = InMemoryDirectory([account("carol", display_name="Carol Danvers")])

        report = await run(tc, directory)

        carol = await stored(tc, "kc-carol")
        assert (carol.username, carol.email, carol.display_name) == (
            "carol",
            "carol@example.com",
            "Carol Danvers",
        )
        assert carol.is_active
        assert counts(report) == {"created": 1}
        assert report.outcome == "ok"

    async def test_the_display_name_defaults_to_the_username(self, tc: TestCore) -> None:
        await run(tc, InMemoryDirectory([account("dave")]))

        assert (await stored(tc, "kc-dave")).display_name == "dave"

    async def test_a_new_user_takes_the_admin_flag_of_the_account(self, tc: TestCore) -> None:
        await run(tc, InMemoryDirectory([account("root", is_system_admin=True)]))

        assert (await stored(tc, "kc-root")).is_system_admin

    async def test_a_taken_username_gets_a_suffix(self, tc: TestCore) -> None:
        await logged_in(tc, "erin", external_id="kc-first-erin")

        await run(tc, InMemoryDirectory([account("erin", external_id="kc-second-erin")]))

        assert (await stored(tc, "kc-second-erin")).username == "erin_2"

    async def test_a_disabled_unknown_account_is_not_created(self, tc: TestCore) -> None:
        report = await run(tc, InMemoryDirectory([account("frank", enabled=False)]))

        assert await tc.adapters.users.by_external_id("kc-frank") is None
        assert counts(report) == {"skipped": 1}

    async def test_every_page_is_read(self, tc: TestCore) -> None:
        names = ["u1", "u2", "u3", "u4", "u5"]

        report = await run(tc, InMemoryDirectory([account(n) for n in names]), page_size=2)

        assert report.created == 5
        for name in names:
            assert (await stored(tc, f"kc-{name}")).username == name


class TestUpdatingKnownUsers:
    async def test_username_email_and_display_name_follow_the_account(self, tc: TestCore) -> None:
        await logged_in(tc, "grace", display_name="Grace")
        renamed = account(
            "grace.hopper",
            external_id="kc-grace",
            email="grace@navy.example",
            display_name="Grace Hopper",
        )

        report = await run(tc, InMemoryDirectory([renamed]))

        grace = await stored(tc, "kc-grace")
        assert (grace.username, grace.email, grace.display_name) == (
            "grace.hopper",
            "grace@navy.example",
            "Grace Hopper",
        )
        assert counts(report) == {"updated": 1}

    async def test_a_display_name_the_user_edited_is_kept(self, tc: TestCore) -> None:
        heidi = await logged_in(tc, "heidi", display_name="Heidi")
        await tc.core.users.update_display_name(_actor(heidi), "Heidi the Great")

        await run(tc, InMemoryDirectory([account("heidi", display_name="Heidi Klum")]))

        assert (await stored(tc, "kc-heidi")).display_name == "Heidi the Great"

    async def test_a_user_in_line_with_the_account_is_not_written(self, tc: TestCore) -> None:
        ivan = await logged_in(tc, "ivan", display_name="Ivan")

        report = await run(tc, InMemoryDirectory([account("ivan", display_name="Ivan")]))

        assert (await stored(tc, "kc-ivan")).version == ivan.version
        assert counts(report) == {"unchanged": 1}

    async def test_the_admin_flag_of_a_known_user_is_left_to_the_token(self, tc: TestCore) -> None:
        await logged_in(tc, "judy", is_system_admin=True)

        await run(tc, InMemoryDirectory([account("judy", is_system_admin=False)]))

        assert (await stored(tc, "kc-judy")).is_system_admin


class TestActivation:
    async def test_a_disabled_account_deactivates_its_user(self, tc: TestCore) -> None:
        kim = await logged_in(tc, "kim")

        report = await run(tc, InMemoryDirectory([account("kim", enabled=False)]))

        assert not (await stored(tc, "kc-kim")).is_active
        assert await deactivation_reasons(tc, kim.id) == [DeactivationReason.IDP_DISABLED]
        assert counts(report) == {"deactivated": 1}

    async def test_the_profile_is_updated_before_the_deactivation(self, tc: TestCore) -> None:
        await logged_in(tc, "leo")

        report = await run(
            tc, InMemoryDirectory([account("leo", email="leo@new.example", enabled=False)])
        )

        leo = await stored(tc, "kc-leo")
        assert (leo.email, leo.is_active) == ("leo@new.example", False)
        assert counts(report) == {"updated": 1, "deactivated": 1}

    async def test_an_enabled_account_reactivates_its_user(self, tc: TestCore) -> None:
        await logged_in(tc, "mallory")
        await run(tc, InMemoryDirectory([account("mallory", enabled=False)]))

        report = await run(tc, InMemoryDirectory([account("mallory")]))

        assert (await stored(tc, "kc-mallory")).is_active
        assert counts(report) == {"reactivated": 1}

    async def test_a_disabled_account_of_an_inactive_user_changes_nothing(
        self, tc: TestCore
    ) -> None:
        directory = InMemoryDirectory([account("nina", enabled=False)])
        await logged_in(tc, "nina")
        await run(tc, directory)
        before = await stored(tc, "kc-nina")

        report = await run(tc, directory)

        assert (await stored(tc, "kc-nina")).version == before.version
        assert counts(report) == {"unchanged": 1}


class TestGoneAccounts:
    async def test_a_user_whose_account_is_gone_is_deactivated(self, tc: TestCore) -> None:
        oscar = await logged_in(tc, "oscar")
        directory = InMemoryDirectory([account("peggy")])

        report = await run(tc, directory)

        assert not (await stored(tc, "kc-oscar")).is_active
        assert await deactivation_reasons(tc, oscar.id) == [DeactivationReason.IDP_DELETED]
        assert directory.found == ["kc-oscar"]
        assert counts(report) == {"created": 1, "deactivated": 1}

    async def test_an_account_shifted_out_of_the_pages_is_kept_and_synced(
        self, tc: TestCore
    ) -> None:
        await logged_in(tc, "quinn")
        directory = InMemoryDirectory(unlisted=[account("quinn", display_name="Quinn Fabray")])

        report = await run(tc, directory)

        quinn = await stored(tc, "kc-quinn")
        assert (quinn.is_active, quinn.display_name) == (True, "Quinn Fabray")
        assert counts(report) == {"updated": 1}

    async def test_an_unseen_account_found_disabled_is_deactivated(self, tc: TestCore) -> None:
        rose = await logged_in(tc, "rose")

        await run(tc, InMemoryDirectory(unlisted=[account("rose", enabled=False)]))

        assert await deactivation_reasons(tc, rose.id) == [DeactivationReason.IDP_DISABLED]

    async def test_inactive_users_are_not_looked_up_again(self, tc: TestCore) -> None:
        await logged_in(tc, "sybil")
        await run(tc, InMemoryDirectory())
        directory = InMemoryDirectory()

        report = await run(tc, directory)

        assert directory.found == []
        assert counts(report) == {}

    async def test_every_page_of_users_is_swept(self, tc: TestCore) -> None:
        names = ["t1", "t2", "t3", "t4", "t5"]
        for name in names:
            await logged_in(tc, name)

        report = await run(tc, InMemoryDirectory(), page_size=2)

        assert report.deactivated == 5


class TestProtectedUsers:
    async def test_flowra_bot_and_local_users_are_never_deactivated(self, tc: TestCore) -> None:
        local = await tc.user("uma")

        report = await run(tc, InMemoryDirectory([account("victor")]))

        bot = await tc.adapters.users.get(FLOWRA_BOT_ID)
        assert bot is not None
        assert bot.is_active
        uma = await tc.adapters.users.get(local.user_id)
        assert uma is not None
        assert uma.is_active
        assert counts(report) == {"created": 1}

    async def test_a_directory_entry_naming_a_local_user_is_skipped(self, tc: TestCore) -> None:
        local = await tc.user("wendy")
        entry = account("wendy-renamed", external_id="local:wendy", enabled=False)

        report = await run(tc, InMemoryDirectory([entry]))

        wendy = await tc.adapters.users.get(local.user_id)
        assert wendy is not None
        assert (wendy.username, wendy.is_active) == ("wendy", True)
        assert counts(report) == {"skipped": 1}


class TestFailures:
    async def test_an_error_on_one_account_is_counted_and_skipped(self, tc: TestCore) -> None:
        await logged_in(tc, "gone")
        users = FailingLookups(tc.adapters.users, failing={"kc-xavier"})
        directory = InMemoryDirectory([account("xavier"), account("yara")])
        sync = UserSync(
            write=tc.core.write, users=users, provisioning=tc.core.users, directory=directory
        )

        report = await sync.run_once()

        assert await tc.adapters.users.by_external_id("kc-xavier") is None
        assert (await stored(tc, "kc-yara")).is_active
        assert [f.external_id for f in report.failures] == ["kc-xavier"]
        assert report.outcome == "partial"
        assert counts(report) == {"created": 1, "deactivated": 1, "failed": 1}
        assert not (await stored(tc, "kc-gone")).is_active

    async def test_a_failed_confirmation_leaves_the_user_active(self, tc: TestCore) -> None:
        await logged_in(tc, "zoe")
        directory = InMemoryDirectory(failing_finds={"kc-zoe"})

        report = await run(tc, directory)

        assert (await stored(tc, "kc-zoe")).is_active
        assert [f.external_id for f in report.failures] == ["kc-zoe"]

    async def test_a_page_error_ends_the_run_before_any_deactivation(self, tc: TestCore) -> None:
        await logged_in(tc, "gone")
        directory = InMemoryDirectory([account("a1"), account("a2"), account("a3")], broken_page=1)

        report = await run(tc, directory, page_size=2)

        assert report.outcome == "error"
        assert report.aborted is not None
        assert "page 1" in report.aborted
        assert report.created == 2
        assert await tc.adapters.users.by_external_id("kc-a3") is None
        assert (await stored(tc, "kc-gone")).is_active
        assert directory.found == []


def _actor(user: User) -> Actor:
    return Actor(user.id, is_system_admin=user.is_system_admin)
