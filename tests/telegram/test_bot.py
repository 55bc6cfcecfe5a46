"""The real PTB Application against the Bot API stand-in on 127.0.0.1, over real HTTP."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from harness import ADMIN, TOKEN, USER, assert_valid_html, replies, run, running
from botapi_stub import BotApiStub, parse_telegram_html

from newsbot.telegram import render
from newsbot.telegram.bot import NON_TEXT_REPLY, RATE_LIMIT_REPLY, NewsBot, protect_logs
from newsbot.web.fetch import FetchPolicy


def test_start_help_commands_and_a_cited_answer_with_buttons(stub: BotApiStub, newsbot: NewsBot) -> None:
    stub.inject_fault("setMyCommands", "500")

    async def scenario():
        async with running(newsbot):
            stub.push_command("/start")
            await stub.wait_for_async("sendMessage", ok=True)
            stub.push_message("What rare plant did botanists find beside a lake?")
            await stub.wait_for_async("sendMessage", count=2, ok=True)
            stub.push_sticker()
            await stub.wait_for_async("sendMessage", count=3, ok=True)
    run(scenario())
    start, answer, sticker = replies(stub)
    assert "5 news articles" in start["text"] and "2023-03-14" in start["text"]
    assert ("setMyCommands", "500") in stub.faults_served, "a failed command menu does not stop the bot"
    assert stub.sent("sendChatAction") and stub.sent("sendChatAction")[0]["action"] == "typing"
    assert_valid_html(answer)
    assert "quillwort" in answer["text"] and "[1]" in answer["text"] and "<b>Sources</b>" in answer["text"]
    buttons = [b["callback_data"] for row in answer["reply_markup"]["inline_keyboard"] for b in row]
    assert any(b.startswith("s:") for b in buttons) and sum(b.startswith("v:") for b in buttons) == 2
    assert sticker["text"] == NON_TEXT_REPLY


def test_source_button_expands_the_passage_and_votes_are_stored(stub: BotApiStub, newsbot: NewsBot) -> None:
    async def scenario():
        async with running(newsbot):
            stub.push_message("How much did the Valemont container terminal cost?")
            [answer] = await stub.wait_for_async("sendMessage", ok=True)
            buttons = [b["callback_data"] for row in answer["reply_markup"]["inline_keyboard"] for b in row]
            message = stub.bot_messages()[-1]
            stub.push_callback_query(buttons[0], message["message_id"])
            await stub.wait_for_async("sendMessage", count=2, ok=True)
            stub.push_callback_query(next(b for b in buttons if b.endswith(":-1")), message["message_id"])
            await stub.wait_for_async("answerCallbackQuery", count=2, ok=True)
    run(scenario())
    answer, passage = replies(stub)[:2]
    assert_valid_html(passage)
    first_sentence = answer["text"].split(" [1]")[0]
    assert passage["text"].startswith("<b>[1] ")
    assert f"<b>{first_sentence}</b>" in passage["text"]
    [vote] = newsbot.log.votes()
    assert vote.vote == -1 and vote.user_id == USER and "Valemont" in vote.question
    assert vote.answer.startswith(first_sentence) and vote.sources[0]["sentence"] == first_sentence


def test_groups_answer_mentions_replies_and_ask_only(stub: BotApiStub, newsbot: NewsBot) -> None:
    async def scenario():
        async with running(newsbot):
            stub.push_message("lunch anyone? the harbour place?", chat_type="group", user_id=7)
            stub.push_message("@newsbot_test_bot what did the library add?", chat_type="group", user_id=7)
            await stub.wait_for_async("sendMessage", ok=True)
            stub.push_command("/ask what did the train drivers accept?", chat_type="group", user_id=8)
            await stub.wait_for_async("sendMessage", count=2, ok=True)
            await asyncio.sleep(0.5)
    run(scenario())
    texts = [m["text"] for m in replies(stub)]
    assert [c["command"] for c in stub.set_commands[-1]["commands"]][:2] == ["start", "help"]
    assert len(texts) == 2
    assert "rooftop" in texts[0] or "makerspace" in texts[0]
    assert "6.5 percent" in texts[1]


def test_follow_up_and_inline_mode(stub: BotApiStub, newsbot: NewsBot) -> None:
    async def scenario():
        async with running(newsbot):
            stub.push_message("What did the growers' cooperative ask the regional government for?")
            await stub.wait_for_async("sendMessage", ok=True)
            stub.push_message("and how cold did it get?")
            await stub.wait_for_async("sendMessage", count=2, ok=True)
            stub.push_inline_query("quillwort fern")
            await stub.wait_for_async("answerInlineQuery", ok=True)
    run(scenario())
    first, follow_up = replies(stub)
    assert "emergency aid" in first["text"]
    assert "frost destroyed most of the apricot blossom" in follow_up["text"].split("<b>Sources</b>")[1]
    [inline] = stub.sent("answerInlineQuery")
    results = inline["results"] if isinstance(inline["results"], list) else json.loads(inline["results"])
    assert "quillwort" in results[0]["input_message_content"]["message_text"]


@pytest.mark.parametrize("hostile", [
    "<b>unclosed & <i>tags</b> &amp; &#0; what about the harbour?",
    "\u202eharbour terminal\u202c \u0301\u0301 🚢🚢 capacity?",
    "null\x00byte harbour" + " terminal" * 600,
])
def test_hostile_text_is_answered_in_valid_html(stub: BotApiStub, newsbot: NewsBot, hostile: str,
                                                reliability) -> None:
    async def scenario():
        async with running(newsbot):
            stub.push_message(hostile)
            await stub.wait_for_async("sendMessage", ok=True)
    run(scenario())
    [reply] = replies(stub)
    assert_valid_html(reply)
    reliability.count("Hostile inputs", input="messages with markup, bidi controls, NUL, 5 KB of text",
                      outcome="answered in valid Telegram HTML")


def test_long_answers_split_cleanly() -> None:
    blocks = [(f"<b>{i}</b> " + render.escape("word & <tag> " * 100), "plain") for i in range(30)]
    blocks.append(("<i>" + render.escape("x " * 5000) + "</i>", "y " * 5000))
    messages = render.pack_messages(blocks)
    assert len(messages) > 3
    for message in messages:
        plain, _ = parse_telegram_html(message)
        assert render.telegram_length(message) <= 4096 and plain


def test_uploads_admin_only_and_a_bad_file_loses_nothing(stub: BotApiStub, newsbot: NewsBot) -> None:
    article = b" date 2024-05-05 The Oskerby ferry resumed service on Sunday after a two-year repair.\n"

    async def scenario():
        async with running(newsbot):
            stub.push_document("ferry.txt", article, "text/plain", user_id=USER)
            await stub.wait_for_async("sendMessage", ok=True)
            stub.push_document("ferry.txt", article, "text/plain", user_id=ADMIN)
            await stub.wait_for_async("sendMessage", count=2, ok=True)
            stub.push_document("broken.jsonl", b'{"text": "ok line"}\n{broken\n', "application/json", user_id=ADMIN)
            await stub.wait_for_async("sendMessage", count=3, ok=True)
            stub.push_document("huge.txt", b"x " * 20_000, "text/plain", user_id=ADMIN)
            stub.push_document("image.png", b"\x89PNG", "image/png", user_id=ADMIN)
            await stub.wait_for_async("sendMessage", count=5, ok=True)
            stub.push_message("When did the Oskerby ferry resume service?", user_id=USER)
            await stub.wait_for_async("sendMessage", count=6, ok=True)
    run(scenario())
    refused, added, partial, huge, image, answer = [m["text"] for m in replies(stub)]
    assert "Only admins" in refused
    assert "Added 1 article" in added
    assert "Added 1 article" in partial and "1 error" in partial and "line 2" in partial
    assert "too large" in huge and ".png" in image
    assert "two-year repair" in answer
    assert newsbot.app.stats().articles == 7


def test_a_flood_gets_one_polite_reply_and_others_are_still_answered(stub: BotApiStub, newsbot: NewsBot,
                                                                     reliability) -> None:
    flood = 30
    limit = newsbot.settings.questions_per_minute

    async def scenario():
        async with running(newsbot):
            for n in range(flood):
                stub.push_message("harbour capacity?", user_id=55)
                if n == flood // 2:
                    stub.push_message("harbour capacity?", user_id=56)
            await stub.wait_for_async("sendMessage", count=limit + 2, ok=True)
            await asyncio.to_thread(stub.wait_delivered)
            await asyncio.sleep(1.5)
    run(scenario())
    flooder = [m["text"] for m in replies(stub, chat_id=55)]
    assert len(flooder) == limit + 1, "answers up to the limit, one polite reply, then silence"
    assert flooder.count(RATE_LIMIT_REPLY) == 1 and sum("1.2 million" in t for t in flooder) == limit
    assert ["1.2 million" in t for t in (m["text"] for m in replies(stub, chat_id=56))] == [True]
    reliability.count("Hostile inputs", flood, input="a flood of questions from one user",
                      outcome=f"{limit} answered, 1 polite reply, the rest ignored; another user answered")


def test_the_allow_list(stub: BotApiStub, newsbot: NewsBot) -> None:
    private = NewsBot(newsbot.settings.with_(allowed_ids=(USER,)), newsbot.app)

    async def allow_list():
        async with running(private):
            stub.push_message("harbour capacity?", user_id=66)
            stub.push_message("harbour capacity?", user_id=USER)
            await stub.wait_for_async("sendMessage", count=2, ok=True)
    run(allow_list())
    by_chat = {m["chat_id"]: m["text"] for m in replies(stub)}
    assert "private" in by_chat[66] and "1.2 million" in by_chat[USER]


@pytest.mark.parametrize("fault", ["bad_html", "500", "502", "429", "reset", "timeout"])
def test_faults_are_survived_with_exactly_one_answer(stub: BotApiStub, newsbot: NewsBot, fault: str,
                                                     reliability) -> None:
    async def scenario():
        async with running(newsbot):
            stub.inject_fault("sendChatAction", "500")
            stub.inject_fault("sendMessage", fault, retry_after=1, seconds=6)
            stub.push_message("How many containers a year can the Valemont harbour handle?")
            await stub.wait_for_async("sendMessage", ok=None if fault == "timeout" else True, timeout=30)
            await asyncio.sleep(7 if fault == "timeout" else 1.5)
            stub.push_message("What did the library add?")
            await stub.wait_for_async(lambda method, params: method == "sendMessage" and any(
                word in params.get("text", "") for word in ("rooftop", "makerspace")), ok=True)
    run(scenario())
    delivered = [m for m in stub.bot_messages() if "1.2 million" in m.get("text", "")]
    assert len(delivered) == 1, "exactly one answer, never two"
    assert ("sendMessage", fault) in stub.faults_served
    reliability.row("Faults", fault=fault, injected=f"sendMessage {fault}, sendChatAction 500",
                    served=len(stub.faults_served), **{"answers delivered": len(delivered),
                                                       "next question answered": "yes"})


def test_the_token_never_reaches_the_logs(stub: BotApiStub, newsbot: NewsBot, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    protect_logs(TOKEN)

    async def scenario():
        async with running(newsbot):
            stub.inject_fault("sendMessage", "502")
            stub.push_message("What did the library add?")
            await stub.wait_for_async("sendMessage", ok=True)
    run(scenario())
    assert caplog.records
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
    assert TOKEN not in caplog.text


def test_add_url_is_for_admins_and_refuses_inside_addresses(stub: BotApiStub, newsbot: NewsBot) -> None:
    page = b"<html><head><title>Oskerby ferry resumes</title></head><body><article>" \
           b"<p>The Oskerby ferry resumed service on Sunday after a two-year repair, its operator said.</p>" \
           b"<p>Passengers cheered as the boat left the harbour at nine in the morning.</p></article></body></html>"

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_port}/story"
    trusting = NewsBot(newsbot.settings, newsbot.app,
                       FetchPolicy(timeout=5, allow=lambda a: str(a) == "127.0.0.1"))

    async def scenario():
        async with running(newsbot):
            for count, (command, user) in enumerate(
                    [(f"/add {url}", USER), (f"/add {url}", ADMIN), ("/add file:///etc/passwd", ADMIN)], start=1):
                stub.push_command(command, user_id=user)
                await stub.wait_for_async("sendMessage", count=count, ok=True)
        async with running(trusting):
            stub.push_command(f"/add {url}", user_id=ADMIN)
            await stub.wait_for_async("sendMessage", count=4, ok=True)
    try:
        run(scenario())
    finally:
        httpd.shutdown()
        httpd.server_close()
    refused, inside, scheme, added = [m["text"] for m in replies(stub)]
    assert "Only admins" in refused
    assert "non-public address (127.0.0.1)" in inside and "only http and https" in scheme
    assert "Added 1 article" in added
    assert newsbot.app.stats().articles == 6
