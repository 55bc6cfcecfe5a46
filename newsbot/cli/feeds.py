"""`newsbot feeds add|list|remove|poll` and `newsbot watch`: follow feeds and keep the index current."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import threading
from contextlib import contextmanager

from newsbot.cli.errors import CliError
from newsbot.settings import Settings

WATCH_MAX_SLEEP_SECONDS = 60.0


def add_feed_commands(commands, common: argparse.ArgumentParser) -> None:
    feeds = commands.add_parser("feeds", help="follow RSS and Atom feeds")
    actions = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", parents=[common], help="follow a feed (polled by `newsbot watch` and `serve`)")
    add.add_argument("url")
    add.add_argument("--every", metavar="INTERVAL",
                     help="how often to poll it, e.g. 30m, 2h (env NEWSBOT_FEED_INTERVAL, default 30m)")
    add.add_argument("--name", help="a one-word name for it (default: its host name)")
    actions.add_parser("list", parents=[common], help="the feeds followed: last poll, new articles, errors, next poll")
    remove = actions.add_parser("remove", parents=[common], help="stop following a feed (its articles stay)")
    remove.add_argument("name", metavar="NAME")
    poll = actions.add_parser("poll", parents=[common], help="poll feeds once, now (all, or those named)")
    poll.add_argument("names", nargs="*", metavar="NAME")
    commands.add_parser("watch", parents=[common], help="poll due feeds on their schedule until interrupted")


def _book(settings: Settings, create: bool = False):
    from newsbot.feeds.book import FeedBook
    from newsbot.index.store import index_exists

    if not index_exists(settings.index_dir):
        if not create:
            raise CliError(f"no index at {settings.index_dir}; `newsbot feeds add URL` makes one")
        from newsbot.app import Newsbot

        Newsbot.open(settings, create=True).close()
    return FeedBook(settings.index_dir)


def _when(moment: dt.datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "-"


def cmd_feeds_add(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot.feeds.book import FeedBookError
    from newsbot.feeds.schedule import format_interval, parse_interval
    from newsbot.web.fetch import FetchError, check_url

    try:
        every = parse_interval(args.every or settings.feed_interval)
        check_url(args.url.strip())
    except (ValueError, FetchError) as exc:
        raise CliError(str(exc)) from None
    with _book(settings, create=True) as book:
        try:
            feed = book.add(args.url, every, args.name)
        except FeedBookError as exc:
            raise CliError(str(exc)) from None
    print(f"following {feed.name}: {feed.url}, every {format_interval(feed.every_seconds)}; "
          "`newsbot feeds poll` fetches it now, `newsbot watch` keeps it current")
    return 0


def cmd_feeds_list(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot.feeds.schedule import format_interval

    with _book(settings) as book:
        feeds = book.feeds()
    if not feeds:
        print("no feeds; add one with `newsbot feeds add URL`")
    for feed in feeds:
        print(f"{feed.name}  {feed.url}")
        print(f"    every {format_interval(feed.every_seconds)}, last poll {_when(feed.last_poll)}"
              f" ({feed.last_result or 'never polled'}), next poll {_when(feed.next_poll)}")
        print(f"    articles from it: {feed.new_articles}" + (f", last error: {feed.last_error}" if feed.last_error else ""))
    return 0


def cmd_feeds_remove(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot.feeds.book import FeedBookError

    with _book(settings) as book:
        try:
            feed = book.remove(args.name)
        except FeedBookError as exc:
            raise CliError(str(exc)) from None
    print(f"no longer following {feed.name} ({feed.url}); its articles stay in the index")
    return 0


def cmd_feeds_poll(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot.feeds.book import FeedBookError

    with _book(settings) as book, _poller(settings, book) as poller:
        try:
            reports, matched = poller.poll(args.names or [feed.name for feed in book.feeds()])
        except FeedBookError as exc:
            raise CliError(str(exc)) from None
    for report in reports:
        print(f"{report.feed}: {report.summary()}")
    _say_matched(matched)
    if not reports:
        print("no feeds; add one with `newsbot feeds add URL`")
    return 1 if any(report.error for report in reports) else 0


def cmd_watch(args: argparse.Namespace, settings: Settings) -> int:
    """Poll due feeds, sleep until the next is due (at most a minute, to see feeds added meanwhile)."""
    with _book(settings) as book, _poller(settings, book) as poller:
        print(f"watching {len(book.feeds())} feed(s); Ctrl-C stops", file=sys.stderr)
        stop = threading.Event()
        while not stop.is_set():
            reports, matched = poller.poll()
            for report in reports:
                print(f"{dt.datetime.now():%H:%M:%S} {report.feed}: {report.summary()}", flush=True)
            _say_matched(matched)
            stop.wait(book.seconds_to_next(WATCH_MAX_SLEEP_SECONDS))
    return 0


def _say_matched(matched: int) -> None:
    if matched:
        print(f"{matched} new article(s) match followed topics; the bot (`newsbot serve`) sends the alerts",
              flush=True)


class _Polling:
    """Polls feeds, then queues in the index database the alerts the new articles owe followers;
    the bot, in this process or another, sends them."""

    def __init__(self, poller, alerter) -> None:
        self.poller = poller
        self.alerter = alerter

    def poll(self, names: list[str] | None = None) -> tuple[list, int]:
        """The polls' reports, and how many (follow, article) matches they queued."""
        from newsbot.feeds.book import utc_now

        reports = self.poller.poll_due(names)
        return reports, self.alerter.match([a for r in reports for a in r.articles], utc_now())


@contextmanager
def _poller(settings: Settings, book):
    """Polling over the index opened as the bot serves it (a writer only while indexing)."""
    from newsbot.app import Newsbot
    from newsbot.feeds.poll import Poller
    from newsbot.follow.alerts import Alerter
    from newsbot.follow.book import FollowBook
    from newsbot.web.fetch import FetchPolicy

    with Newsbot.open(settings) as app, FollowBook(settings.index_dir) as follows:
        poller = Poller(app, book, FetchPolicy.from_settings(settings), settings.fetch_pace_ms / 1000)
        yield _Polling(poller, Alerter(app, follows))


FEED_COMMANDS = {
    ("feeds", "add"): cmd_feeds_add,
    ("feeds", "list"): cmd_feeds_list,
    ("feeds", "remove"): cmd_feeds_remove,
    ("feeds", "poll"): cmd_feeds_poll,
    ("watch", None): cmd_watch,
}
