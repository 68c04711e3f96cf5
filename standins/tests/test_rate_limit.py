"""The emulator's rolling-window rate limit, on a clock the test moves."""

from __future__ import annotations

from standins.spotify_emulator.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_it_refuses_the_call_over_the_limit_until_the_oldest_leaves_the_window() -> None:
    clock = Clock()
    limiter = RateLimiter(2, window=30, clock=clock)

    first = limiter.admit("app")
    clock.now += 10
    second = limiter.admit("app")
    clock.now += 5
    refused = limiter.admit("app")

    assert (first, second) == (None, None)
    assert refused == 15  # the first call leaves the window 15 s from now
    clock.now += 15
    assert limiter.admit("app") is None


def test_refused_calls_do_not_count_so_waiting_retry_after_always_works() -> None:
    clock = Clock()
    limiter = RateLimiter(1, window=10, clock=clock)
    limiter.admit("app")

    waits = [limiter.admit("app") for _ in range(5)]
    clock.now += 10

    assert waits == [10, 10, 10, 10, 10]
    assert limiter.admit("app") is None


def test_each_app_has_its_own_window_and_a_limit_of_0_is_no_limit() -> None:
    clock = Clock()
    limiter = RateLimiter(1, window=10, clock=clock)

    assert [limiter.admit("one"), limiter.admit("two")] == [None, None]
    assert limiter.admit("one") == 10
    limiter.configure(0, 10)
    assert [limiter.admit("one") for _ in range(3)] == [None, None, None]


def test_retry_after_is_at_least_a_second_and_rounded_up() -> None:
    clock = Clock()
    limiter = RateLimiter(1, window=1.5, clock=clock)
    limiter.admit("app")

    clock.now += 0.2
    assert limiter.admit("app") == 2  # 1.3 s left, rounded up
    clock.now += 1.2
    assert limiter.admit("app") == 1  # 0.1 s left: still "come back in 1"
