"""Helpers for the Telegram tests: run the real PTB Application against the Bot API stand-in, and
read what it sent."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from botapi_stub import BotApiStub
from telegram_html import parse_telegram_html

from newsbot.telegram.bot import build_application, setup
from newsbot.telegram.state import BotState

TOKEN = "987654:SECRET-token-never-logged"
ADMIN = 4242
USER = 1001


@asynccontextmanager
async def running(newsbot: BotState, stub: BotApiStub, webhook: dict | None = None):
    """The bot's Application, long polling the stand-in or serving `webhook` (the arguments of
    `start_webhook`). Leaving the block waits until every pushed update was fetched and every
    handler has finished, so what the bot sent is then complete."""
    application = build_application(newsbot.settings, newsbot)
    async with application:
        await setup(application)
        await application.start()
        if webhook:
            await application.updater.start_webhook(**webhook)
        else:
            await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield application
            if not webhook:
                await asyncio.to_thread(stub.wait_confirmed)
        finally:
            await application.updater.stop()
            await application.stop()


def replies(stub: BotApiStub, chat_id: int | None = None) -> list[dict]:
    return stub.sent("sendMessage", chat_id=chat_id)


def buttons(message: dict) -> dict[str, str]:
    """A sent message's buttons: label -> callback data as it went over the wire."""
    return {b["text"]: b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row}


def assert_valid_html(params: dict) -> None:
    assert params.get("parse_mode") == "HTML"
    assert 0 < len(parse_telegram_html(params["text"])) <= 4096


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 120))
