"""The Telegram front end (python-telegram-bot v22): handlers, rendering to Telegram HTML, uploads,
rate limits and the bot's question log. Telegram types never leave this package."""
