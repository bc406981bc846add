"""The shared limiter's arithmetic, on a clock the test controls."""

import time

import pytest

from multimarkets import IPBannedError, RateLimit
from multimarkets._ratelimit import KeyLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_window_is_counted_from_each_answer() -> None:
    clock = FakeClock()
    limiter = KeyLimiter(RateLimit(3, 10.0), clock)
    for _ in range(3):
        assert limiter.try_acquire() == 0
    assert limiter.try_acquire() > 0  # all three in flight
    clock.now += 2
    limiter.release()
    assert limiter.try_acquire() == pytest.approx(10.0)  # first answer at t+2 frees its slot at t+12
    clock.now += 10
    assert limiter.try_acquire() == 0


def test_requests_of_another_process_count_from_their_wall_clock_times() -> None:
    clock = FakeClock()
    limiter = KeyLimiter(RateLimit(3, 10.0), clock)
    now = time.time()
    limiter.occupy([now - 9.0, now - 1.0])  # a killed run's answers, 9 s and 1 s ago
    assert limiter.try_acquire() == 0
    assert limiter.try_acquire() == pytest.approx(1.0, abs=0.01)  # the older one leaves the window in 1 s
    clock.now += 1.0
    assert limiter.try_acquire() == 0


def test_pause_holds_everyone() -> None:
    clock = FakeClock()
    limiter = KeyLimiter(None, clock)
    limiter.pause(4.0)
    assert limiter.try_acquire() == pytest.approx(4.0)
    clock.now += 4
    assert limiter.try_acquire() == 0


def test_ban_refuses_without_waiting() -> None:
    clock = FakeClock()
    limiter = KeyLimiter(RateLimit(), clock)
    limiter.ban(300)
    with pytest.raises(IPBannedError):
        limiter.try_acquire()
    clock.now += 300
    assert limiter.try_acquire() == 0
