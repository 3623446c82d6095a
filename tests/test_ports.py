"""Test workers side by side (make test runs two) choose their stacks' ports in bands of their own:
ports handed out by the kernel are free when chosen, and another worker could be handed the same
one before the first listens on it."""

from __future__ import annotations

import itertools
import socket

import pytest

from deploy.ports import PORT_BAND, free_port, port_band


@pytest.mark.unit
def test_each_worker_has_a_band_of_its_own_below_the_kernels_ports() -> None:
    bands = [tuple(int(end) for end in port_band(worker).split("-")) for worker in range(8)]
    for (first, last), (next_first, _) in itertools.pairwise(bands):
        assert first < last < next_first
    assert bands[-1][1] < 32768
    with pytest.raises(ValueError):
        port_band(9)


@pytest.mark.unit
def test_a_free_port_is_chosen_in_the_band_and_never_one_taken_or_avoided(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PORT_BAND, "32000-32003")  # outside every worker's band
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 32001))
        taken.listen()
        chosen = {free_port(avoid={32000}) for _ in range(40)}
    assert chosen <= {32002, 32003} and chosen


@pytest.mark.unit
def test_a_band_with_no_free_port_left_is_an_error_not_a_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PORT_BAND, "32004-32005")
    with pytest.raises(RuntimeError, match=PORT_BAND):
        free_port(avoid={32004, 32005})
