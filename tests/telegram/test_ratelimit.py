"""The per-user limit over a sliding minute, on a clock the test controls."""

from __future__ import annotations

from newsbot.telegram.ratelimit import SWEEP_EVERY, RateLimiter, Verdict


def test_limit_slides_and_a_flood_is_told_once_a_minute() -> None:
    limiter = RateLimiter(per_minute=3)
    verdicts = [limiter.check(1, now=t) for t in (0, 1, 2, 3, 4, 30)]
    assert verdicts == [Verdict.ANSWER] * 3 + [Verdict.WARN, Verdict.IGNORE, Verdict.IGNORE]
    assert limiter.check(2, now=30) is Verdict.ANSWER, "users are limited separately"
    assert limiter.check(1, now=60) is Verdict.ANSWER, "the first question slid out of the minute"
    assert limiter.check(1, now=62) is Verdict.ANSWER
    assert limiter.check(1, now=62.5) is Verdict.ANSWER
    assert limiter.check(1, now=62.7) is Verdict.IGNORE, "within a minute of the polite reply"
    assert limiter.check(1, now=63.5) is Verdict.WARN, "a minute after the last polite reply, another"
    assert limiter.check(1, now=64) is Verdict.IGNORE


def test_idle_users_are_forgotten() -> None:
    limiter = RateLimiter(per_minute=2)
    for user in range(SWEEP_EVERY - 1):
        limiter.check(user, now=0)
    assert limiter.users() == SWEEP_EVERY - 1
    limiter.check(-1, now=61)
    assert limiter.users() == 1
