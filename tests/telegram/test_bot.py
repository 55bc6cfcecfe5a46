"""The conversation through the real PTB Application and the Bot API stand-in, over real HTTP:
commands, answers with buttons, follow-ups, groups, inline mode, time words counted from the
message's date, limits and faults."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

import pytest
from botapi_stub import BotApiStub
from harness import TOKEN, USER, assert_valid_html, buttons, replies, run, running
from telegram_html import parse_telegram_html

from newsbot.telegram import render
from newsbot.telegram.bot import protect_logs
from newsbot.telegram.conversation import EXPIRED_REPLY, NON_TEXT_REPLY, RATE_LIMIT_REPLY
from newsbot.telegram.state import BotState

HARBOUR = "How many containers a year can the Valemont harbour handle?"
LIBRARY = "What did the library add?"


def about_the_library(method: str, params: dict) -> bool:
    return method == "sendMessage" and any(word in params.get("text", "") for word in ("rooftop", "makerspace"))


def test_start_a_cited_answer_with_buttons_and_a_sticker(stub: BotApiStub, newsbot: BotState) -> None:
    stub.inject_fault("setMyCommands", "500")

    async def scenario():
        async with running(newsbot, stub):
            stub.push_command("/start")
            await stub.wait_for_async("sendMessage", ok=True)
            stub.push_message("What rare plant did botanists find beside a lake?")
            await stub.wait_for_async("sendMessage", count=2, ok=True)
            stub.push_sticker()
    run(scenario())
    start, answer, sticker = replies(stub)
    assert "5 news articles" in start["text"] and "2023-03-14" in start["text"]
    assert ("setMyCommands", "500") in stub.faults_served, "a failed command menu does not stop the bot"
    assert stub.sent("sendChatAction")[0]["action"] == "typing"
    assert_valid_html(answer)
    assert "quillwort" in answer["text"] and "[1]" in answer["text"] and "<b>Sources</b>" in answer["text"]
    keys = buttons(answer)
    assert "[1]" in keys and {"👍", "👎"} <= keys.keys()
    assert all(len(data) == 64 for data in keys.values()), "PTB sends its own keys for the objects buttons carry"
    assert sticker["text"] == NON_TEXT_REPLY


def test_latest_lists_the_newest_stories(stub: BotApiStub, newsbot: BotState) -> None:
    async def scenario():
        async with running(newsbot, stub):
            stub.push_command("/latest")
            await stub.wait_for_async("sendMessage", ok=True)
    run(scenario())
    [latest] = replies(stub)
    assert_valid_html(latest)
    said = latest["text"].split("<b>Sources</b>")[0]
    assert said.startswith("• ") and said.count("• ") >= 2 and "[1]" in said and "[2]" in said


def test_help_says_how_to_ask_here_and_in_groups(stub: BotApiStub, newsbot: BotState) -> None:
    async def scenario():
        async with running(newsbot, stub):
            stub.push_command("/help")
    run(scenario())
    [help_text] = [m["text"] for m in replies(stub)]
    assert "/new forgets it" in help_text and "mention @newsbot_test_bot" in help_text and "/ask" in help_text
    assert [c["command"] for c in stub.sent("setMyCommands")[-1]["commands"]][:2] == ["start", "help"]


def test_source_button_expands_the_passage_and_votes_are_stored(stub: BotApiStub, newsbot: BotState) -> None:
    async def scenario():
        async with running(newsbot, stub):
            stub.push_message("How much did the Valemont container terminal cost?")
            [answer] = await stub.wait_for_async("sendMessage", ok=True)
            message = stub.bot_messages()[-1]
            stub.push_callback_query(buttons(answer)["[1]"], message)
            await stub.wait_for_async("sendMessage", count=2, ok=True)
            stub.push_callback_query(buttons(answer)["👎"], message)
    run(scenario())
    answer, passage = replies(stub)
    assert_valid_html(passage)
    # The first cited sentence, after the short answer when one leads ("<b>$410 million</b> — …").
    first_sentence = re.sub(r"^<b>[^<]*</b> — ", "", answer["text"].split(" [1]")[0])
    assert passage["text"].startswith("<b>[1] ") and f"<b>{first_sentence}</b>" in passage["text"]
    assert [a.get("text") for a in stub.sent("answerCallbackQuery")] == [None, "Thanks for the feedback!"]
    [vote] = newsbot.log.votes()
    assert vote.vote == -1 and vote.user_id == USER and "Valemont" in vote.question
    assert vote.answer.startswith(first_sentence) and vote.sources[0]["sentence"] == first_sentence


def test_a_button_from_before_a_restart_is_too_old(stub: BotApiStub, newsbot: BotState) -> None:
    async def ask():
        async with running(newsbot, stub):
            stub.push_message(HARBOUR)
    run(ask())
    [answer], message = replies(stub), stub.bot_messages()[-1]

    async def press_after_restart():
        async with running(newsbot, stub):
            stub.push_callback_query(buttons(answer)["[1]"], message)
            stub.push_callback_query("not one of PTB's keys", message)
    run(press_after_restart())
    assert [a["text"] for a in stub.sent("answerCallbackQuery")] == [EXPIRED_REPLY] * 2
    assert len(replies(stub)) == 1 and not newsbot.log.votes()


def test_this_week_counts_from_the_day_the_message_was_sent(stub: BotApiStub, newsbot: BotState) -> None:
    sent = int(dt.datetime(2023, 3, 16, 9, 30, tzinfo=dt.timezone.utc).timestamp())

    async def scenario():
        async with running(newsbot, stub):
            stub.push_message("What opened in Valemont this week?", date=sent)
            await stub.wait_for_async("sendMessage", ok=True)
            stub.push_message("What opened in Valemont this week?")
            await stub.wait_for_async("sendMessage", count=2, ok=True)
    run(scenario())
    then, now = (m["text"] for m in replies(stub))
    assert "container terminal" in then and "2023-03-10 to 2023-03-16" in then, then
    assert "container terminal" in now and "2023-03-10" not in now, "asked today, that week holds no article"


def test_groups_answer_mentions_replies_and_ask_only(stub: BotApiStub, newsbot: BotState) -> None:
    async def scenario():
        async with running(newsbot, stub):
            stub.push_message("lunch anyone? the harbour place?", chat_type="group", user_id=7)
            stub.push_message("@newsbot_test_bot what did the library add?", chat_type="group", user_id=7)
            await stub.wait_for_async("sendMessage", ok=True)
            stub.push_command("/ask what did the train drivers accept?", chat_type="group", user_id=8)
            await stub.wait_for_async("sendMessage", count=2, ok=True)
            stub.push_message("how much did the terminal cost?", chat_type="group", user_id=9,
                              reply_to=stub.bot_messages()[-1])
            await stub.wait_for_async("sendMessage", count=3, ok=True)
            stub.push_command("/ask", chat_type="group", user_id=9)
    run(scenario())
    library, drivers, terminal, usage = [m["text"] for m in replies(stub)]
    assert "rooftop" in library or "makerspace" in library
    assert "6.5 percent" in drivers and "$410 million" in terminal and "/ask who won" in usage
    assert all(m["reply_parameters"]["message_id"] for m in replies(stub)), "in groups, replies quote the question"


def test_thanks_get_a_reply_in_kind_and_do_not_become_the_conversation(stub: BotApiStub, newsbot: BotState) -> None:
    async def scenario():
        async with running(newsbot, stub):
            for count, text in enumerate([LIBRARY, "Thanks a lot!", "and what can residents book?"], start=1):
                stub.push_message(text)
                await stub.wait_for_async("sendMessage", count=count, ok=True)
    run(scenario())
    first, thanks, follow_up = [m["text"] for m in replies(stub)]
    assert thanks == "Glad to help. Ask me anything else about the news."
    assert "recording studio" in follow_up.split("<b>Sources</b>")[0]


def test_a_follow_up_uses_the_conversation_until_new_forgets_it(stub: BotApiStub, newsbot: BotState) -> None:
    async def scenario():
        async with running(newsbot, stub):
            for count, (push, text) in enumerate([
                    (stub.push_message, "What did the growers' cooperative ask the regional government for?"),
                    (stub.push_message, "and how cold did it get?"), (stub.push_command, "/new"),
                    (stub.push_message, "and how cold did it get?")], start=1):
                push(text)
                await stub.wait_for_async("sendMessage", count=count, ok=True)
    run(scenario())
    first, follow_up, new, forgotten = [m["text"] for m in replies(stub)]
    assert "emergency aid" in first
    # Resolved against the question before it, the follow-up is answered from the cooperative's plea;
    # after /new, it stands alone.
    said, said_later = follow_up.split("<b>Sources</b>")[0], forgotten.split("<b>Sources</b>")[0]
    assert "cooperative" in said or "emergency aid" in said
    assert "frost destroyed most of the apricot blossom" in follow_up
    assert new == "Starting a new conversation."
    assert "cooperative" not in said_later and "emergency aid" not in said_later, "not resolved against the earlier one"


def test_inline_mode_answers_in_valid_html(stub: BotApiStub, newsbot: BotState) -> None:
    async def scenario():
        async with running(newsbot, stub):
            stub.push_inline_query("quillwort fern")
            stub.push_inline_query("   ")
    run(scenario())
    [inline] = stub.sent("answerInlineQuery")
    [result] = inline["results"]
    assert "quillwort" in result["input_message_content"]["message_text"] and result["description"]


@pytest.mark.parametrize("hostile", [
    "<b>unclosed & <i>tags</b> &amp; &#0; what about the harbour?",
    "\u202eharbour terminal\u202c \u0301\u0301 🚢🚢 capacity?",
    "null\x00byte harbour" + " terminal" * 600,
])
def test_hostile_text_is_answered_in_valid_html(stub: BotApiStub, newsbot: BotState, hostile: str,
                                                reliability) -> None:
    async def scenario():
        async with running(newsbot, stub):
            stub.push_message(hostile)
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
        assert render.telegram_length(message) <= 4096 and parse_telegram_html(message)


def test_a_flood_gets_one_polite_reply_and_others_are_still_answered(stub: BotApiStub, newsbot: BotState,
                                                                     reliability) -> None:
    flood, limit = 30, newsbot.settings.questions_per_minute

    async def scenario():
        async with running(newsbot, stub):
            for n in range(flood):
                stub.push_message("harbour capacity?", user_id=55)
                if n == flood // 2:
                    stub.push_message("harbour capacity?", user_id=56)
    run(scenario())
    flooder = [m["text"] for m in replies(stub, chat_id=55)]
    assert len(flooder) == limit + 1, "answers up to the limit, one polite reply, then silence"
    assert flooder.count(RATE_LIMIT_REPLY) == 1 and sum("1.2 million" in t for t in flooder) == limit
    assert ["1.2 million" in m["text"] for m in replies(stub, chat_id=56)] == [True]
    reliability.count("Hostile inputs", flood, input="a flood of questions from one user",
                      outcome=f"{limit} answered, 1 polite reply, the rest ignored; another user answered")


@pytest.mark.parametrize("fault", ["bad_html", "429", "timeout", "500", "502", "reset"])
def test_faults_deliver_an_answer_exactly_once(stub: BotApiStub, newsbot: BotState, fault: str,
                                               reliability, caplog) -> None:
    """HTML refused: resent as plain text; flood wait: retried by PTB; timeout: not resent (it
    arrived); a 5xx answer or a dropped connection: sent once more. The next question is answered."""
    async def scenario():
        async with running(newsbot, stub):
            stub.inject_fault("sendChatAction", "500")
            stub.inject_fault("sendMessage", fault, retry_after=1, seconds=6)
            stub.push_message(HARBOUR)
            await stub.wait_for_async("sendMessage", timeout=30)
            stub.push_message(LIBRARY)
            await stub.wait_for_async(about_the_library, ok=True)
    run(scenario())
    answers = [m for m in stub.bot_messages() if "1.2 million" in m["text"]]
    assert len(answers) == 1 and ("sendMessage", fault) in stub.faults_served
    assert fault not in ("500", "502", "reset") or "sending it once more" in caplog.text
    reliability.row("Faults", fault=fault, injected=f"sendMessage {fault}, sendChatAction 500",
                    served=len(stub.faults_served), **{"answers delivered": len(answers),
                                                       "next question answered": "yes"})


def test_the_token_never_reaches_the_logs(stub: BotApiStub, newsbot: BotState, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    protect_logs(TOKEN)

    async def scenario():
        async with running(newsbot, stub):
            stub.inject_fault("sendMessage", "502")
            stub.push_message(LIBRARY)
    run(scenario())
    assert caplog.records and "Bad Gateway" in caplog.text
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
    assert TOKEN not in caplog.text and json.dumps(TOKEN) not in caplog.text
