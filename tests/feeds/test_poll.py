"""Polling feeds into a real index over real HTTP: new entries become cited answers, seen ones are
skipped cheaply, requests are conditional and paced, robots.txt is obeyed."""

from __future__ import annotations

import datetime as dt
import sqlite3

from feedserver import Route, page, rss

from newsbot.feeds.book import utc_now
from newsbot.feeds.poll import FULL_TEXT_WORDS

BRIDGE = ("The Korsholm footbridge reopened on Thursday after engineers replaced all 412 of its oak planks, "
          "the city's transport office said. ") * 12
FERRY = ["The Lindqvist ferry company ordered two electric boats from a shipyard in Turku for 38 million euros.",
         "The first boat is due to carry passengers across the sound in the spring of 2028, the company said."]
MARKET = ["The covered fish market in Brennsund will stay open on Sundays from January, the town council decided.",
          "Stallholders had asked for the change for years, saying weekend visitors found the doors shut."]


def test_new_entries_are_indexed_with_their_title_date_and_link_then_answered(server, polling) -> None:
    app, book, poller = polling
    assert len(BRIDGE.split()) >= FULL_TEXT_WORDS
    server.routes["/feed.xml"] = Route(rss([
        {"title": "Footbridge reopens", "link": f"{server.url}/bridge", "guid": "bridge-1",
         "date": "Thu, 26 Nov 2026 09:00:00 GMT", "content": f"<p>{BRIDGE}</p>"},
        {"title": "Ferry firm goes electric", "link": f"{server.url}/ferry", "date": "Fri, 27 Nov 2026 10:00:00 GMT",
         "description": "Two boats ordered."},
    ]), headers={"Content-Type": "application/rss+xml", "ETag": '"v1"'})
    server.routes["/ferry"] = Route(page("Ferry firm goes electric", FERRY), headers={"Content-Type": "text/html"})
    before = app.stats().articles
    feed = book.add(f"{server.url}/feed.xml", every_seconds=1800)

    [report] = poller.poll_due()
    assert [a.title for a in report.articles] == ["Footbridge reopens", "Ferry firm goes electric"]
    assert not server.asked("/bridge"), "an entry carrying its whole text is not fetched again"
    assert app.stats().articles == before + 2
    answer = app.ask("How much did the Lindqvist electric boats cost?")
    [cited] = [c for c in answer.citations if c.title == "Ferry firm goes electric"]
    assert cited.date == dt.date(2026, 11, 27) and cited.url == f"{server.url}/ferry"
    assert "38 million euros" in answer.text

    polled = book.get(feed.name)
    assert polled.new_articles == 2 and polled.etag == '"v1"' and polled.failures == 0
    assert polled.next_poll - polled.last_poll == dt.timedelta(seconds=1800)

    server.routes["/feed.xml"] = Route(b"", 304, {"ETag": '"v1"'})
    [again] = poller.poll_due([feed.name])
    assert again.not_modified and server.asked("/feed.xml")[-1].headers["if-none-match"] == '"v1"'


def test_seen_entries_and_the_same_story_in_a_second_feed_are_not_indexed_twice(server, polling) -> None:
    app, book, poller = polling
    story = {"title": "Fish market opens on Sundays", "link": f"{server.url}/market", "date": "Mon, 30 Nov 2026 08:00:00 GMT"}
    server.routes["/a.xml"] = Route(rss([story]))
    server.routes["/b.xml"] = Route(rss([{**story, "link": f"{server.url}/market?from=b"}]))
    server.routes["/c.xml"] = Route(rss([story], title="Wire copy"))
    server.routes["/market"] = Route(page("Fish market opens on Sundays", MARKET), headers={"Content-Type": "text/html"})
    server.routes["/market?from=b"] = server.routes["/market"]
    for name in ("a", "b", "c"):
        book.add(f"{server.url}/{name}.xml", every_seconds=600, name=name)
    before = app.stats().articles

    reports = {r.feed: r for r in poller.poll_due()}
    assert len(reports["a"].articles) == 1
    assert reports["b"].duplicates == 1 and not reports["b"].articles, "the same text under another link is one article"
    assert reports["c"].duplicates == 1 and len(server.asked("/market")) == 1, "a known link is not fetched again"
    assert app.stats().articles == before + 1

    fetched = len(server.requests)
    assert all(not r.articles and not r.duplicates for r in poller.poll_due(["a", "b", "c"]))
    assert len(server.requests) == fetched + 3, "a second poll asks for the feeds only"


def test_robots_txt_is_obeyed_and_pages_on_one_host_are_paced(server, polling) -> None:
    app, book, poller = polling
    server.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"})
    items = [{"title": f"Story {n}", "link": f"{server.url}/story{n}"} for n in range(3)]
    items.append({"title": "Members only", "link": f"{server.url}/private/story"})
    server.routes["/feed.xml"] = Route(rss(items))
    for n in range(3):
        server.routes[f"/story{n}"] = Route(page(f"Story {n}", [MARKET[0].replace("Sundays", f"day {n}"), FERRY[n % 2]]),
                                            headers={"Content-Type": "text/html"})
    book.add(f"{server.url}/feed.xml", every_seconds=600)
    poller.pace_seconds = 0.2

    [report] = poller.poll_due()
    assert len(report.articles) == 3
    assert report.skipped == (("Members only", "robots.txt does not allow fetching it"),)
    assert not server.asked("/private/story") and len(server.asked("/robots.txt")) == 1
    times = [r.at for r in server.requests if r.path.startswith("/story")]
    assert all(later - earlier >= 0.19 for earlier, later in zip(times, times[1:])), times
    assert server.requests[0].headers["user-agent"].startswith("newsbot/")


def test_failures_back_off_and_a_success_resets_the_schedule(server, polling) -> None:
    app, book, poller = polling
    server.routes["/feed.xml"] = Route(b"down for maintenance", 503, {"Content-Type": "text/plain"})
    feed = book.add(f"{server.url}/feed.xml", every_seconds=600)
    gaps = []
    for _ in range(3):
        [report] = poller.poll_due([feed.name])
        polled = book.get(feed.name)
        gaps.append((polled.next_poll - polled.last_poll).total_seconds())
    assert report.error == "the server answered 503" and polled.failures == 3
    assert gaps == [1200, 2400, 4800]
    assert book.due(utc_now()) == [], "a failing feed waits out its backoff"

    server.routes["/feed.xml"] = Route(rss([], ttl=120))
    [report] = poller.poll_due([feed.name])
    polled = book.get(feed.name)
    assert report.error is None and polled.failures == 0 and polled.last_error is None
    assert (polled.next_poll - polled.last_poll).total_seconds() == 7200, "the feed's TTL (2 hours) is longer than 10m"

    server.routes["/feed.xml"] = Route(b"", 304, {"Cache-Control": "public, max-age=10800"})
    [report] = poller.poll_due([feed.name])
    polled = book.get(feed.name)
    assert report.not_modified and (polled.next_poll - polled.last_poll).total_seconds() == 10800, \
        "the response's max-age (3 hours) is longer than the TTL"


def test_the_hours_and_days_a_feed_asks_to_skip_are_not_polled(server, polling) -> None:
    app, book, poller = polling
    open_hour = (utc_now() + dt.timedelta(hours=3)).hour
    skipped = tuple(h for h in range(24) if h != open_hour)
    server.routes["/feed.xml"] = Route(rss([], skip_hours=skipped, skip_days=("Saturday", "sunday", "Someday")))
    feed = book.add(f"{server.url}/feed.xml", every_seconds=600)
    [report] = poller.poll_due([feed.name])
    polled = book.get(feed.name)
    assert report.error is None
    assert polled.skip_hours == skipped and polled.skip_days == (5, 6)
    assert polled.next_poll.hour == open_hour and polled.next_poll.minute == 0
    assert polled.next_poll.weekday() not in (5, 6)
    assert polled.next_poll - polled.last_poll >= dt.timedelta(hours=2)


def test_a_long_poll_commits_as_it_goes_and_a_stop_keeps_what_was_committed(server, polling, monkeypatch) -> None:
    app, book, poller = polling
    monkeypatch.setattr("newsbot.feeds.poll.COMMIT_EVERY", 2)
    items = [{"title": f"Story {n}", "link": f"{server.url}/story{n}"} for n in range(4)]
    server.routes["/feed.xml"] = Route(rss(items))
    for n in range(4):
        server.routes[f"/story{n}"] = Route(page(f"Story {n}", [MARKET[0].replace("Sundays", f"day {n}"), FERRY[n % 2]]),
                                            headers={"Content-Type": "text/html"})
    indexed_when_asked: list[int] = []

    def third_page(handler):
        # What another process would see in the index while the poll fetches its third page.
        with sqlite3.connect(app.settings.index_dir / "newsbot.db") as db:
            indexed_when_asked.append(db.execute("SELECT count(*) FROM articles WHERE path LIKE ?", (f"{server.url}/story%",)).fetchone()[0])
        poller.stopping.set()
        return Route(b"busy", 503, {"Content-Type": "text/plain"})

    server.routes["/story2"] = third_page
    feed = book.add(f"{server.url}/feed.xml", every_seconds=600)
    [report] = poller.poll_due()
    assert indexed_when_asked == [2], "the first two entries were committed before the third was fetched"
    assert [a.title for a in report.articles] == ["Story 0", "Story 1"] and not server.asked("/story3")

    poller.stopping.clear()
    server.routes["/story2"] = Route(page("Story 2", [MARKET[0].replace("Sundays", "day 2"), FERRY[0]]),
                                     headers={"Content-Type": "text/html"})
    [again] = poller.poll_due([feed.name])
    assert [a.title for a in again.articles] == ["Story 2", "Story 3"]
