"""A RateLimit is a whole number of requests, 1 or more, per a finite window above 0 seconds: anything else is
refused when it is made, not met as a TypeError or a window that never ends at some later call."""

from __future__ import annotations

import math

import pytest

from multimarkets import ConfigurationError, RateLimit


@pytest.mark.parametrize("requests", [1.5, 100.0, True, False, 0, -1, "100", None])
def test_requests_must_be_a_whole_number_from_1(requests: object) -> None:
    with pytest.raises(ConfigurationError, match=r"^RateLimit\.requests must be a whole number"):
        RateLimit(requests, 60.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("window", [math.nan, math.inf, -math.inf, 0, -1.0, True, "60", None])
def test_the_window_must_be_finite_and_positive(window: object) -> None:
    with pytest.raises(ConfigurationError, match=r"^RateLimit\.window must be a finite number"):
        RateLimit(100, window)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        *("100/nans", "100/infs", "1.5/60s", "0/60s", "100/0s"),
        *("\u0661\u0660\u0660/60s", "100/\u0666\u0660s", "1_000/1s", "+5/1s", "100/1e-300s", "100/1e3s"),
        *("100/0.0001s", "100/25h", "100/-1s", "100/", "/60s", "9" * 5000 + "/1s"),
    ],
)
def test_parse_refuses_the_same_and_any_count_or_window_but_plain_ascii_decimals(text: str) -> None:
    with pytest.raises(ConfigurationError):
        RateLimit.parse(text)


def test_usual_limits_are_kept() -> None:
    assert RateLimit(1, 0.001) == RateLimit(1, 0.001)
    assert RateLimit.parse("300/1m") == RateLimit(300, 60.0)
    forms = {
        "100/60s": 60.0,
        "3/0.5s": 0.5,
        "3/.5s": 0.5,
        "100/500ms": 0.5,
        "5/1M": 60.0,
        "10/2": 2.0,
        " 7 / 24h ": 86_400.0,
    }
    for text, window in forms.items():
        assert RateLimit.parse(text).window == window, text
    assert RateLimit.parse("1/1ms") == RateLimit(1, 0.001)
    assert RateLimit(100, 60).window == 60
