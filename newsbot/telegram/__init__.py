"""The Telegram front end (python-telegram-bot v22). `bot` builds the Application and serves it;
`gate` holds the allow-list, `conversation` and `admin` the handlers, `send` the one reply path,
`state` their shared state (BotState); `render`, `uploads`, `ratelimit` and `questions` (the question log) serve
them. Telegram types never leave this package."""
