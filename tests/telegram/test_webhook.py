"""Webhook mode: PTB's own webhook server on 127.0.0.1, set up with the options `serve` uses, takes
updates over HTTP only with the secret token it registered with setWebhook."""

from __future__ import annotations

import socket

import httpx
from botapi_stub import BotApiStub
from harness import replies, run, running

from newsbot.telegram.bot import webhook_options
from newsbot.telegram.state import BotState

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_webhook_updates_need_the_secret_token(stub: BotApiStub, newsbot: BotState) -> None:
    port = free_port()
    options = webhook_options(f"http://127.0.0.1:{port}/telegram/hook", f"127.0.0.1:{port}", "s3cret-Token_1")

    def update(update_id: int, user_id: int) -> dict:
        return {"update_id": update_id, **stub.message("What did the library add?", user_id=user_id)}

    async def scenario() -> list[int]:
        async with running(newsbot, stub, webhook=options), httpx.AsyncClient() as client:
            url, secret = stub.webhook["url"], stub.webhook["secret_token"]
            posts = [client.post(url, json=update(1, 71), headers={SECRET_HEADER: "wrong"}),
                     client.post(url, json=update(2, 72)),
                     client.post(url, json=update(3, 73), headers={SECRET_HEADER: secret})]
            return [(await post).status_code for post in posts]
    assert run(scenario()) == [403, 403, 200]
    assert stub.webhook["url"] == f"http://127.0.0.1:{port}/telegram/hook"
    [answer] = replies(stub)
    assert answer["chat_id"] == 73 and ("rooftop" in answer["text"] or "makerspace" in answer["text"])
