"""Per-user question limits: a flood gets one polite reply a minute and is otherwise ignored, so it
never spends the send budget (about 30 messages a second) that every user of the bot shares."""

from __future__ import annotations

import enum
import time
from collections import deque
from dataclasses import dataclass, field

WINDOW_SECONDS = 60.0
SWEEP_EVERY = 1000


class Verdict(enum.Enum):
    ANSWER = "answer"
    WARN = "warn"
    IGNORE = "ignore"


@dataclass
class RateLimiter:
    """At most `per_minute` questions per user in any sliding minute; the first question over the
    limit is told to slow down (WARN), the rest of that minute are dropped (IGNORE)."""

    per_minute: int
    _seen: dict[int, deque] = field(default_factory=dict)
    _warned: dict[int, float] = field(default_factory=dict)
    _checks: int = 0

    def check(self, user_id: int, now: float | None = None) -> Verdict:
        now = time.monotonic() if now is None else now
        self._sweep(now)
        times = self._seen.setdefault(user_id, deque())
        while times and now - times[0] >= WINDOW_SECONDS:
            times.popleft()
        if len(times) < self.per_minute:
            times.append(now)
            return Verdict.ANSWER
        if now - self._warned.get(user_id, -WINDOW_SECONDS) >= WINDOW_SECONDS:
            self._warned[user_id] = now
            return Verdict.WARN
        return Verdict.IGNORE

    def allow(self, user_id: int, now: float | None = None) -> bool:
        return self.check(user_id, now) is Verdict.ANSWER

    def users(self) -> int:
        """How many users the limiter remembers (idle ones are forgotten)."""
        return len(self._seen.keys() | self._warned.keys())

    def _sweep(self, now: float) -> None:
        """Every `SWEEP_EVERY` checks, forget users idle for a whole window (memory stays bounded)."""
        self._checks += 1
        if self._checks % SWEEP_EVERY:
            return
        for user in [u for u, times in self._seen.items() if not times or now - times[-1] >= WINDOW_SECONDS]:
            del self._seen[user]
        for user in [u for u, warned in self._warned.items() if now - warned >= WINDOW_SECONDS]:
            del self._warned[user]
