"""robots.txt, as RFC 9309 reads it: fetched once per site through the guarded fetcher and kept for
one poll. A missing file (4xx) allows everything; an unreachable one (5xx, network) allows nothing,
for now: the entries are tried again on the next poll."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from newsbot.web.fetch import FetchError, FetchPolicy, get

ROBOTS_MAX_BYTES = 500 * 1024


class RobotsUnreachable(FetchError):
    """A site's robots.txt could not be read, so its pages are not fetched this time."""


class Robots:
    """Whether `policy.user_agent` may fetch a URL, one robots.txt request per site."""

    def __init__(self, policy: FetchPolicy, turn: Callable[[str], AbstractContextManager] = lambda url: nullcontext()) -> None:
        """`turn(url)` wraps the request for robots.txt (the caller's per-host pace)."""
        self.policy = dataclasses.replace(policy, max_bytes=ROBOTS_MAX_BYTES)
        self._turn = turn
        self._sites: dict[str, RobotFileParser | str] = {}

    def allows(self, url: str) -> bool:
        """True or False by the site's rules; `RobotsUnreachable` when they could not be read."""
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        if site not in self._sites:
            self._sites[site] = self._read(site)
        rules = self._sites[site]
        if isinstance(rules, str):
            raise RobotsUnreachable(rules)
        return rules.can_fetch(self.policy.user_agent, url)

    def _read(self, site: str) -> RobotFileParser | str:
        rules = RobotFileParser(f"{site}/robots.txt")
        try:
            with self._turn(site):
                page = get(f"{site}/robots.txt", self.policy)
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                rules.allow_all = True
                return rules
            return f"robots.txt of {site} could not be read ({exc})"
        rules.parse(page.body.decode("utf-8", errors="replace").splitlines())
        return rules
