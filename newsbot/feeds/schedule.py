"""When a feed is polled next: intervals written as "30m" or "2h", a backoff that doubles with each
failure in a row (up to a day), and a feed's own hints: its TTL, and the hours and days it asks not
to be polled."""

from __future__ import annotations

import datetime as dt
import re

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_BACKOFF_SECONDS = 86400
MAX_TTL_SECONDS = 86400
_INTERVAL = re.compile(r"(\d+)\s*([smhd])")


def parse_interval(text: str) -> int:
    """Seconds in "90s", "30m", "2h", "1d" or "1h30m"; `ValueError` with an example otherwise."""
    compact = text.strip().lower().replace(" ", "")
    parts = _INTERVAL.findall(compact)
    if not compact or "".join(number + unit for number, unit in parts) != compact:
        raise ValueError(f"{text!r} is not an interval; write it like 30m, 2h or 1d")
    seconds = sum(int(number) * UNITS[unit] for number, unit in parts)
    if seconds < 1:
        raise ValueError("an interval must be at least 1s")
    return seconds


def format_interval(seconds: int) -> str:
    """The shortest of "1d", "2h", "30m", "45s" that says `seconds` exactly (or a mix of them)."""
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(out) or "0s"


def max_age(cache_control: str | None) -> int | None:
    """The `max-age` seconds of a Cache-Control header (RFC 9111), if it gives one."""
    found = re.search(r'(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?:,|$)', cache_control or "", re.IGNORECASE)
    return int(found.group(1)) if found else None


def seconds_to_next_poll(every: int, failures: int, ttl: int | None) -> int:
    """After a success (`failures` 0): the feed's interval, or its TTL (its `<ttl>` or the
    response's max-age) when that is longer, capped at a day. After failures in a row: the interval
    doubled for each, capped at a day."""
    if failures:
        return min(every * 2 ** min(failures, 16), max(every, MAX_BACKOFF_SECONDS))
    return max(every, min(ttl or 0, MAX_TTL_SECONDS))


def outside_skips(moment: dt.datetime, skip_hours: tuple[int, ...], skip_days: tuple[int, ...]) -> dt.datetime:
    """`moment`, or the start of the first hour after it that is neither a skipped hour (UTC) nor on
    a skipped weekday; `moment` itself when the hints skip the whole week."""
    moment = moment.astimezone(dt.timezone.utc)
    later = moment
    for _ in range(7 * 24 + 1):
        if later.hour not in skip_hours and later.weekday() not in skip_days:
            return later
        later = (later + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return moment
