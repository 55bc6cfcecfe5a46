"""When feeds are polled next: intervals, backoff, TTL and skip hints."""

from __future__ import annotations

import datetime as dt

import pytest

from newsbot.feeds.schedule import format_interval, max_age, outside_skips, parse_interval, seconds_to_next_poll

UTC = dt.timezone.utc


@pytest.mark.parametrize(("text", "seconds"), [("30m", 1800), ("1h30m", 5400), (" 2 h ", 7200), ("1d", 86400), ("45s", 45)])
def test_intervals_are_read_and_written_back(text: str, seconds: int) -> None:
    assert parse_interval(text) == seconds
    assert parse_interval(format_interval(seconds)) == seconds


@pytest.mark.parametrize("text", ["", "often", "30", "m30", "0m", "1h-5m"])
def test_what_is_not_an_interval_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match="30m|at least"):
        parse_interval(text)


def test_backoff_doubles_to_a_day_and_a_ttl_counts_only_when_longer() -> None:
    assert [seconds_to_next_poll(600, n, None) for n in (1, 2, 3)] == [1200, 2400, 4800]
    assert seconds_to_next_poll(600, 12, None) == 86400
    assert seconds_to_next_poll(3600, 0, 60) == 3600
    assert seconds_to_next_poll(600, 0, 10 * 86400) == 86400


def test_skipped_hours_and_days_move_the_poll_to_the_next_open_hour() -> None:
    friday_late = dt.datetime(2026, 12, 4, 22, 40, tzinfo=UTC)
    assert outside_skips(friday_late, (), ()) == friday_late
    assert outside_skips(friday_late, (22, 23, 0), ()) == dt.datetime(2026, 12, 5, 1, tzinfo=UTC)
    assert outside_skips(friday_late, (22, 23), (5, 6)) == dt.datetime(2026, 12, 7, 0, tzinfo=UTC)
    assert outside_skips(friday_late, tuple(range(24)), ()) == friday_late, "hints that skip every hour are ignored"


@pytest.mark.parametrize("header,seconds", [
    ("max-age=3600", 3600), ("public, max-age=900, must-revalidate", 900), ('MAX-AGE="60"', 60),
    ("no-cache", None), ("s-maxage=600", None), ("max-age=soon", None), (None, None), ("", None),
])
def test_max_age_is_read_from_cache_control(header, seconds) -> None:
    assert max_age(header) == seconds
