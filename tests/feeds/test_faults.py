"""Bad feeds and bad pages, each over real HTTP on 127.0.0.1: skipped with the reason shown in the
feed's record and the log, nothing indexed before is lost, good entries beside bad ones are kept."""

from __future__ import annotations

import datetime as dt
import logging
import socket

import pytest
from feedserver import Route, page, rss
from test_poll import BRIDGE, FERRY, MARKET

from newsbot.feeds.poll import FEED_MAX_BYTES

BOMB = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(b'<!ENTITY a%d "%s">' % (i, b"&a%d;" % (i - 1) * 10 if i > 1 else b"&a;" * 10) for i in range(1, 12))
        + b']><rss version="2.0"><channel><title>t</title><item><title>&a11;</title><link>http://x/</link></item></channel></rss>')
EXTERNAL = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
            b'<rss version="2.0"><channel><title>t</title><item><title>&secret;</title><link>http://x/</link></item></channel></rss>')


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def hundred_megabytes():
    yield b'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>'
    for _ in range(100):
        yield b"<item><title>x</title></item>" * 36_000


FEED_FAULTS = {
    "down": (None, "fetching failed: ConnectError"),
    "slow": (Route(rss([]), delay=3), "fetching failed: ReadTimeout"),
    "missing": (Route(b"no", 404, {"Content-Type": "text/plain"}), "the server answered 404"),
    "broken": (Route(b"oops", 500, {"Content-Type": "text/plain"}), "the server answered 500"),
    "inside": (Route(b"", 302, {"Location": "http://10.1.2.3/feed.xml"}), "non-public address (10.1.2.3)"),
    "html": (Route(b"<html><body><p>Just a page.</p></body></html>", headers={"Content-Type": "text/html"}),
             "not an RSS or Atom feed"),
    "bomb": (Route(BOMB), "declares XML entities"),
    "external": (Route(EXTERNAL), "declares XML entities"),
    "huge": (Route(hundred_megabytes), f"larger than {FEED_MAX_BYTES // 1024} KB"),
}


@pytest.mark.parametrize("fault", FEED_FAULTS)
def test_a_bad_feed_is_recorded_with_its_reason_and_loses_nothing(fault, server, polling, caplog) -> None:
    app, book, poller = polling
    route, reason = FEED_FAULTS[fault]
    url = f"http://127.0.0.1:{unused_port()}/feed.xml" if route is None else f"{server.url}/{fault}.xml"
    if route is not None:
        server.routes[f"/{fault}.xml"] = route
    before = app.stats()
    feed = book.add(url, every_seconds=600, name=fault)

    with caplog.at_level(logging.WARNING, logger="newsbot.feeds"):
        [report] = poller.poll_due([feed.name])
    assert report.error and reason in report.error
    polled = book.get(feed.name)
    assert reason in polled.last_error and polled.last_result.startswith("failed:") and polled.failures == 1
    assert any(reason in record.getMessage() for record in caplog.records)
    assert app.stats().articles == before.articles
    assert "frost" in app.ask("What destroyed the apricot blossom?").text


def test_bad_entries_and_pages_are_skipped_beside_good_ones(server, polling) -> None:
    app, book, poller = polling
    server.routes["/feed.xml"] = Route(rss([
        {"title": "No link, whole text", "content": f"<p>{BRIDGE}</p>"},
        {"title": "Nothing at all"},
        {"title": "Ferry order", "link": f"{server.url}/ferry", "date": "Sat, 01 Jan 2033 00:00:00 GMT"},
        {"title": "Market hours", "link": f"{server.url}/market"},
        {"title": "Empty page", "link": f"{server.url}/empty"},
        {"title": "Giant page", "link": f"{server.url}/giant"},
        {"title": "Flaky page", "link": f"{server.url}/flaky"},
    ]))
    html = {"Content-Type": "text/html"}
    server.routes["/ferry"] = Route(page("Ferry order", FERRY, date="2026-11-28"), headers=html)
    server.routes["/market"] = Route(page("Market hours", MARKET, date="2026-11-29"), headers=html)
    server.routes["/empty"] = Route(b"<html><body></body></html>", headers=html)
    server.routes["/giant"] = Route(b"<html><body>" + b"<p>word </p>" * 300_000 + b"</body></html>", headers=html)
    server.routes["/flaky"] = Route(b"try later", 502, {"Content-Type": "text/plain"})
    feed = book.add(f"{server.url}/feed.xml", every_seconds=600)
    before = app.stats().articles

    [report] = poller.poll_due()
    by_title = {a.title: a for a in report.articles}
    assert set(by_title) == {"No link, whole text", "Ferry order", "Market hours"}
    assert by_title["No link, whole text"].url is None and by_title["No link, whole text"].date == dt.date.today()
    assert by_title["Ferry order"].date == dt.date(2026, 11, 28), "a date years ahead is not believed; the page's is used"
    reasons = dict(report.skipped)
    assert reasons["Nothing at all"] == "the entry has neither a link nor text"
    assert "no article text" in reasons["Empty page"]
    assert "larger than" in reasons["Giant page"]
    assert "502" in reasons["Flaky page"]
    assert app.stats().articles == before + 3
    assert "3 new" in book.get(feed.name).last_result and "skipped" in book.get(feed.name).last_result

    server.routes["/flaky"] = Route(page("Flaky page", ["The Brennsund lighthouse got a new lamp on Friday.",
                                                        "It can be seen 40 kilometres out to sea."]), headers=html)
    [again] = poller.poll_due([feed.name])
    assert [a.title for a in again.articles] == ["Flaky page"], "a transient failure is tried again, final ones are not"
    assert not again.skipped
