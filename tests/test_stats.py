"""app.live.stats: the live session's rate and latency meters (no Qt, explicit clocks)."""

from __future__ import annotations

import time

from stylecam.app.live.stats import LatencyMeter, RateMeter


def test_latency_values_follow_the_window() -> None:
    now = time.monotonic()
    delays = [0.5, 0.1, 0.2, 0.3]
    meter = LatencyMeter(window=2.0)
    for i, delay in enumerate(delays):
        meter.add(delay, now - 7.5 + 2.5 * i)  # at -7.5, -5, -2.5 and 0 s
    assert meter.values() == [0.3]  # only the newest is within 2 s
    assert meter.mean() == 0.3 and meter.max() == 0.3 and meter.count == 4
    wide = LatencyMeter()
    wide.window = 10.0  # what a benchmark does before it measures for 10 s
    for i, delay in enumerate(delays):
        wide.add(delay, now - 7.5 + 2.5 * i)
    assert wide.values() == delays  # every delay, oldest first
    assert wide.max() == 0.5 and abs(wide.mean() - 0.275) < 1e-12
    wide.reset()
    assert wide.values() == [] and wide.mean() == 0.0 and wide.count == 0


def test_rate_counts_events_per_second_in_its_window() -> None:
    meter = RateMeter(window=2.0)
    for i in range(11):
        meter.tick(100.0 + i * 0.1)  # 10 frames/s for 1 s
    assert meter.total == 11
    assert abs(meter.rate(101.0) - 10.0) < 1e-9
    assert meter.rate(110.0) == 0.0  # long after: nothing in the window
