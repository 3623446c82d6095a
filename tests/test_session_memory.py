"""The gateway's memory of identity's answers: reuse for a few seconds, renewal ahead of expiry.

Identity is stood in for by a function answering from a table (the gateway's whole use of it
is one call); the clocks are moved by the tests.
"""

from __future__ import annotations

import asyncio

import pytest

from common.contracts.identity import AccountSummary, ResolvedSession
from common.errors import ServiceUnavailable, Unauthenticated
from gateway.session_memory import SessionMemory

WALL = 1_800_000_000.0


class Identity:
    """Answers for live sessions; `hold` makes the next answers wait until released."""

    def __init__(self) -> None:
        self.live: set[str] = {"s1"}
        self.asked: list[tuple[str, bool]] = []
        self.hold = asyncio.Event()
        self.hold.set()
        self.failure: Exception | None = None
        self.token_life = 300.0

    async def ask(self, handle: str, touch: bool) -> ResolvedSession:
        self.asked.append((handle, touch))
        await self.hold.wait()
        if self.failure is not None:
            raise self.failure
        if handle not in self.live:
            raise Unauthenticated("no such session")
        account = AccountSummary(
            id="a1", display_name="Dr A", role="physician", locale="fr", documents_scope="all", patients_scope="all"
        )
        return ResolvedSession(
            session_id=f"id-{handle}",
            token=f"token-{len(self.asked)}",
            expires_at=int(WALL + self.token_life),
            account=account,
        )


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def identity() -> Identity:
    return Identity()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def memory(identity: Identity, clock: Clock) -> SessionMemory:
    return SessionMemory(
        identity.ask, reuse_seconds=5.0, refresh_ahead_seconds=1.0, clock=clock, wall_clock=lambda: WALL
    )


async def settle(memory: SessionMemory) -> None:
    """Let background renewals run to their end."""
    await asyncio.wait_for(asyncio.gather(*memory._renewing.values(), return_exceptions=True), timeout=5)


async def test_an_answer_is_reused_for_five_seconds_then_asked_again(
    memory: SessionMemory, identity: Identity, clock: Clock
) -> None:
    first = await memory.resolve("s1", touch=True)
    clock.now += 3.9
    assert await memory.resolve("s1", touch=True) == first
    assert len(identity.asked) == 1
    clock.now += 1.2  # 5.1 s after: too old to reuse
    renewed = await memory.resolve("s1", touch=True)
    assert renewed.token != first.token and len(identity.asked) == 2


async def test_a_session_in_use_is_renewed_in_the_background_before_it_expires(
    memory: SessionMemory, identity: Identity, clock: Clock
) -> None:
    first = await memory.resolve("s1", touch=True)
    clock.now += 4.5  # in the last second of reuse
    identity.hold.clear()  # identity is slow: the page must not wait for it
    assert await asyncio.wait_for(memory.resolve("s1", touch=False), timeout=1) == first
    assert await memory.resolve("s1", touch=False) == first  # one renewal at a time
    identity.hold.set()
    await settle(memory)
    assert identity.asked == [("s1", True), ("s1", False)]
    clock.now += 1.0  # the first answer is 5.5 s old; the renewal, 1 s
    assert (await memory.resolve("s1", touch=True)).token == "token-2"
    assert len(identity.asked) == 2


async def test_the_physicians_own_requests_keep_the_session_alive_through_renewals(
    memory: SessionMemory, identity: Identity, clock: Clock
) -> None:
    await memory.resolve("s1", touch=False)  # the page's script
    clock.now += 2.0
    await memory.resolve("s1", touch=True)  # the physician, from the reused answer
    clock.now += 2.5
    await memory.resolve("s1", touch=False)  # the script again starts the renewal
    await settle(memory)
    assert identity.asked == [("s1", False), ("s1", True)]  # the renewal touches the session


async def test_a_renewal_refused_by_identity_ends_the_reuse(
    memory: SessionMemory, identity: Identity, clock: Clock
) -> None:
    await memory.resolve("s1", touch=True)
    identity.live.clear()  # ended elsewhere
    clock.now += 4.5
    await memory.resolve("s1", touch=True)  # still the earlier answer, at most 5 s old
    await settle(memory)
    with pytest.raises(Unauthenticated):
        await memory.resolve("s1", touch=True)


async def test_a_failed_renewal_leaves_the_answer_to_expire_as_planned(
    memory: SessionMemory, identity: Identity, clock: Clock
) -> None:
    first = await memory.resolve("s1", touch=True)
    identity.failure = ServiceUnavailable("no answer")
    clock.now += 4.5
    await memory.resolve("s1", touch=True)
    await settle(memory)
    assert await memory.resolve("s1", touch=True) == first  # 4.5 s old
    clock.now += 0.6
    with pytest.raises(ServiceUnavailable):
        await memory.resolve("s1", touch=True)


async def test_forgetting_drops_the_answer_and_abandons_a_renewal(
    memory: SessionMemory, identity: Identity, clock: Clock
) -> None:
    await memory.resolve("s1", touch=True)
    clock.now += 4.5
    identity.hold.clear()
    await memory.resolve("s1", touch=True)  # starts a renewal...
    await asyncio.sleep(0)  # ...held at identity
    memory.forget("s1")  # logged out here
    identity.live.clear()
    identity.hold.set()
    await settle(memory)
    with pytest.raises(Unauthenticated):
        await memory.resolve("s1", touch=True)
    assert len(identity.asked) == 3


async def test_a_session_identity_announced_ended_is_asked_again_at_once(
    memory: SessionMemory, identity: Identity, clock: Clock
) -> None:
    await memory.resolve("s1", touch=True)
    identity.live.clear()  # ended on another gateway, or by an administrator
    memory.ended(["id-s1"])
    clock.now += 0.1  # well within the five seconds of reuse
    with pytest.raises(Unauthenticated):
        await memory.resolve("s1", touch=True)


async def test_an_answer_on_its_way_when_its_session_ended_is_not_kept(
    memory: SessionMemory, identity: Identity, clock: Clock
) -> None:
    identity.hold.clear()
    asking = asyncio.create_task(memory.resolve("s1", touch=True))
    await asyncio.sleep(0)  # identity read the session while it was alive...
    memory.ended(["id-s1"])  # ...and the announcement of its end came first
    identity.hold.set()
    await asking  # this request raced with the end, as any request in flight does
    identity.live.clear()
    with pytest.raises(Unauthenticated):
        await memory.resolve("s1", touch=True)
    assert len(identity.asked) == 2


async def test_an_answer_is_not_reused_past_its_token_life(
    memory: SessionMemory, identity: Identity, clock: Clock
) -> None:
    identity.token_life = 32.0  # 2 s left once the 30 s margin is kept
    await memory.resolve("s1", touch=True)
    clock.now += 2.1
    await memory.resolve("s1", touch=True)
    assert len(identity.asked) == 2
    identity.token_life = 20.0  # less than the margin: never reused
    clock.now += 2.1
    await memory.resolve("s1", touch=True)
    await memory.resolve("s1", touch=True)
    assert len(identity.asked) == 4


async def test_closing_cancels_the_renewals_under_way(memory: SessionMemory, identity: Identity, clock: Clock) -> None:
    await memory.resolve("s1", touch=True)
    clock.now += 4.5
    identity.hold.clear()
    await memory.resolve("s1", touch=True)
    renewals = list(memory._renewing.values())
    await asyncio.wait_for(memory.close(), timeout=5)
    assert renewals and all(renewal.cancelled() for renewal in renewals)
