"""The shared limiter's arithmetic, on a clock the test controls."""

import pytest

from multimarkets import IPBannedError, RateLimit
from multimarkets._ratelimit import KeyLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def admit(limiter: KeyLimiter, clock: FakeClock) -> float:
    with limiter._lock:
        delay = limiter._delay(clock())
        if delay <= 0:
            limiter._in_flight += 1
        return delay


def test_window_is_counted_from_each_answer() -> None:
    clock = FakeClock()
    limiter = KeyLimiter(RateLimit(3, 10.0), clock)
    for _ in range(3):
        assert admit(limiter, clock) == 0
    assert admit(limiter, clock) > 0  # all three in flight
    clock.now += 2
    limiter.release()
    assert admit(limiter, clock) == pytest.approx(10.0)  # first answer at t+2 frees its slot at t+12
    clock.now += 10
    assert admit(limiter, clock) == 0


def test_pause_holds_everyone() -> None:
    clock = FakeClock()
    limiter = KeyLimiter(None, clock)
    limiter.pause(4.0)
    assert admit(limiter, clock) == pytest.approx(4.0)
    clock.now += 4
    assert admit(limiter, clock) == 0


def test_ban_refuses_without_waiting() -> None:
    clock = FakeClock()
    limiter = KeyLimiter(RateLimit(), clock)
    limiter.ban(300)
    with pytest.raises(IPBannedError):
        admit(limiter, clock)
    clock.now += 300
    assert admit(limiter, clock) == 0
