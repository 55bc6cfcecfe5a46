"""Feeds and follow alerts in the bot, through the real Application over HTTP: an admin adds a feed,
the job polls it off the event loop, followers get alerts (a digest past the hourly limit), a
blocked chat loses its follows, the loop keeps answering meanwhile, and articles a `newsbot watch`
process polled beside the bot are alerted by the bot."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time

from botapi_stub import BotApiStub
from feedserver import FeedServer, Route, page, rss
from harness import ADMIN, USER, buttons, replies, run, running
from shared import takes_ctrl_c

from newsbot.feeds.book import utc_now
from newsbot.follow.alerts import PER_HOUR
from newsbot.telegram.state import BotState

HTML = {"Content-Type": "text/html"}
FOLLOWER = 3003
FERRIES = [
    ("Lindqvist orders electric ferries", ["The Lindqvist ferry company ordered two electric ferries from a Turku shipyard for 38 million euros.",
                                           "The battery-powered boats will replace diesel ferries on the sound in 2028."]),
    ("Electric ferry passes sea trials", ["Norway's newest battery-electric car ferry passed its sea trials in the fjord on Tuesday.",
                                          "The ferry charges at each quay in ten minutes while cars board."]),
]
OTHER = ("Fish market opens on Sundays", ["The covered fish market in Brennsund will stay open on Sundays from January.",
                                          "Stallholders had asked the town council for the change for years."])


def serve(web: FeedServer, path: str, stories: list[tuple[str, list[str]]]) -> None:
    items = []
    for n, (title, paragraphs) in enumerate(stories):
        slug = f"{path.strip('/').replace('.xml', '')}-{n}"
        web.routes[f"/{slug}"] = Route(page(title, paragraphs), headers=HTML)
        items.append({"title": title, "link": f"{web.url}/{slug}"})
    web.routes[path] = Route(rss(items))


def test_an_admin_adds_a_feed_and_a_follower_is_alerted_then_asks_about_it(stub: BotApiStub, make_newsbot) -> None:
    web = FeedServer()
    newsbot: BotState = make_newsbot(fetch_allow_networks=("127.0.0.1/32",), fetch_pace_ms=0)
    serve(web, "/feed.xml", [FERRIES[0], OTHER])

    async def scenario():
        async with running(newsbot, stub):
            stub.push_command("/follow electric ferries", user_id=FOLLOWER)
            await stub.wait_for_async(lambda m, p: m == "sendMessage" and p.get("chat_id") == FOLLOWER, ok=True)
            stub.push_command(f"/feed_add {web.url}/feed.xml", user_id=USER)
            stub.push_command(f"/feed_add {web.url}/feed.xml 10m", user_id=ADMIN)
            await stub.wait_for_async(lambda m, p: "New on" in p.get("text", ""), timeout=60, ok=True)
            stub.push_command("/feeds", user_id=ADMIN)
            stub.push_command("/following", user_id=FOLLOWER)
            await stub.wait_for_async(lambda m, p: "You follow" in p.get("text", ""), ok=True)
            [alert] = [m for m in replies(stub, chat_id=FOLLOWER) if "New on" in m["text"]]
            [shown] = [m for m in stub.bot_messages(FOLLOWER) if "New on" in m.get("text", "")]
            stub.push_callback_query(buttons(alert)["Ask about it"], shown, user_id=FOLLOWER)
            await stub.wait_for_async(lambda m, p: p.get("chat_id") == FOLLOWER and "38 million" in p.get("text", ""),
                                      timeout=30, ok=True)
    try:
        run(scenario())
    finally:
        web.close()
    follower = [m["text"] for m in replies(stub, chat_id=FOLLOWER)]
    assert follower[0].startswith("Following “electric ferries”")
    [alert] = [t for t in follower if "New on" in t]
    assert "Lindqvist orders electric ferries" in alert and "Turku shipyard" in alert, alert
    assert not any("Fish market" in t for t in follower), "an article off the topic is not sent"
    admin = [m["text"] for m in replies(stub, chat_id=ADMIN)]
    assert admin[0].startswith("Following 127.0.0.1, every 10m")
    assert "2 articles" in admin[1] and "2 new" in admin[1]
    assert replies(stub, chat_id=USER)[0]["text"] == "Only admins can manage feeds."
    assert newsbot.app.stats().articles == 7


def test_past_the_hourly_limit_alerts_come_as_one_digest_and_a_blocked_chat_loses_its_follows(stub: BotApiStub, make_newsbot) -> None:
    web = FeedServer()
    newsbot: BotState = make_newsbot(fetch_allow_networks=("127.0.0.1/32",), fetch_pace_ms=0)
    many = [(f"Electric ferry number {n} launched", [f"Shipyard {n} launched battery-electric ferry number {n} on the sound this week.",
                                                     f"The electric ferry carries {100 + n} cars and charges at the quay."])
            for n in range(PER_HOUR + 2)]
    serve(web, "/one.xml", FERRIES[:1])
    serve(web, "/many.xml", many)
    serve(web, "/late.xml", FERRIES[1:])
    alerts = lambda: [m["text"] for m in replies(stub, chat_id=FOLLOWER) if "🔔" in m["text"]]  # noqa: E731

    async def scenario():
        async with running(newsbot, stub):
            stub.push_command("/follow electric ferries", user_id=FOLLOWER)
            await stub.wait_for_async("sendMessage", ok=True)
            for path, count in (("/one.xml", 1), ("/many.xml", 2)):
                stub.push_command(f"/feed_add {web.url}{path}", user_id=ADMIN)
                await stub.wait_for_async(lambda m, p: len(alerts()) >= count, timeout=60)
            stub.inject_fault("sendMessage", "blocked", chat_id=FOLLOWER)
            stub.push_command(f"/feed_add {web.url}/late.xml", user_id=ADMIN)
            await stub.wait_for_async(lambda m, p: m == "sendMessage" and p.get("chat_id") == FOLLOWER and
                                      "🔔" in p.get("text", ""), timeout=60, ok=False)
    try:
        run(scenario())
    finally:
        web.close()
    single, digest = alerts()
    assert "Lindqvist" in single
    assert digest.startswith(f"🔔 {PER_HOUR + 2} new articles on “electric ferries”"), digest
    assert all(f"Electric ferry number {n} launched" in digest for n in range(PER_HOUR + 2))
    assert newsbot.follows.following(FOLLOWER) == [], "the blocked chat's follows ended"


def test_the_event_loop_keeps_answering_during_a_poll(stub: BotApiStub, make_newsbot) -> None:
    web = FeedServer()
    newsbot: BotState = make_newsbot(fetch_allow_networks=("127.0.0.1/32",), fetch_pace_ms=0)
    stories = [(f"Harbour story {n}", [f"Story {n}: the Valemont harbour {word} on {day}." for word, day in
                                       (("dredged its channel", "Monday"), ("hired pilots", "Tuesday"), ("added cranes", "Friday"))])
               for n in range(12)]
    serve(web, "/feed.xml", stories)
    lags: list[float] = []

    async def scenario():
        async with running(newsbot, stub):
            stop = asyncio.Event()

            async def tick():
                while not stop.is_set():
                    started = time.perf_counter()
                    await asyncio.sleep(0.01)
                    lags.append(time.perf_counter() - started - 0.01)
            ticking = asyncio.create_task(tick())
            stub.push_command(f"/feed_add {web.url}/feed.xml", user_id=ADMIN)
            stub.push_message("What destroyed the apricot blossom?", user_id=USER)
            await stub.wait_for_async(lambda m, p: "frost" in p.get("text", ""), timeout=30, ok=True)
            while newsbot.feeds.feeds()[0].last_poll is None:
                await asyncio.sleep(0.05)
            stop.set()
            await ticking
    try:
        run(scenario())
    finally:
        web.close()
    assert newsbot.feeds.feeds()[0].new_articles == 12
    assert max(lags) < 0.1, f"the event loop stalled for {max(lags) * 1000:.0f} ms"


def test_articles_a_watch_process_polled_are_alerted_by_the_bot_which_answers_from_them(stub: BotApiStub, make_newsbot) -> None:
    web = FeedServer()
    newsbot: BotState = make_newsbot()
    serve(web, "/feed.xml", [FERRIES[0], OTHER])
    newsbot.follows.follow(FOLLOWER, "electric ferries", utc_now())
    index = ["--index", str(newsbot.settings.index_dir)]
    env = {**os.environ, "NEWSBOT_FETCH_ALLOW_NETWORKS": "127.0.0.1/32", "NEWSBOT_FETCH_PACE_MS": "0"}
    cli = [sys.executable, "-m", "newsbot.cli.main"]
    added = subprocess.run([*cli, "feeds", "add", f"{web.url}/feed.xml", "--every", "10m", *index],
                           env=env, capture_output=True, text=True, timeout=120)
    assert added.returncode == 0, added.stderr
    watch = subprocess.Popen([*cli, "watch", *index], env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             preexec_fn=takes_ctrl_c)
    lines: list[str] = []
    reading = threading.Thread(target=lambda: lines.extend(iter(watch.stdout.readline, "")), daemon=True)
    reading.start()
    deadline = time.monotonic() + 120
    while not any("match followed topics" in line for line in lines) and time.monotonic() < deadline and watch.poll() is None:
        time.sleep(0.1)
    watch.send_signal(signal.SIGINT)
    watch.communicate(timeout=30)
    reading.join(timeout=5)
    assert "2 new" in lines[0] and lines[1].startswith("1 new article(s) match followed topics"), lines

    async def scenario():
        async with running(newsbot, stub):
            await stub.wait_for_async(lambda m, p: "New on" in p.get("text", ""), timeout=30, ok=True)
            stub.push_message("Who ordered electric ferries from Turku?", user_id=USER)
            await stub.wait_for_async(lambda m, p: p.get("chat_id") == USER, timeout=30, ok=True)
    try:
        run(scenario())
    finally:
        web.close()
    [alert] = [m["text"] for m in replies(stub, chat_id=FOLLOWER)]
    assert "Lindqvist orders electric ferries" in alert and "Turku shipyard" in alert, alert
    assert "Lindqvist" in replies(stub, chat_id=USER)[0]["text"], "the serving index saw the watcher's articles"
    assert len(web.asked("/feed.xml")) == 1, "the feed the watcher polled is not polled again by the bot"
