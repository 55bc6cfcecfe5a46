"""The allow-list gate, for every kind of update, through the real Application over HTTP: a user
outside the list gets the one refusal where there is something to answer, and nothing else."""

from __future__ import annotations

import pytest
from botapi_stub import GROUP_ID, BotApiStub
from harness import ADMIN, USER, buttons, replies, run, running

from newsbot.telegram.gate import REFUSAL

STRANGER = 66
REFUSED = [("sendMessage", REFUSAL)]
UPDATES = {
    "text": (lambda stub: stub.push_message("harbour capacity?", user_id=STRANGER), REFUSED),
    "/new": (lambda stub: stub.push_command("/new", user_id=STRANGER), REFUSED),
    "/help": (lambda stub: stub.push_command("/help", user_id=STRANGER), REFUSED),
    "/start": (lambda stub: stub.push_command("/start", user_id=STRANGER), REFUSED),
    "/stats": (lambda stub: stub.push_command("/stats", user_id=STRANGER), REFUSED),
    "/ask": (lambda stub: stub.push_command("/ask harbour capacity?", user_id=STRANGER), REFUSED),
    "/add": (lambda stub: stub.push_command("/add https://example.com/news", user_id=STRANGER), REFUSED),
    "document": (lambda stub: stub.push_document("ferry.txt", b"The ferry sailed.", user_id=STRANGER), REFUSED),
    "photo": (lambda stub: stub.push_photo(user_id=STRANGER), REFUSED),
    "sticker": (lambda stub: stub.push_sticker(user_id=STRANGER), REFUSED),
    "group mention": (lambda stub: stub.push_message("@newsbot_test_bot harbour capacity?", chat_type="group",
                                                     user_id=STRANGER), []),
    "inline query": (lambda stub: stub.push_inline_query("harbour capacity", user_id=STRANGER), []),
}


def what_the_bot_did(stub: BotApiStub, since: int) -> list[tuple[str, str | None]]:
    return [(c.method, c.params.get("text")) for c in stub.calls[since:] if c.method != "getUpdates"]


@pytest.mark.parametrize("kind", UPDATES)
def test_a_stranger_gets_one_refusal_and_nothing_else(stub: BotApiStub, make_newsbot, kind: str) -> None:
    push, expected = UPDATES[kind]
    private = make_newsbot(allowed_ids=(USER,))

    async def scenario() -> int:
        async with running(private, stub):
            since = len(stub.calls)
            push(stub)
        return since
    since = run(scenario())
    assert what_the_bot_did(stub, since) == expected
    assert all(m["chat_id"] == STRANGER for m in replies(stub))


def test_a_stranger_pressing_a_button_in_a_group_is_refused(stub: BotApiStub, make_newsbot) -> None:
    private = make_newsbot(allowed_ids=(USER,))

    async def scenario() -> int:
        async with running(private, stub):
            stub.push_command("/ask how much did the Valemont container terminal cost?", chat_type="group")
            [answer] = await stub.wait_for_async("sendMessage", ok=True)
            since = len(stub.calls)
            for label in ("[1]", "👍"):
                stub.push_callback_query(buttons(answer)[label], stub.bot_messages()[-1], user_id=STRANGER)
        return since
    since = run(scenario())
    assert what_the_bot_did(stub, since) == [("answerCallbackQuery", REFUSAL)] * 2
    assert not private.log.votes()


def test_listed_users_listed_chats_and_admins_pass(stub: BotApiStub, make_newsbot) -> None:
    private = make_newsbot(allowed_ids=(USER, GROUP_ID))

    async def scenario():
        async with running(private, stub):
            stub.push_message("harbour capacity?", user_id=USER)
            stub.push_message("@newsbot_test_bot harbour capacity?", chat_type="group", user_id=STRANGER)
            stub.push_command("/stats", user_id=ADMIN)
    run(scenario())
    assert "1.2 million" in replies(stub, chat_id=USER)[0]["text"]
    assert "1.2 million" in replies(stub, chat_id=GROUP_ID)[0]["text"]
    assert "articles: 5" in replies(stub, chat_id=ADMIN)[0]["text"]
