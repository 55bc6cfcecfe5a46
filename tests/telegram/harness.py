"""Helpers for the Telegram tests: run the real PTB Application against the Bot API stand-in, and
read what it sent."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from botapi_stub import BotApiStub, parse_telegram_html

from newsbot.telegram.bot import NewsBot, build_application, setup

TOKEN = "987654:SECRET-token-never-logged"
ADMIN = 4242
USER = 1001


@asynccontextmanager
async def running(newsbot: NewsBot):
    application = build_application(newsbot.settings, newsbot)
    async with application:
        await setup(application)
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()


def replies(stub: BotApiStub, chat_id: int | None = None) -> list[dict]:
    return stub.sent("sendMessage", chat_id=chat_id)


def assert_valid_html(params: dict) -> None:
    assert params.get("parse_mode") == "HTML"
    plain, _ = parse_telegram_html(params["text"])
    assert 0 < len(plain) <= 4096


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 120))
