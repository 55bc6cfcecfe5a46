"""The allow-list, checked once for every update in handler group -1, before any handler runs. A
user outside it gets one refusal — a reply in a private chat, or on a pressed button — and nothing
else: group chatter and inline queries are dropped silently, so strangers cannot make the bot talk."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes

from newsbot.settings import Settings
from newsbot.telegram.send import answer_query, reply

REFUSAL = "Sorry, this bot is private."


def allowed(settings: Settings, user_id: int | None, chat_id: int | None) -> bool:
    """Everyone when `allowed_ids` is empty; else the users and chats it lists, and the admins."""
    allow = set(settings.allowed_ids)
    return not allow or bool({user_id, chat_id} & allow) or user_id in settings.admin_ids


class Gate:
    """The handler of group -1: lets allowed updates on to the other groups and stops the rest."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def check(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user.id if update.effective_user else None
        chat = update.effective_chat.id if update.effective_chat else None
        if allowed(self.settings, user, chat):
            return
        if update.callback_query:
            await answer_query(update.callback_query, REFUSAL)
        elif update.message and update.message.chat.type == ChatType.PRIVATE:
            await reply(update.message, REFUSAL)
        raise ApplicationHandlerStop
