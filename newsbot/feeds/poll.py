"""One poll of a feed: a conditional GET, the entries not seen before, their text (the feed's own
when it carries the article, else the linked page, fetched as `/add` does and as robots.txt
allows), indexed `COMMIT_EVERY` at a time, each batch recorded as dealt with once it is committed;
then the feed's state is stored.

A process killed mid-poll loses nothing: what the ingest committed stays, and the entries not yet
recorded are taken up by the next poll (those already indexed are known by their URL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from newsbot.app import Newsbot
from newsbot.feeds.book import Feed, FeedBook, Seen, utc_now
from newsbot.feeds.parse import Entry, FeedError, parse_feed
from newsbot.feeds.schedule import max_age, outside_skips, seconds_to_next_poll
from newsbot.index.articles import Article, ArticleError, make_article
from newsbot.web.fetch import FetchError, FetchPolicy, article_from_page, get
from newsbot.web.robots import Robots, RobotsUnreachable

log = logging.getLogger(__name__)

FEED_MAX_BYTES = 10 * 1024 * 1024
FULL_TEXT_WORDS = 150
FUTURE_SLACK = dt.timedelta(days=1)
SKIPS_SHOWN = 3
COMMIT_EVERY = 20
CLAIM_LEASE = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class PollReport:
    """What one poll of one feed did; `articles` are the ones new to the index."""

    feed: str
    articles: tuple[Article, ...] = ()
    duplicates: int = 0
    skipped: tuple[tuple[str, str], ...] = ()
    not_modified: bool = False
    error: str | None = None

    def summary(self) -> str:
        if self.error:
            return f"failed: {self.error}"
        if self.not_modified:
            return "not modified"
        text = f"{len(self.articles)} new, {self.duplicates} already indexed, {len(self.skipped)} skipped"
        if self.skipped:
            shown = "; ".join(f"{what}: {why}" for what, why in self.skipped[:SKIPS_SHOWN])
            text += f" ({shown}{'; …' if len(self.skipped) > SKIPS_SHOWN else ''})"
        return text


class Skip(Exception):
    """An entry that gives no article this time; `final` ones are not tried again."""

    def __init__(self, reason: str, final: bool = True) -> None:
        super().__init__(reason)
        self.final = final


class Pace:
    """`seconds` between the end of one request to a host and the start of the next, waited out
    in the polling thread."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: dict[str, float] = {}

    @contextmanager
    def turn(self, url: str):
        host = urlsplit(url).hostname or ""
        if host in self._last:
            time.sleep(max(0.0, self._last[host] + self.seconds - time.monotonic()))
        try:
            yield
        finally:
            self._last[host] = time.monotonic()


@dataclass
class _Run:
    """What one `poll_due` shares between feeds: robots.txt answers and the per-host pace."""

    robots: Robots
    pace: Pace


@dataclass
class _Taken:
    """The outcomes of one feed's entries so far: new articles by content hash, duplicates, skips."""

    new: dict[str, Article] = field(default_factory=dict)
    duplicates: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _next_poll(feed: Feed, started: dt.datetime, failures: int, cache_seconds: int | None = None) -> dt.datetime:
    """When to poll `feed` again after a poll begun at `started`: the backoff after `failures` in a
    row, else the interval, or the feed's TTL or the response's max-age (`cache_seconds`) when
    longer; never in the hours or days the feed asks to be skipped."""
    ttl = max(feed.ttl_seconds or 0, cache_seconds or 0) or None
    wait = seconds_to_next_poll(feed.every_seconds, failures, None if failures else ttl)
    return outside_skips(started + dt.timedelta(seconds=wait), feed.skip_hours, feed.skip_days)


class Poller:
    """Polls feeds into `app`'s index. Polls are serialised; `stop` makes a running one end after
    the entry it is on, keeping what it finished."""

    def __init__(self, app: Newsbot, book: FeedBook, policy: FetchPolicy, pace_seconds: float) -> None:
        self.app = app
        self.book = book
        self.policy = policy
        self.pace_seconds = pace_seconds
        self._one_at_a_time = threading.Lock()
        self.stopping = threading.Event()

    def poll_due(self, names: list[str] | None = None, now: dt.datetime | None = None) -> list[PollReport]:
        """Poll the feeds that are due, each claimed first so no other process polls it meanwhile
        (or those `names`, due or not), one after another."""
        with self._one_at_a_time:
            now = now or utc_now()
            feeds = [self.book.find(name) for name in names] if names else self.book.due(now)
            pace = Pace(self.pace_seconds)
            run = _Run(Robots(self.policy, pace.turn), pace)
            reports = []
            for feed in feeds:
                if self.stopping.is_set():
                    break
                if names or self.book.claim(feed, now + CLAIM_LEASE):
                    reports.append(self._poll(feed, run))
            return reports

    def _poll(self, feed: Feed, run: _Run) -> PollReport:
        started = utc_now()
        headers = {k: v for k, v in (("If-None-Match", feed.etag), ("If-Modified-Since", feed.modified)) if v}
        try:
            with run.pace.turn(feed.url):
                response = get(feed.url, dataclasses.replace(self.policy, max_bytes=FEED_MAX_BYTES), headers)
            parsed = None if response.status == 304 else parse_feed(response.body, response.url, response.content_type)
        except (FetchError, FeedError) as exc:
            failures = feed.failures + 1
            report = PollReport(feed.name, error=str(exc))
            self.book.polled(dataclasses.replace(
                feed, last_poll=started, last_result=report.summary(), last_error=str(exc), failures=failures,
                next_poll=_next_poll(feed, started, failures)))
            log.warning("feed %s: %s (failure %d in a row)", feed.name, exc, failures)
            return report
        if parsed is None:
            report = PollReport(feed.name, not_modified=True)
        else:
            report = self._take(feed, parsed.entries, run, started)
            feed = dataclasses.replace(feed, title=parsed.title or feed.title, ttl_seconds=parsed.ttl_seconds,
                                       skip_hours=parsed.skip_hours, skip_days=parsed.skip_days,
                                       etag=response.headers.get("etag"), modified=response.headers.get("last-modified"))
        self.book.polled(dataclasses.replace(
            feed, last_poll=started, last_result=report.summary(), last_error=None, failures=0,
            new_articles=feed.new_articles + len(report.articles),
            next_poll=_next_poll(feed, started, 0, max_age(response.headers.get("cache-control")))))
        log.info("feed %s: %s", feed.name, report.summary())
        return report

    def _take(self, feed: Feed, entries: tuple[Entry, ...], run: _Run, now: dt.datetime) -> PollReport:
        """Index the entries not dealt with before, `COMMIT_EVERY` at a time (a long first poll keeps
        what it has fetched, in bounded memory); record those dealt with for good."""
        seen_keys = self.book.seen_keys(feed.name, [e.key for e in entries])
        fresh = [e for e in entries if e.key not in seen_keys]
        urls = [e.url for e in fresh if e.url]
        known = self.book.seen_urls(urls) | set(self.app.store.ids_by_path(urls))
        taken = _Taken()
        for first in range(0, len(fresh), COMMIT_EVERY):
            if self.stopping.is_set():
                break
            self._take_some(feed, fresh[first:first + COMMIT_EVERY], known, run, now, taken)
        return PollReport(feed.name, tuple(taken.new.values()), taken.duplicates, tuple(taken.skipped))

    def _take_some(self, feed: Feed, entries: list[Entry], known: set[str], run: _Run, now: dt.datetime,
                   taken: _Taken) -> None:
        """Fetch, index and record some fresh entries, adding the outcomes to `taken`."""
        seen: list[Seen] = []
        articles: list[tuple[Entry, Article]] = []
        for entry in entries:
            if self.stopping.is_set():
                break
            if entry.url in known:
                taken.duplicates += 1
                seen.append(Seen(entry.key, entry.url, "duplicate"))
                continue
            try:
                articles.append((entry, self._article(entry, feed, run, now)))
            except Skip as skip:
                taken.skipped.append((entry.title or entry.url or entry.key, str(skip)))
                log.warning("feed %s: skipped %s: %s", feed.name, entry.url or entry.title, skip)
                if skip.final:
                    seen.append(Seen(entry.key, entry.url, f"skipped: {skip}"))
        before = self.app.store.known_hashes([a.content_hash for _, a in articles])
        ingest = self.app.add([article for _, article in articles]) if articles else None
        failed = {problem.path: problem.message for problem in (ingest.problems if ingest else [])}
        for entry, article in articles:
            if article.path in failed:
                taken.skipped.append((entry.title or article.path, failed[article.path]))
                outcome = f"skipped: {failed[article.path]}"
            elif article.content_hash in before or article.content_hash in taken.new:
                taken.duplicates += 1
                outcome = "duplicate"
            else:
                taken.new[article.content_hash] = article
                outcome = "added"
            seen.append(Seen(entry.key, entry.url, outcome))
        self.book.record(feed, seen)

    def _article(self, entry: Entry, feed: Feed, run: _Run, now: dt.datetime) -> Article:
        """The entry's article: its own text when the feed carries the whole of it, else the page's."""
        date = entry.published.date() if entry.published and entry.published <= now + FUTURE_SLACK else None
        host = urlsplit(entry.url or feed.url).hostname or feed.name
        path = entry.url or f"{feed.url}#{entry.key}"
        if len(entry.text.split()) >= FULL_TEXT_WORDS or not entry.url:
            if not entry.text.strip():
                raise Skip("the entry has neither a link nor text")
            try:
                return make_article(entry.text, path=path, title=entry.title or None, date=date or now.date(),
                                    source=host, url=entry.url)
            except ArticleError as exc:
                raise Skip(str(exc)) from None
        try:
            if not run.robots.allows(entry.url):
                raise Skip("robots.txt does not allow fetching it")
        except RobotsUnreachable as exc:
            raise Skip(str(exc), final=False) from None
        try:
            with run.pace.turn(entry.url):
                page = get(entry.url, self.policy)
            article = article_from_page(page.url, page.content_type, page.body)
        except FetchError as exc:
            raise Skip(str(exc), final=not exc.transient) from None
        except ArticleError as exc:
            raise Skip(str(exc)) from None
        return dataclasses.replace(article, title=entry.title or article.title, date=date or article.date or now.date(),
                                   url=entry.url, path=path, source=host)
