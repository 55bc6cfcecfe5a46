"""The terminal chat: questions in, cited answers out, with history for follow-ups.

Works interactively (line editing through readline) and with piped input, one question a line.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from typing import TextIO

from newsbot.answer.digest import latest_question
from newsbot.answer.engine import QuestionError
from newsbot.answer.types import Answer, Turn
from newsbot.app import Newsbot
from newsbot.cli import render

HELP = """Ask anything about the articles, in plain words; follow-up questions ("and the warhead?",
"tell me more") use the conversation.
"What's the latest news?" or "What happened this week?" lists the newest stories.
Commands:
  /latest    the newest stories (/latest this week, /latest Tonga)
  /sources   the passages behind the last answer
  /new       forget the conversation
  /help      this text
  /quit      leave (or Ctrl-D)"""


def chat(app: Newsbot, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
         today: dt.date | None = None, banner: str = "", *, turns: int) -> int:
    """Run the chat until /quit or end of input; follow-ups see the last `turns` exchanges."""
    interactive = stdin.isatty() and stdout.isatty()
    read: Callable[[], str]
    if interactive:
        import readline  # noqa: F401  (line editing and history for input())

        print(banner + "\nType /help for commands.", file=stdout)
        read = lambda: input("\nyou> ")  # noqa: E731
    else:
        def read() -> str:
            line = stdin.readline()
            if not line:
                raise EOFError
            return line
    history: list[Turn] = []
    last: Answer | None = None
    while True:
        try:
            line = read().strip()
        except (EOFError, KeyboardInterrupt):
            if interactive:
                print(file=stdout)
            return 0
        if not line:
            continue
        command = line.split()[0].lower()
        if command == "/latest":  # a question in words, answered like any other
            line, command = latest_question(line[len(command):]), ""
        if command in ("/quit", "/exit", "/q"):
            return 0
        if command == "/help":
            print(HELP, file=stdout)
        elif command == "/sources":
            print(render.passages(last) if last else "Ask a question first.", file=stdout)
        elif command == "/new":
            history.clear()
            print("Starting a new conversation.", file=stdout)
        elif command.startswith("/"):
            print(f"Unknown command {command}; try /help.", file=stdout)
        else:
            try:
                last = app.ask(line, history, today=today)
            except QuestionError as exc:
                print(str(exc), file=stdout)
                continue
            history = [*history, Turn(last.query, last.text)][-turns:]
            if not interactive:
                print(f"> {line}", file=stdout)
            print(render.plain(last), file=stdout)
            if not interactive:
                print(file=stdout)
        stdout.flush()
