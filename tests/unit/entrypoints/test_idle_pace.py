"""The reaction sweep's pace: every tick while busy, backing off to IDLE_LOOK_SECONDS idle."""

from __future__ import annotations

import itertools

from flowra_entrypoints.worker.jobs import GAUGE_SECONDS, IDLE_LOOK_SECONDS, IdlePace


def looks(pace: IdlePace, *, seconds: int, busy_until: float = -1.0) -> list[float]:
    """The ticks (one a second) on which the sweep looked."""
    looked: list[float] = []
    for tick in range(seconds):
        now = float(tick)
        if not pace.skip(now):
            looked.append(now)
            pace.ran(now, busy=now <= busy_until)
    return looked


def test_busy_it_looks_every_tick() -> None:
    assert looks(IdlePace(1.0), seconds=5, busy_until=10.0) == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_idle_it_backs_off_to_the_idle_look() -> None:
    looked = looks(IdlePace(1.0), seconds=60)

    assert looked[:4] == [0.0, 2.0, 6.0, 11.0]
    gaps = {b - a for a, b in itertools.pairwise(looked[3:])}
    assert gaps == {IDLE_LOOK_SECONDS}


def test_work_found_brings_back_the_short_interval() -> None:
    pace = IdlePace(1.0)
    for now in (0.0, 2.0, 6.0):
        pace.ran(now, busy=False)
    pace.ran(11.0, busy=True)

    assert not pace.skip(12.0)


def test_the_gauges_are_refreshed_at_most_every_gauge_period() -> None:
    pace = IdlePace(1.0)

    assert pace.gauges_due(0.0)
    assert not pace.gauges_due(GAUGE_SECONDS - 1)
    assert pace.gauges_due(GAUGE_SECONDS)
