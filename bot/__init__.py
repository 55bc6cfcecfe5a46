"""newsbot's front ends: command line (and later the answer engine and Telegram bot)."""
