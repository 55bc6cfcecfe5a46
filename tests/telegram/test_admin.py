"""What only admins may do — /stats, uploads and /add URL — through the real Application over HTTP."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botapi_stub import BotApiStub
from harness import ADMIN, USER, replies, run, running

from newsbot.telegram.state import BotState
from newsbot.web.fetch import FetchPolicy

PAGE = (b"<html><head><title>Oskerby ferry resumes</title></head><body><article>"
        b"<p>The Oskerby ferry resumed service on Sunday after a two-year repair, its operator said.</p>"
        b"<p>Passengers cheered as the boat left the harbour at nine in the morning.</p></article></body></html>")


def test_stats_shows_admins_the_counts_and_refuses_others(stub: BotApiStub, newsbot: BotState) -> None:
    async def scenario():
        async with running(newsbot, stub):
            stub.push_message("What did the library add?", user_id=USER)
            await stub.wait_for_async("sendMessage", ok=True)
            stub.push_command("/stats", user_id=USER)
            stub.push_command("/stats", user_id=ADMIN)
    run(scenario())
    [_, refused] = [m["text"] for m in replies(stub, chat_id=USER)]
    [stats] = [m["text"] for m in replies(stub, chat_id=ADMIN)]
    assert refused == "Only admins can see /stats."
    figures = dict(line.split(": ", 1) for line in stats.splitlines())
    assert figures["articles"] == "5" and figures["passages"] == str(newsbot.app.stats().passages)
    assert figures["questions answered"] == "1" and figures["mean latency"].endswith(" ms")


def test_uploads_admin_only_and_a_bad_file_loses_nothing(stub: BotApiStub, newsbot: BotState) -> None:
    article = b" date 2024-05-05 The Oskerby ferry resumed service on Sunday after a two-year repair.\n"

    async def scenario():
        async with running(newsbot, stub):
            for count, (name, data, user) in enumerate([
                    ("ferry.txt", article, USER), ("ferry.txt", article, ADMIN),
                    ("broken.jsonl", b'{"text": "ok line"}\n{broken\n', ADMIN),
                    ("huge.txt", b"x " * 20_000, ADMIN), ("image.png", b"\x89PNG", ADMIN)], start=1):
                stub.push_document(name, data, user_id=user)
                await stub.wait_for_async("sendMessage", count=count, ok=True)
            stub.push_message("When did the Oskerby ferry resume service?", user_id=USER)
    run(scenario())
    refused, added, partial, huge, image, answer = [m["text"] for m in replies(stub)]
    assert "Only admins" in refused
    assert "Added 1 article" in added
    assert "Added 1 article" in partial and "1 error" in partial and "line 2" in partial
    assert "too large" in huge and ".png" in image
    assert "two-year repair" in answer
    assert newsbot.app.stats().articles == 7


class Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args) -> None:
        pass


def test_add_url_is_for_admins_and_refuses_inside_addresses(stub: BotApiStub, make_newsbot) -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_port}/story"
    newsbot = make_newsbot()
    trusting = make_newsbot(FetchPolicy(timeout=5, allow=lambda address: str(address) == "127.0.0.1"))

    async def scenario():
        async with running(newsbot, stub):
            for count, (command, user) in enumerate([(f"/add {url}", USER), (f"/add {url}", ADMIN),
                                                     ("/add file:///etc/passwd", ADMIN), ("/add", ADMIN)], start=1):
                stub.push_command(command, user_id=user)
                await stub.wait_for_async("sendMessage", count=count, ok=True)
        async with running(trusting, stub):
            stub.push_command(f"/add {url}", user_id=ADMIN)
    try:
        run(scenario())
    finally:
        httpd.shutdown()
        httpd.server_close()
    refused, inside, scheme, usage, added = [m["text"] for m in replies(stub)]
    assert refused == "Only admins can add articles."
    assert "non-public address (127.0.0.1)" in inside and "only http and https" in scheme
    assert usage.startswith("Send /add followed by one link")
    assert "Oskerby ferry resumes" in added and "Added 1 article" in added
    assert newsbot.app.stats().articles == 6
