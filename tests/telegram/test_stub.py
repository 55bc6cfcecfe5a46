"""The Bot API stand-in, driven by the real python-telegram-bot client over real HTTP (no mocks)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from botapi_stub import BotApiStub
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResultArticle
from telegram import InputTextMessageContent, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes, MessageHandler, filters
from telegram_html import HtmlParseError, parse_telegram_html

TOKEN = "123456:ABC-test-token"


@pytest.fixture
def stub():
    with BotApiStub(token=TOKEN) as running:
        yield running


def make_bot(stub: BotApiStub, token: str = TOKEN) -> Bot:
    return Bot(token, base_url=stub.base_url, base_file_url=stub.file_url)


async def until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.01)


def test_an_application_polls_and_replies(stub):
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"echo: {update.message.text}")

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_html(f"<b>Hi</b> {context.args}")

    app = ApplicationBuilder().token(TOKEN).base_url(stub.base_url).base_file_url(stub.file_url).build()
    app.add_handlers([CommandHandler("start", start), MessageHandler(filters.TEXT & ~filters.COMMAND, echo)])

    async def main():
        async with app:
            await app.start()
            await app.updater.start_polling(poll_interval=0, timeout=1)
            stub.push_message("hello there", user_id=42)
            stub.push_command("/start news", user_id=43)
            await stub.wait_for_async("sendMessage", count=2, ok=True)
            await asyncio.to_thread(stub.wait_confirmed)
            await app.updater.stop()
            await app.stop()
    asyncio.run(main())
    assert [m["text"] for m in stub.sent(chat_id=42)] == ["echo: hello there"]
    assert [m["text"] for m in stub.bot_messages(43)] == ["Hi ['news']"]
    assert [c.method for c in stub.calls][:2] == ["getMe", "deleteWebhook"]
    assert stub.bot_messages(42)[0]["from"]["username"] == "newsbot_test_bot"


def test_html_is_checked_like_telegram(stub):
    async def main():
        async with make_bot(stub) as bot:
            assert (await bot.send_message(7, "<b>ok</b> &amp; more", parse_mode=ParseMode.HTML)).text == "ok & more"
            for bad, reason in [("<b>bad", "can't parse entities"), ("1 < 2", "unsupported start tag"),
                                ("<blink>x</blink>", "can't parse entities"), ("x & y", "character entity"),
                                ("<b>" + "x" * 4097 + "</b>", "message is too long"),
                                ("🚢" * 2049, "message is too long"), ("<b> </b>", "message text is empty")]:
                with pytest.raises(BadRequest, match=f"(?i){reason}"):
                    await bot.send_message(7, bad, parse_mode=ParseMode.HTML)
            await bot.send_message(7, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
            assert (await bot.send_message(7, "1 < 2 & <b>")).text == "1 < 2 & <b>"
    asyncio.run(main())
    assert len(stub.sent(chat_id=7)) == 3


def test_the_html_parser_follows_the_telegram_subset():
    assert parse_telegram_html(
        '<a href="https://e.com/?a=1&amp;b=2">link</a> <tg-spoiler>s</tg-spoiler> <span class="tg-spoiler">t</span> '
        '<pre><code class="language-python">x</code></pre> &#128512; &#x41; &quot;q&quot; '
        '<blockquote expandable>quote</blockquote> <tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
        "<B>upper</>") == 'link s t x \U0001F600 A "q" quote 👍upper'
    for bad in ("<b>x</i>", "</b>", "x & y", "&#0;", '<span class="x">a</span>', "<b", "<u>open", "<a href=x>",
                '<a href="x>y</a>', "<b x>y</b>", "<tg-emoji emoji-id=x>a</tg-emoji>", "<b>x</b y>"):
        with pytest.raises(HtmlParseError):
            parse_telegram_html(bad)


# PTB's own RetryAfter warns about an int retry_after (v22.2 deprecation)
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_faults_surface_as_ptb_errors(stub):
    async def main():
        async with make_bot(stub) as bot:
            stub.inject_fault("sendMessage", "429", retry_after=7)
            with pytest.raises(RetryAfter, match="7"):
                await bot.send_message(1, "first")
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
            stub.inject_fault("sendMessage", "timeout", seconds=2)
            with pytest.raises(TimedOut):
                await bot.send_message(1, "slow", read_timeout=0.3)
            await bot.send_message(1, "fine")
    asyncio.run(main())
    assert stub.faults_served == [("sendMessage", kind) for kind in ("429", "reset", "502", "500", "500")] + [
        ("sendChatAction", "bad_html"), ("sendMessage", "timeout")]
    assert [m["text"] for m in stub.bot_messages()] == ["slow", "fine"], "a timed-out call still took effect"


def test_documents_download_and_unknown_files_are_refused(stub):
    content = "Breaking news: ünïcode\n".encode() * 100
    stub.push_document("article.txt", content, "text/plain")

    async def main():
        async with make_bot(stub) as bot:
            [update] = await bot.get_updates()
            assert update.message.document.file_name == "article.txt"
            file = await bot.get_file(update.message.document.file_id)
            assert bytes(await file.download_as_bytearray()) == content
            with pytest.raises(BadRequest, match="(?i)invalid file_id"):
                await bot.get_file("nope")
    asyncio.run(main())


def test_a_wrong_token_gets_401_and_an_unknown_method_404(stub):
    async def main():
        bot = make_bot(stub, token="999:WRONG")
        with pytest.raises(InvalidToken, match="Unauthorized"):
            await bot.get_me()
        await bot.request.shutdown()
        async with make_bot(stub) as good:
            with pytest.raises(EndPointNotFound):
                await good.do_api_request("noSuchMethod")
    asyncio.run(main())
    assert stub.unauthorized == ["/bot999:WRONG/getMe"]
    assert stub.calls[-1].status == 404


def test_get_updates_confirms_by_offset_and_long_polls():
    with BotApiStub(token=TOKEN, max_poll_timeout=0.3) as stub:
        first = stub.push_message("one")
        stub.push_message("two", chat_type="group", user_id=9)
        stub.push_message("three")

        async def main():
            async with make_bot(stub) as bot:
                assert [u.message.text for u in await bot.get_updates(limit=2)] == ["one", "two"]
                rest = await bot.get_updates(offset=first["update_id"] + 1)
                assert [u.message.text for u in rest] == ["two", "three"] and rest[0].message.chat.type == "group"
                started = time.monotonic()
                assert await bot.get_updates(offset=rest[-1].update_id + 1, timeout=30) == ()
                assert 0.25 <= time.monotonic() - started < 2, "waits for the (capped) timeout"
                polling = asyncio.create_task(bot.get_updates(offset=rest[-1].update_id + 1, timeout=30))
                await until(lambda: stub.polls_waiting)
                stub.push_message("four")
                [late] = await polling
                assert late.message.text == "four"
        asyncio.run(main())


def test_stop_answers_a_waiting_poll():
    stub = BotApiStub(token=TOKEN, max_poll_timeout=30).start()
    outcome: dict = {}

    async def poll():
        async with make_bot(stub) as bot:
            outcome["updates"] = await bot.get_updates(timeout=30, read_timeout=40)

    client = threading.Thread(target=asyncio.run, args=(poll(),))
    client.start()
    asyncio.run(until(lambda: stub.polls_waiting))
    stub.stop()
    client.join(5)
    assert not client.is_alive() and outcome["updates"] == ()


def test_buttons_queries_and_webhooks_are_checked(stub):
    query = stub.push_callback_query("data", stub.message("hi")["message"])["callback_query"]["id"]
    inline = stub.push_inline_query("news")["inline_query"]["id"]

    async def main():
        async with make_bot(stub) as bot:
            with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
                markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
                await bot.send_message(1, "buttons", reply_markup=markup)
            await bot.answer_callback_query(query, "ok")
            with pytest.raises(BadRequest, match="(?i)query is too old"):
                await bot.answer_callback_query(query, "again")
            with pytest.raises(BadRequest, match="(?i)can.t parse entities"):
                await bot.answer_inline_query(inline, [InlineQueryResultArticle(
                    "1", "t", InputTextMessageContent("<b>open", parse_mode=ParseMode.HTML))])
            await bot.answer_inline_query(inline, [InlineQueryResultArticle("1", "t", InputTextMessageContent("ok"))])
            await bot.set_webhook("https://example.invalid/hook", secret_token="s3cret")
            assert stub.webhook["url"] == "https://example.invalid/hook" and stub.webhook["secret_token"] == "s3cret"
            await bot.delete_webhook()
    asyncio.run(main())
    assert stub.webhook is None and [a["text"] for a in stub.sent("answerCallbackQuery")] == ["ok"]


def test_wait_for_times_out_with_a_report(stub):
    stub.push_message("nobody polls")
    with pytest.raises(AssertionError, match="timed out waiting for 1 request"):
        stub.wait_for("sendMessage", timeout=0.2)
