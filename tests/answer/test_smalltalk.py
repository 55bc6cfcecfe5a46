"""Greetings, thanks and goodbyes get a reply in kind (as the message of a `QuestionError`, which
every front end shows as it is), and never a search; a question that starts with "hi" is a question."""

from __future__ import annotations

import json

import pytest

from newsbot.answer.query import SmallTalk, validate_question
from newsbot.cli.main import main
from newsbot.answer.smalltalk import small_talk_reply


@pytest.mark.parametrize("message, starts", [
    ("hi", "Hello!"), ("Hello there!", "Hello!"), ("good morning :)", "Hello!"),
    ("Thanks!", "Glad to help"), ("thank you so much", "Glad to help"), ("ok", "Glad to help"),
    ("bye", "Goodbye"), ("see you later!", "Goodbye"),
    ("ok thanks", "Glad to help"), ("hi, thanks!", "Glad to help"), ("ok thanks, bye", "Goodbye"),
])
def test_small_talk_gets_a_reply_in_kind(message: str, starts: str) -> None:
    assert small_talk_reply(message).startswith(starts)
    with pytest.raises(SmallTalk, match=f"^{starts}"):
        validate_question(message)


@pytest.mark.parametrize("message", ["Hi, who won the final?", "thanks to what did the harbour grow?",
                                     "great barrier reef bleaching?", "Hello Kitty maker results"])
def test_a_question_is_never_small_talk(message: str) -> None:
    assert small_talk_reply(message) is None
    assert validate_question(message) == message


def test_ask_replies_in_kind_and_succeeds(capsys, built_index) -> None:
    assert main(["ask", "thanks!", "--index", str(built_index)]) == 0
    assert capsys.readouterr().out.startswith("Glad to help")
    assert main(["ask", "hello", "--index", str(built_index), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reply"].startswith("Hello!")
