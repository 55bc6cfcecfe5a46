"""Every reply the bot sends goes through `reply`: HTML escaped once, a plain-text resend when Telegram
refuses the HTML, one resend when the Bot API answers 5xx or drops the connection, and none after a
timeout, so a message is never delivered twice. Flood waits (RetryAfter) are retried by PTB's
AIORateLimiter; other failures are logged, never raised."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, LinkPreviewOptions, Message
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut

from newsbot.telegram.render import escape, to_plain

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def reply(message: Message, text: str | None = None, *, html: str | None = None,
                markup=None) -> Message | None:
    """Reply to `message` with plain `text` (escaped here) or a page of Telegram HTML; None when
    nothing could be sent. In groups the reply quotes the message it answers."""
    page = escape(text or "") if html is None else html
    options = {"reply_markup": markup, "link_preview_options": NO_PREVIEW,
               "do_quote": message.chat.type != ChatType.PRIVATE}
    try:
        try:
            return await message.reply_html(page, **options)
        except NetworkError as exc:
            if isinstance(exc, TimedOut):
                raise
            log.warning("sending a reply failed (%s); sending it once more", exc)
            return await message.reply_html(page, **options)
    except BadRequest as exc:
        log.warning("Telegram refused an HTML message (%s); sending plain text", exc.message)
        try:
            return await message.reply_text(to_plain(page), **options)
        except TelegramError as again:
            log.error("the plain-text resend failed too: %s", again)
    except TimedOut:
        log.warning("Telegram did not confirm a sent message in time; not resending")
    except TelegramError as exc:
        log.error("sending a reply failed: %s: %s", type(exc).__name__, exc)
    return None


async def answer_query(query: CallbackQuery, text: str | None = None) -> None:
    """Answer a button press (stops the client's spinner), with a short notice when `text` is given."""
    try:
        await query.answer(text)
    except TelegramError as exc:
        log.info("answering a button press failed: %s", exc)


async def typing(message: Message) -> None:
    """Show "typing…" in the chat of `message` while an answer is worked out; failures only log."""
    try:
        await message.get_bot().send_chat_action(message.chat_id, ChatAction.TYPING)
    except TelegramError as exc:
        log.info("typing indicator failed: %s", exc)
