"""The Bot API stub, driven by the real python-telegram-bot client over real HTTP (no mocks)."""

from __future__ import annotations

import asyncio
import io
import threading
import time

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResultArticle
from telegram import InputTextMessageContent, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from botapi_stub import BotApiStub, parse_telegram_html

TOKEN = "123456:ABC-test-token"


def stub_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("BotApiStub")]


@pytest.fixture
def stub():
    with BotApiStub(token=TOKEN) as running:
        yield running
    assert not stub_threads(), f"leaked threads: {stub_threads()}"


def make_bot(stub: BotApiStub, token: str = TOKEN) -> Bot:
    return Bot(token, base_url=stub.base_url, base_file_url=stub.file_url)


def build_app(stub: BotApiStub) -> Application:
    return (
        ApplicationBuilder()
        .token(stub.token)
        .base_url(stub.base_url)
        .base_file_url(stub.file_url)
        .build()
    )


async def run_polling(app: Application, body) -> None:
    """Run ``app`` with real long polling against the stub while ``body()`` runs."""
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            await body()
        finally:
            await app.updater.stop()
            await app.stop()


# (1) ---------------------------------------------------------------------------------------


def test_get_me_returns_the_bot(stub):
    async def main():
        async with make_bot(stub) as bot:
            me = await bot.get_me()
        assert me.username == "newsbot_test_bot"
        assert me.is_bot and me.can_join_groups and me.supports_inline_queries

    asyncio.run(main())
    assert stub.requests[0][0] == "getMe"


# (2) ---------------------------------------------------------------------------------------


def test_application_echoes_a_pushed_message_over_long_polling(stub):
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"echo: {update.message.text}")

    app = build_app(stub)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))

    async def body():
        stub.push_message("hello there", user_id=42, username="bob")
        await stub.wait_for_async("sendMessage", ok=True, timeout=5)

    started = time.monotonic()
    asyncio.run(run_polling(app, body))
    assert time.monotonic() - started < 4

    sent = stub.sent(chat_id=42)
    assert [p["text"] for p in sent] == ["echo: hello there"]
    assert stub.texts() == ["echo: hello there"]
    methods = [m for m, _ in stub.requests]
    assert methods[:2] == ["getMe", "deleteWebhook"]
    assert "getUpdates" in methods
    # Updater.stop() confirmed the update with a final getUpdates(offset=...)
    assert stub.pending_updates() == []
    [bot_message] = stub.bot_messages(42)
    assert bot_message["from"]["username"] == "newsbot_test_bot"
    assert bot_message["chat"] == {"id": 42, "type": "private", "first_name": "User42", "username": "bob"}


def test_commands_buttons_and_inline_queries_through_an_application(stub):
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more")]])
        await update.message.reply_text(
            f"<b>Hi</b> {context.args}", parse_mode=ParseMode.HTML, reply_markup=keyboard
        )

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("ok")
        await update.callback_query.edit_message_text("<i>more</i>", parse_mode=ParseMode.HTML)

    async def inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.inline_query.answer(
            [InlineQueryResultArticle("1", "Result", InputTextMessageContent("text"))]
        )

    app = build_app(stub)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(InlineQueryHandler(inline))

    async def body():
        stub.push_command("/start news")
        await stub.wait_for_async("sendMessage", ok=True, timeout=5)
        stub.push_callback_query("more")  # the bot's latest message in the user's chat
        await stub.wait_for_async("editMessageText", ok=True, timeout=5)
        stub.push_inline_query("elections")
        await stub.wait_for_async("answerInlineQuery", ok=True, timeout=5)

    asyncio.run(run_polling(app, body))

    [sent] = stub.sent()
    assert sent["text"] == "<b>Hi</b> ['news']" and sent["parse_mode"] == "HTML"
    assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "more"
    [answer] = stub.sent("answerCallbackQuery")
    assert answer["text"] == "ok"
    [message] = stub.bot_messages()
    assert message["text"] == "more" and "edit_date" in message
    assert message["entities"] == [{"type": "italic", "offset": 0, "length": 4}]
    [inline_answer] = stub.sent("answerInlineQuery")
    assert inline_answer["results"][0]["id"] == "1"


# (3) ---------------------------------------------------------------------------------------


def test_html_is_validated_like_telegram(stub):
    async def main():
        async with make_bot(stub) as bot:
            ok = await bot.send_message(7, "<b>ok</b> &amp; more", parse_mode=ParseMode.HTML)
            assert ok.text == "ok & more"
            assert ok.entities[0].type == "bold" and ok.entities[0].length == 2

            with pytest.raises(BadRequest, match="(?i)can't parse entities"):
                await bot.send_message(7, "<b>bad", parse_mode=ParseMode.HTML)
            with pytest.raises(BadRequest, match="(?i)can't parse entities.*unsupported start tag"):
                await bot.send_message(7, "1 < 2", parse_mode=ParseMode.HTML)
            with pytest.raises(BadRequest, match="(?i)can't parse entities"):
                await bot.send_message(7, "<blink>x</blink>", parse_mode=ParseMode.HTML)
            with pytest.raises(BadRequest, match="(?i)message is too long"):
                await bot.send_message(7, "<b>" + "x" * 4097 + "</b>", parse_mode=ParseMode.HTML)
            # the limit is on the visible text, after entity parsing
            await bot.send_message(7, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
            with pytest.raises(BadRequest, match="(?i)message text is empty"):
                await bot.send_message(7, "<b> </b>", parse_mode=ParseMode.HTML)
            # without parse_mode the text is not HTML
            plain = await bot.send_message(7, "1 < 2 & <b>")
            assert plain.text == "1 < 2 & <b>"

    asyncio.run(main())
    assert len(stub.sent(chat_id=7)) == 3
    assert [c.status for c in stub.calls if c.method == "sendMessage"] == [
        200, 400, 400, 400, 400, 200, 400, 200
    ]


def test_html_parser_follows_the_telegram_subset():
    text, entities = parse_telegram_html(
        '<a href="https://e.com/?a=1&b=2">link</a> <tg-spoiler>s</tg-spoiler> '
        '<span class="tg-spoiler">t</span> <pre><code class="language-python">x</code></pre> '
        "&#128512; &quot;q&quot; <blockquote expandable>quote</blockquote>"
    )
    assert text == 'link s t x \U0001F600 "q" quote'
    kinds = [(e["type"], e["offset"], e["length"]) for e in entities]
    assert kinds == [
        ("text_link", 0, 4),
        ("spoiler", 5, 1),
        ("spoiler", 7, 1),
        ("pre", 9, 1),
        ("expandable_blockquote", 18, 5),  # the emoji counts as 2 UTF-16 code units
    ]
    assert entities[0]["url"] == "https://e.com/?a=1&b=2"
    assert entities[3]["language"] == "python"
    for bad in ("<b>x</i>", "</b>", "x & y", '<span class="x">a</span>', "<b", "<u>open"):
        with pytest.raises(ValueError):
            parse_telegram_html(bad)
    # real Telegram keeps a bare "&"; the lenient mode matches it
    assert parse_telegram_html("x & y", strict_ampersand=False)[0] == "x & y"


# (4) ---------------------------------------------------------------------------------------


# PTB's own RetryAfter.__init__ warns about int retry_after (v22.2 deprecation)
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_faults_surface_as_ptb_errors(stub):
    async def main():
        async with make_bot(stub) as bot:
            stub.inject_fault("sendMessage", "429", retry_after=7)
            with pytest.raises(RetryAfter) as info:
                await bot.send_message(1, "first")
            assert "7" in str(info.value)

            stub.inject_fault("sendMessage", "reset")
            with pytest.raises(NetworkError):
                await bot.send_message(1, "second")

            stub.inject_fault("sendMessage", "502")
            with pytest.raises(NetworkError, match="Bad Gateway"):
                await bot.send_message(1, "third")

            stub.inject_fault("sendMessage", "500", times=2)
            for _ in range(2):
                with pytest.raises(NetworkError, match="Internal Server Error"):
                    await bot.send_message(1, "fourth")

            stub.inject_fault("*", "bad_html")
            with pytest.raises(BadRequest, match="(?i)can't parse entities"):
                await bot.send_chat_action(1, "typing")

            # a timeout: the message is delivered but the answer comes too late
            stub.inject_fault("sendMessage", "timeout", seconds=2)
            with pytest.raises(TimedOut):
                await bot.send_message(1, "slow", read_timeout=0.3)

            # faults are used up: the next call succeeds
            await bot.send_message(1, "fine")

    asyncio.run(main())
    assert stub.faults_served == [
        ("sendMessage", "429"),
        ("sendMessage", "reset"),
        ("sendMessage", "502"),
        ("sendMessage", "500"),
        ("sendMessage", "500"),
        ("sendChatAction", "bad_html"),
        ("sendMessage", "timeout"),
    ]
    assert stub.texts() == ["slow", "fine"]
    assert len([m for m, _ in stub.requests if m == "sendMessage"]) == 7


# (5) ---------------------------------------------------------------------------------------


def test_document_download_round_trip(stub):
    content = "Breaking news: ünïcode\n".encode() * 100
    update = stub.push_document("article.txt", content, "text/plain", caption="/ingest")
    document = update["message"]["document"]

    async def main():
        async with make_bot(stub) as bot:
            [fetched] = await bot.get_updates()
            assert fetched.message.document.file_name == "article.txt"
            assert fetched.message.caption == "/ingest"
            file = await bot.get_file(document["file_id"])
            assert file.file_path.startswith(stub.file_url + TOKEN + "/documents/")
            data = await file.download_as_bytearray()
            assert bytes(data) == content
            with pytest.raises(BadRequest, match="(?i)invalid file_id"):
                await bot.get_file("nope")

            # multipart upload: the uploaded bytes can be fetched back
            sent = await bot.send_document(
                1, document=io.BytesIO(b"%PDF-1.4 stub"), filename="r.pdf", caption="report"
            )
            again = await (await bot.get_file(sent.document.file_id)).download_as_bytearray()
            assert bytes(again) == b"%PDF-1.4 stub"

    asyncio.run(main())
    [upload] = stub.sent("sendDocument")
    assert upload["document"]["filename"] == "r.pdf" and upload["caption"] == "report"


def test_application_downloads_a_pushed_document(stub):
    async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        file = await update.message.document.get_file()
        data = await file.download_as_bytearray()
        await update.message.reply_text(f"got {len(data)} bytes")

    app = build_app(stub)
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))

    async def body():
        stub.push_document("a.json", b'{"title": "x"}', "application/json", user_id=5)
        await stub.wait_for_async("sendMessage", ok=True, timeout=5)

    asyncio.run(run_polling(app, body))
    assert stub.texts(chat_id=5) == ["got 14 bytes"]


# (6) ---------------------------------------------------------------------------------------


def test_wrong_token_is_rejected(stub):
    async def main():
        bot = make_bot(stub, token="999:WRONG")
        try:
            with pytest.raises(InvalidToken, match="Unauthorized"):
                await bot.get_me()
        finally:
            # Bot.shutdown() is a no-op unless initialize() succeeded; close httpx ourselves
            await bot.request.shutdown()
        with pytest.raises(InvalidToken):
            async with make_bot(stub, token="999:WRONG"):
                pass

    asyncio.run(main())
    assert stub.requests == []  # rejected before reaching a method
    assert stub.unauthorized == ["/bot999:WRONG/getMe", "/bot999:WRONG/getMe"]


def test_unknown_method_is_404(stub):
    async def main():
        async with make_bot(stub) as bot:
            with pytest.raises(EndPointNotFound):
                await bot.do_api_request("noSuchMethod")

    asyncio.run(main())
    assert stub.calls[-1].status == 404
    assert stub.calls[-1].description == "Not Found: method not found"


# stub mechanics ----------------------------------------------------------------------------


def test_get_updates_offset_limit_and_timeout():
    with BotApiStub(token=TOKEN, max_poll_timeout=0.3) as stub:
        first = stub.push_message("one")
        stub.push_message("two", chat_type="group", user_id=9)
        stub.push_message("three")

        async def main():
            async with make_bot(stub) as bot:
                assert [u.message.text for u in await bot.get_updates(limit=2)] == ["one", "two"]
                # offset confirms (drops) older updates
                rest = await bot.get_updates(offset=first["update_id"] + 1)
                assert [u.message.text for u in rest] == ["two", "three"]
                assert rest[0].message.chat.type == "group"
                # nothing new: blocks for the (capped) timeout, then returns []
                started = time.monotonic()
                assert await bot.get_updates(offset=rest[-1].update_id + 1, timeout=30) == ()
                assert 0.25 <= time.monotonic() - started < 2

                # a long poll returns as soon as an update is pushed
                threading.Timer(0.1, stub.push_message, args=("four",)).start()
                started = time.monotonic()
                [late] = await bot.get_updates(offset=rest[-1].update_id + 1, timeout=30)
                assert late.message.text == "four" and time.monotonic() - started < 0.3

        asyncio.run(main())
        assert stub.pending_updates()[0]["message"]["text"] == "four"


def test_stop_ends_a_blocked_long_poll_and_leaves_no_threads():
    stub = BotApiStub(token=TOKEN, max_poll_timeout=30).start()
    outcome: dict = {}

    def poll():
        async def main():
            async with make_bot(stub) as bot:
                started = time.monotonic()
                outcome["updates"] = await bot.get_updates(timeout=30, read_timeout=40)
                outcome["elapsed"] = time.monotonic() - started

        asyncio.run(main())

    client = threading.Thread(target=poll)
    client.start()
    stub.wait_for("getMe", timeout=5)
    time.sleep(0.3)  # let the poll block in the stub
    started = time.monotonic()
    stub.stop()
    assert time.monotonic() - started < 2
    client.join(5)
    assert not client.is_alive()
    assert outcome["updates"] == ()  # the blocked poll was answered with [], not cut off
    assert outcome["elapsed"] < 3
    assert not stub_threads()


def test_wait_for_times_out_with_a_dump(stub):
    stub.push_message("nobody polls")
    started = time.monotonic()
    with pytest.raises(AssertionError, match="timed out waiting for 1 request"):
        stub.wait_for("sendMessage", timeout=0.2)
    assert time.monotonic() - started < 1


def test_commands_and_webhook_are_recorded(stub):
    async def main():
        async with make_bot(stub) as bot:
            await bot.set_my_commands([("ask", "Ask about the news"), ("help", "How to use me")])
            assert [c.command for c in await bot.get_my_commands()] == ["ask", "help"]
            with pytest.raises(BadRequest):
                await bot.set_my_commands([("Bad-Name", "x")])
            await bot.set_webhook("https://example.invalid/hook")
            assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
            with pytest.raises(Exception, match="(?i)webhook is active"):
                await bot.get_updates()
            await bot.delete_webhook()
            await bot.delete_my_commands()
            assert await bot.get_my_commands() == ()

    asyncio.run(main())
    assert stub.set_commands[0]["commands"][0] == {"command": "ask", "description": "Ask about the news"}
    assert stub.commands() == []
