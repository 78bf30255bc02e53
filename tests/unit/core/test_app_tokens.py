"""TokenService on the in-memory adapters: the secret's shape and hash, last-used writes at
most once a minute, and a deactivated user's tokens stop working."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.governance.services import Governance
from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.domain.tokens import TokenScope, matches, parse_secret
from flowra_core.memory.tokens import InMemoryApiTokenStore, in_memory_governance_ports
from flowra_core.testing.builder import build_test_core
from flowra_core.testing.webhooks import InMemoryWebhookReceiver


async def test_the_stored_token_holds_a_salted_hash_only_and_the_secret_matches_it() -> None:
    flowra = await build_test_core()
    alice = await flowra.user("alice")
    governance = Governance(
        flowra.core, in_memory_governance_ports(), webhook_sender=InMemoryWebhookReceiver()
    )
    issued = await governance.tokens.create(
        alice, user_id=None, name="cli", scopes=["write", "read"], expires_at=None
    )
    parsed = parse_secret(issued.secret)
    assert parsed is not None
    assert parsed[0] == issued.token.id
    assert issued.token.scopes == (TokenScope.READ, TokenScope.WRITE)
    assert parsed[1] not in issued.token.secret_hash
    assert matches(issued.token, parsed[1])
    assert not matches(issued.token, parsed[1] + "x")


async def test_last_used_is_written_at_most_once_a_minute() -> None:
    flowra = await build_test_core()
    alice = await flowra.user("alice")
    ports = in_memory_governance_ports()
    governance = Governance(flowra.core, ports, webhook_sender=InMemoryWebhookReceiver())
    issued = await governance.tokens.create(
        alice, user_id=None, name="cli", scopes=["read"], expires_at=None
    )
    store = ports.api_tokens
    assert isinstance(store, InMemoryApiTokenStore)
    first_use = flowra.clock.now()
    caller = await governance.tokens.authenticate(issued.secret)
    assert caller.actor == Actor(
        alice.user_id, scopes=frozenset({TokenScope.READ}), token_id=issued.token.id
    )
    flowra.clock.advance(timedelta(seconds=30))
    await governance.tokens.authenticate(issued.secret)
    assert (await store.get(issued.token.id)).last_used_at == first_use  # type: ignore[union-attr]
    flowra.clock.advance(timedelta(seconds=31))
    await governance.tokens.authenticate(issued.secret)
    assert (await store.get(issued.token.id)).last_used_at == flowra.clock.now()  # type: ignore[union-attr]


async def test_a_revoke_keeps_the_first_revocation_time() -> None:
    flowra = await build_test_core()
    alice = await flowra.user("alice")
    governance = Governance(
        flowra.core, in_memory_governance_ports(), webhook_sender=InMemoryWebhookReceiver()
    )
    issued = await governance.tokens.create(
        alice, user_id=None, name="cli", scopes=["read"], expires_at=None
    )
    first = await governance.tokens.revoke(alice, issued.token.id)
    flowra.clock.advance(timedelta(minutes=1))
    second = await governance.tokens.revoke(alice, issued.token.id)
    assert first.revoked_at == second.revoked_at
    with pytest.raises(DomainError) as refused:
        await governance.tokens.authenticate(issued.secret)
    assert refused.value.code is ErrorCode.UNAUTHENTICATED
