"""`newsbot feeds …` and `newsbot watch` as a user runs them: a real index, a feed on 127.0.0.1
allowed through NEWSBOT_FETCH_ALLOW_NETWORKS, the watcher and a killed poll as real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from feedserver import Route, page, rss
from shared import takes_ctrl_c
from test_poll import BRIDGE, FERRY, MARKET

from newsbot.app import Newsbot
from newsbot.cli.main import EXIT_ERROR, EXIT_OK, main
from newsbot.settings import Settings

HTML = {"Content-Type": "text/html"}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def allow_loopback(monkeypatch) -> dict[str, str]:
    monkeypatch.setenv("NEWSBOT_FETCH_ALLOW_NETWORKS", "127.0.0.1/32")
    monkeypatch.setenv("NEWSBOT_FETCH_PACE_MS", "0")
    return {**os.environ}


def test_feeds_add_list_poll_remove(capsys, tmp_path: Path, server, embedder, monkeypatch) -> None:
    index = str(tmp_path / "fresh-index")
    server.routes["/feed.xml"] = Route(rss([{"title": "Ferry firm goes electric", "link": f"{server.url}/ferry"}]))
    server.routes["/ferry"] = Route(page("Ferry firm goes electric", FERRY), headers=HTML)

    code, out, err = run(capsys, "feeds", "add", f"{server.url}/feed.xml", "--every", "45m", "--name", "gazette", "--index", index)
    assert code == EXIT_OK, err
    assert out.startswith(f"following gazette: {server.url}/feed.xml, every 45m")
    code, out, _ = run(capsys, "feeds", "list", "--index", index)
    assert "gazette" in out and "never polled" in out and "articles from it: 0" in out

    code, out, _ = run(capsys, "feeds", "poll", "--index", index)
    assert code == 1 and "refusing 127.0.0.1: it points to a non-public address" in out, "loopback needs the operator's say-so"
    monkeypatch.setenv("NEWSBOT_FETCH_ALLOW_NETWORKS", "127.0.0.1/32")
    code, out, _ = run(capsys, "feeds", "poll", "gazette", "--index", index)
    assert code == EXIT_OK and out.strip() == "gazette: 1 new, 0 already indexed, 0 skipped"
    code, out, _ = run(capsys, "feeds", "list", "--index", index)
    assert "(1 new, 0 already indexed, 0 skipped)" in out and "articles from it: 1" in out and "last error" not in out
    code, out, _ = run(capsys, "ask", "Who ordered electric boats from Turku?", "--index", index)
    assert "Lindqvist" in out and f"{server.url}/ferry" in out

    code, out, _ = run(capsys, "feeds", "remove", "gazette", "--index", index)
    assert code == EXIT_OK and "its articles stay" in out
    code, out, _ = run(capsys, "feeds", "list", "--index", index)
    assert "no feeds" in out


@pytest.mark.parametrize("argv, message", [
    (["feeds", "add", "ftp://example.com/feed"], "only http and https"),
    (["feeds", "add", "https://example.com/feed", "--every", "5x"], "not an interval"),
    (["feeds", "remove", "nosuch"], "no feed named 'nosuch'"),
    (["feeds", "poll", "nosuch"], "no feed named 'nosuch'"),
])
def test_bad_feed_commands_get_one_clear_line(capsys, built_index: Path, argv, message) -> None:
    code, out, err = run(capsys, *argv, "--index", str(built_index))
    assert code == EXIT_ERROR and message in err and "Traceback" not in err


def test_the_same_feed_twice_and_a_bad_network_setting_are_refused(capsys, built_index: Path, monkeypatch) -> None:
    assert run(capsys, "feeds", "add", "https://example.com/feed", "--index", str(built_index))[0] == EXIT_OK
    code, _, err = run(capsys, "feeds", "add", "https://example.com/feed", "--index", str(built_index))
    assert code == EXIT_ERROR and "already followed" in err
    monkeypatch.setenv("NEWSBOT_FETCH_ALLOW_NETWORKS", "10.0.0.0/33")
    code, _, err = run(capsys, "feeds", "list", "--index", str(built_index))
    assert code == EXIT_ERROR and "NEWSBOT_FETCH_ALLOW_NETWORKS" in err and "CIDR" in err


def newsbot(*argv: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "newsbot.cli.main", *argv], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=takes_ctrl_c)


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_watch_picks_up_a_new_entry_within_one_interval(capsys, built_index: Path, server, allow_loopback) -> None:
    items = [{"title": "Ferry firm goes electric", "link": f"{server.url}/ferry"}]
    server.routes["/feed.xml"] = Route(rss(items))
    server.routes["/ferry"] = Route(page("Ferry firm goes electric", FERRY), headers=HTML)
    server.routes["/market"] = Route(page("Fish market opens on Sundays", MARKET), headers=HTML)
    assert run(capsys, "feeds", "add", f"{server.url}/feed.xml", "--every", "2s", "--index", str(built_index))[0] == EXIT_OK

    watch = newsbot("watch", "--index", str(built_index), env=allow_loopback)
    try:
        first = watch.stdout.readline()
        assert "1 new" in first, first + watch.stderr.read()
        server.routes["/feed.xml"] = Route(rss([*items, {"title": "Fish market opens on Sundays", "link": f"{server.url}/market"}]))
        changed = time.monotonic()
        while "1 new" not in (line := watch.stdout.readline()):
            assert line, watch.stderr.read()
        assert time.monotonic() - changed < 2 + 1.5, "within one interval (and the poll's own time)"
    finally:
        watch.send_signal(signal.SIGINT)
        _, err = watch.communicate(timeout=30)
    assert watch.returncode == 130 and "everything committed before is kept" in err and "Traceback" not in err
    code, out, _ = run(capsys, "ask", "When will the Brennsund fish market open on Sundays?", "--index", str(built_index))
    assert "January" in out and f"{server.url}/market" in out


def test_a_poll_killed_midway_leaves_the_index_whole_and_the_next_poll_takes_up_the_rest(
        capsys, built_index: Path, server, allow_loopback) -> None:
    server.routes["/feed.xml"] = Route(rss([
        {"title": "Footbridge reopens", "link": f"{server.url}/bridge", "content": f"<p>{BRIDGE}</p>"},
        {"title": "Ferry firm goes electric", "link": f"{server.url}/ferry"},
    ]))
    server.routes["/ferry"] = Route(page("Ferry firm goes electric", FERRY), headers=HTML, delay=60)
    assert run(capsys, "feeds", "add", f"{server.url}/feed.xml", "--index", str(built_index))[0] == EXIT_OK
    settings = Settings(index_dir=built_index)
    with Newsbot.open(settings) as app:
        before = app.stats().articles

    poll = newsbot("feeds", "poll", "--index", str(built_index), env=allow_loopback)
    wait_for(lambda: server.asked("/ferry") or poll.poll() is not None)
    poll.kill()
    poll.wait(timeout=30)
    with Newsbot.open(settings) as app:
        assert app.stats().articles == before

    server.routes["/ferry"] = Route(page("Ferry firm goes electric", FERRY), headers=HTML)
    code, out, _ = run(capsys, "feeds", "poll", "--index", str(built_index))
    assert code == EXIT_OK and "2 new" in out, out
