"""Drill 3: a 3-node JetStream cluster (three nats-server processes on loopback, streams with 3
replicas); the DPI stream's leader killed (-9) mid-burst. The portal goes on delivering, with
nothing lost and nothing twice."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator

import pytest

from ..portal import eventually
from .conftest import Drilled, start_drilled, stop_drilled
from .harness import (
    Burst,
    Figures,
    create_doctors,
    judge,
    publish_burst,
    settled,
    under_way,
)

pytestmark = pytest.mark.drill


@pytest.fixture(scope="module")
async def clustered(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Drilled]:
    running, watching = await start_drilled(tmp_path_factory, nats_nodes=3)
    try:
        yield running
    finally:
        await stop_drilled(running, watching)


async def leader_of(clustered: Drilled, stream: str) -> str:
    """The server leading the stream now (asked again while the cluster answers slowly)."""

    async def leader() -> str | None:
        try:
            info = await clustered.ops.jetstream().stream_info(stream)
        except Exception:
            return None
        return info.cluster.leader if info.cluster is not None else None

    return await eventually(leader, timeout=30, what=f"a leader for {stream}")


async def test_the_stream_leader_killed_mid_burst_loses_and_repeats_nothing(clustered: Drilled) -> None:
    stack = clustered.stack
    for stream in ("DPI", "PORTAL", "AUDIT", "OBJ_dpi-documents"):
        info = await clustered.ops.jetstream().stream_info(stream)
        assert info.config.num_replicas == 3 and info.cluster is not None, stream
        assert len(info.cluster.replicas or []) == 2, f"{stream}: a leader and two replicas"

    doctors = await create_doctors(clustered.physicians, 5)
    burst = Burst(doctors, episodes=20, documents=1000)
    figures = Figures("3-node cluster, DPI stream leader killed (-9) mid-burst")

    publishing = asyncio.create_task(publish_burst(clustered.hospital, burst))
    await under_way(clustered, burst, 0.1)
    leader = await leader_of(clustered, "DPI")
    stack.stop_process(leader, sig=signal.SIGKILL)  # not restarted: two nodes carry on
    killed = time.monotonic()
    await publishing
    done = await settled(clustered, burst, timeout=120)
    figures.recovery_seconds = done - killed
    new_leader = await leader_of(clustered, "DPI")
    await judge(clustered, burst, figures, killed=leader, **{"new leader": new_leader})
    assert new_leader != leader
