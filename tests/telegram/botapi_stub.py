"""A local Telegram Bot API stand-in for end-to-end tests.

``BotApiStub`` serves the Bot API over real HTTP on ``127.0.0.1`` (random free port) from a
background thread (stdlib ``http.server``), so it works the same from synchronous tests and from
code running on an asyncio loop. Point python-telegram-bot at it with::

    with BotApiStub(token="123:ABC") as stub:
        app = (
            ApplicationBuilder()
            .token(stub.token)
            .base_url(stub.base_url)
            .base_file_url(stub.file_url)
            .build()
        )
        ...
        stub.push_message("hello", user_id=42)
        stub.wait_for("sendMessage")          # blocking; use ``await stub.wait_for_async(...)``
        assert stub.sent()[0]["text"] == "hello"  # from inside a coroutine

It never contacts the internet. What it does:

* Requests arrive at ``/bot<token>/<method>`` (JSON, urlencoded or multipart bodies, or a
  query string). A wrong token gets 401, an unknown method 404, like Telegram.
* It implements getMe, getUpdates (long polling with offset/limit/timeout/allowed_updates and a
  409 Conflict for a second concurrent poller), deleteWebhook/setWebhook/getWebhookInfo,
  setMyCommands/getMyCommands/deleteMyCommands, sendMessage, editMessageText,
  editMessageReplyMarkup, sendChatAction, answerCallbackQuery, answerInlineQuery, getFile,
  sendDocument and file downloads at ``/file/bot<token>/<file_path>``. ``add_method`` adds more.
* It checks ``parse_mode="HTML"`` text the way Telegram's parser (tdlib ``parse_html``) does, and
  checks text length and empty text.
* ``inject_fault`` makes the next N calls of a method fail (429, 500, 502, reset, timeout,
  bad_html, ...).

Every helper is thread-safe. A request is recorded (``requests``/``calls``) once the stub has
decided how to answer it and before the answer is written. So when a client call returns, its
record is already there.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import itertools
import json
import logging
import re
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "BOT_USERNAME",
    "DEFAULT_USER_ID",
    "BotApiError",
    "BotApiStub",
    "Call",
    "HtmlParseError",
    "parse_telegram_html",
]

_LOG = logging.getLogger(__name__)

BOT_USERNAME = "newsbot_test_bot"
BOT_FIRST_NAME = "NewsBot Test"
DEFAULT_USER_ID = 1001
DEFAULT_GROUP_ID = -4012345678
DEFAULT_SUPERGROUP_ID = -1001234567890

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024

FAULT_KINDS = ("429", "400", "403", "409", "500", "502", "reset", "timeout", "bad_html")

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_BOT_COMMAND_AT_START_RE = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?")
_MENTION_RE = re.compile(r"(?<![A-Za-z0-9_])@[A-Za-z][A-Za-z0-9_]{3,31}(?![A-Za-z0-9_])")

# Form fields PTB sends as raw strings (``RequestParameter.json_value`` leaves ``str`` values
# alone). Everything else is JSON-encoded by PTB and is JSON-decoded here.
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "query",
        "callback_query_id",
        "inline_query_id",
        "file_id",
        "url",
        "action",
        "secret_token",
        "ip_address",
        "language_code",
        "next_offset",
        "business_connection_id",
        "message_effect_id",
        "inline_message_id",
        "switch_pm_text",
        "switch_pm_parameter",
        "description",
        "short_description",
        "name",
        "title",
        "emoji",
        "document",
        "photo",
        "sticker",
        "thumbnail",
        "certificate",
    }
)

_BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


# --------------------------------------------------------------------------------------------
# Errors and records
# --------------------------------------------------------------------------------------------


class BotApiError(Exception):
    """Raise from a method handler (see ``BotApiStub.add_method``) to answer with an error."""

    def __init__(self, code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


class HtmlParseError(ValueError):
    """Telegram would reject the text with "can't parse entities: <message>"."""


@dataclass
class Call:
    """One request to the stub and how it was answered."""

    method: str
    params: dict
    status: int = 200
    ok: bool = True
    result: Any = None
    description: str | None = None
    fault: str | None = None
    time: float = field(default_factory=time.time)


@dataclass
class _Fault:
    method: str
    kind: str
    remaining: int
    options: dict


class _Reset(Exception):
    """Close the connection without an answer."""


# --------------------------------------------------------------------------------------------
# Telegram HTML (follows tdlib's parse_html in td/telegram/MessageEntity.cpp)
# --------------------------------------------------------------------------------------------

_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_SPACES = " \t\r\n\v\0"


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the character entity at ``text[pos] == '&'``; ``None`` if there is none."""
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        value = 0
        if end < n and text[end] == "x":
            end += 1
            while end < n and text[end] in "0123456789abcdefABCDEF":
                value = value * 16 + int(text[end], 16)
                end += 1
                if value >= 0x10FFFF:
                    return None
        else:
            while end < n and text[end] in "0123456789":
                value = value * 10 + int(text[end])
                end += 1
                if value >= 0x10FFFF:
                    return None
        if value == 0 or value >= 0x10FFFF or end - pos >= 10 or 0xD800 <= value <= 0xDFFF:
            return None
        char = chr(value)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        char = _NAMED_ENTITIES.get(text[pos + 1 : end])
        if char is None:
            return None
    if end < n and text[end] == ";":
        end += 1
    return char, end


def parse_telegram_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict]]:
    """Parse Telegram's HTML subset. Returns ``(plain_text, entities)``.

    Entity offsets and lengths are in UTF-16 code units, as in the Bot API. Raises
    ``HtmlParseError`` with the message Telegram gives after "can't parse entities: ".

    Real Telegram keeps a ``&`` that starts no known entity as a literal ``&``. With
    ``strict_ampersand`` (the default) such a ``&`` is an error, because the docs require it to
    be written ``&amp;``.
    """
    n = len(text)
    out: list[str] = []
    out_utf16 = 0
    stack: list[tuple[str, str, int, int, int]] = []  # tag, argument, utf16 start, out index, pos
    entities: list[dict] = []
    i = 0

    def skip_spaces(j: int) -> int:
        while j < n and text[j] in _HTML_SPACES:
            j += 1
        return j

    while i < n:
        c = text[i]
        if c == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is not None:
                char, i = decoded
                out.append(char)
                out_utf16 += _utf16_len(char)
                continue
            if strict_ampersand:
                raise HtmlParseError(
                    f"Unsupported character entity at byte offset {_byte_offset(text, i)}; "
                    "write a literal '&' as &amp;"
                )
        if c != "<":
            out.append(c)
            out_utf16 += 2 if ord(c) > 0xFFFF else 1
            i += 1
            continue

        begin = i
        i += 1
        if i >= n or text[i] != "/":
            # start tag
            while i < n and text[i] not in _HTML_SPACES and text[i] != ">":
                i += 1
            if i >= n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            tag = text[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise HtmlParseError(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                )
            argument = ""
            while i < n and text[i] != ">":
                i = skip_spaces(i)
                if i >= n:
                    break
                if text[i] == ">":
                    break
                attr_begin = i
                while i < n and text[i] not in _HTML_SPACES and text[i] not in "=>":
                    i += 1
                attr_name = text[attr_begin:i]
                if not attr_name:
                    raise HtmlParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{_byte_offset(text, begin)}"
                    )
                i = skip_spaces(i)
                if i >= n:
                    break
                if text[i] != "=":
                    if tag == "blockquote" and attr_name.lower() == "expandable":
                        argument = "1"
                        continue
                    raise HtmlParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                i = skip_spaces(i + 1)
                if i >= n:
                    raise HtmlParseError(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                if text[i] not in "'\"":
                    token_begin = i
                    while i < n and ((text[i].isascii() and text[i].isalnum()) or text[i] in ".-"):
                        i += 1
                    value = text[token_begin:i].lower()
                    if i < n and text[i] not in _HTML_SPACES and text[i] != ">":
                        raise HtmlParseError(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(text, token_begin)}"
                        )
                else:
                    quote = text[i]
                    i += 1
                    chars: list[str] = []
                    while i < n and text[i] != quote:
                        if text[i] == "&":
                            decoded = _decode_html_entity(text, i)
                            if decoded is not None:
                                chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        chars.append(text[i])
                        i += 1
                    if i < n:
                        i += 1
                    value = "".join(chars)
                if i >= n:
                    break
                if tag == "a" and attr_name == "href":
                    argument = value
                elif tag == "code" and attr_name == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr_name == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr_name == "emoji-id":
                    argument = value
                elif tag == "blockquote" and attr_name == "expandable":
                    argument = "1"
            if i >= n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            if tag == "span" and argument != "spoiler":
                raise HtmlParseError(
                    'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(text, begin)}"
                )
            stack.append((tag, argument, out_utf16, len(out), begin))
            i += 1  # '>'
            continue

        # end tag
        if not stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
        i += 1  # '/'
        name_begin = i
        while i < n and text[i] not in _HTML_SPACES and text[i] != ">":
            i += 1
        end_name = text[name_begin:i]
        i = skip_spaces(i)
        if i >= n or text[i] != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
        i += 1
        tag, argument, start16, start_index, _ = stack.pop()
        if end_name and end_name.lower() != tag:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                f'expected "</{tag}>", found "</{end_name}>"'
            )
        length = out_utf16 - start16
        if length <= 0:
            continue
        entity: dict[str, Any] = {"type": _TAG_ENTITY[tag], "offset": start16, "length": length}
        if tag == "a":
            url = argument or "".join(out[start_index:])
            match = re.fullmatch(r"tg://user\?id=(\d+)", url)
            if match:
                entity = {
                    "type": "text_mention",
                    "offset": start16,
                    "length": length,
                    "user": {"id": int(match.group(1)), "is_bot": False, "first_name": ""},
                }
            elif not url:
                continue
            else:
                entity["url"] = url
        elif tag == "tg-emoji":
            if not argument.isdigit():
                raise HtmlParseError("Invalid custom emoji identifier specified")
            entity["custom_emoji_id"] = argument
        elif tag == "code" and argument:
            entity["language"] = argument
        elif tag == "blockquote" and argument:
            entity["type"] = "expandable_blockquote"
        entities.append(entity)

    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')

    # <pre><code class="language-x">...</code></pre> becomes a single pre entity with a language
    merged: list[dict] = []
    for entity in entities:
        if entity["type"] == "code":
            twin = next(
                (
                    e
                    for e in entities
                    if e["type"] == "pre"
                    and e["offset"] == entity["offset"]
                    and e["length"] == entity["length"]
                ),
                None,
            )
            if twin is not None:
                if "language" in entity:
                    twin["language"] = entity["language"]
                continue
        elif entity["type"] != "pre":
            entity.pop("language", None)
        merged.append(entity)
    merged.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), merged


def _strip_formatted(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Trim leading/trailing whitespace as Telegram does, keeping entities aligned."""
    stripped_left = text.lstrip()
    shift = _utf16_len(text[: len(text) - len(stripped_left)])
    result = stripped_left.rstrip()
    end = _utf16_len(result)
    fixed = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, end)
        if stop > start:
            fixed.append({**entity, "offset": start, "length": stop - start})
    return result, fixed


def _detect_entities(text: str) -> list[dict]:
    """The entities Telegram adds to an incoming message: a leading bot_command, mentions."""
    found: list[dict] = []
    command_end = 0
    match = _BOT_COMMAND_AT_START_RE.match(text)
    if match:
        command_end = match.end()
        found.append({"type": "bot_command", "offset": 0, "length": _utf16_len(match.group(0))})
    for match in _MENTION_RE.finditer(text):
        if match.start() < command_end:
            continue
        found.append(
            {
                "type": "mention",
                "offset": _utf16_len(text[: match.start()]),
                "length": _utf16_len(match.group(0)),
            }
        )
    return found


# --------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------


class _Server(HTTPServer):
    """HTTPServer with one thread per connection. It keeps track of its connections so
    ``stop()`` can close them and join every thread."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, stub: BotApiStub):
        self.stub = stub
        self.conn_lock = threading.Lock()
        self.conns: dict[socket.socket, dict] = {}
        self.counter = itertools.count(1)
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call socket.getfqdn(), a reverse DNS lookup; skip it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request, client_address):  # noqa: ANN001
        state = {"busy": False}
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name=f"BotApiStub-conn-{next(self.counter)}",
            daemon=True,
        )
        state["thread"] = thread
        with self.conn_lock:
            self.conns[request] = state
        thread.start()

    def _serve_connection(self, request, client_address):  # noqa: ANN001
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - a broken client must not break the stub
            _LOG.debug("connection handler failed", exc_info=True)
        finally:
            self.shutdown_request(request)
            with self.conn_lock:
                self.conns.pop(request, None)

    def set_busy(self, request, busy: bool) -> None:  # noqa: ANN001
        with self.conn_lock:
            state = self.conns.get(request)
            if state is not None:
                state["busy"] = busy


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx/1.18.0"
    sys_version = ""
    server: _Server

    def handle(self) -> None:
        try:
            super().handle()
        except (_Reset, OSError, ValueError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        _LOG.debug("stub %s - " + format, self.address_string(), *args)

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch()

    def _dispatch(self) -> None:
        self.server.set_busy(self.request, True)
        try:
            self.server.stub._handle_http(self)
        finally:
            self.server.set_busy(self.request, False)

    # helpers used by the stub
    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_bytes(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "keep-alive")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def reset(self) -> None:
        """Abort the connection with a TCP RST and no response."""
        sock = self.connection
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        for stream in (self.rfile, self.wfile):
            try:
                stream.close()
            except (OSError, ValueError):
                pass
        try:
            sock.close()
        except OSError:
            pass
        self.close_connection = True
        raise _Reset


# --------------------------------------------------------------------------------------------
# The stub
# --------------------------------------------------------------------------------------------


class BotApiStub:
    """A fake Telegram Bot API server. See the module docstring."""

    def __init__(
        self,
        token: str = "123456789:TEST-token_for_newsbot",
        *,
        bot_username: str = BOT_USERNAME,
        max_poll_timeout: float = 1.0,
        strict_ampersand: bool = True,
        strict_chats: bool = False,
    ):
        """
        Args:
            token: the bot token clients must use.
            bot_username: ``username`` in getMe and in ``from`` of the bot's messages.
            max_poll_timeout: getUpdates never blocks longer than this, whatever ``timeout`` asks.
            strict_ampersand: reject a bare ``&`` in HTML text (real Telegram keeps it as text).
            strict_chats: answer "chat not found" for chats no push_* or add_chat created.
        """
        self.token = token
        head = token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else 123456789
        self.bot_user = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.max_poll_timeout = max_poll_timeout
        self.strict_ampersand = strict_ampersand
        self.strict_chats = strict_chats

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._stop_event = threading.Event()
        self._stopping = False
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

        self._calls: list[Call] = []
        self._faults: list[_Fault] = []
        self.faults_served: list[tuple[str, str]] = []
        self.unauthorized: list[str] = []  # paths of requests rejected for a wrong token

        self._updates: list[dict] = []
        self._update_ids = itertools.count(100_000_001)
        self._delivered: set[int] = set()
        self._confirmed_below = 0
        self._poll_generation = 0
        self._allowed_updates: list[str] = []

        self._users: dict[int, dict] = {}
        self._chats: dict[int | str, dict] = {}
        self._messages: dict[tuple[Any, int], dict] = {}
        self._next_message_id: dict[Any, int] = {}
        self._files: dict[str, dict] = {}  # file_id -> {"meta": File dict, "content": bytes}
        self._files_by_path: dict[str, bytes] = {}
        self._file_counter = itertools.count(1)
        self._callback_queries: dict[str, dict] = {}
        self._inline_queries: dict[str, dict] = {}
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self.answered_callback_queries: dict[str, dict] = {}
        self.answered_inline_queries: dict[str, dict] = {}

        self.webhook: dict | None = None
        self.my_commands: dict[tuple[str, str], list[dict]] = {}
        self._extra_methods: dict[str, tuple[str, Callable[[dict], Any]]] = {}

        self._methods: dict[str, tuple[str, Callable[[dict], Any]]] = {}
        for name, func in (
            ("getMe", self._m_get_me),
            ("getUpdates", self._m_get_updates),
            ("deleteWebhook", self._m_delete_webhook),
            ("setWebhook", self._m_set_webhook),
            ("getWebhookInfo", self._m_get_webhook_info),
            ("setMyCommands", self._m_set_my_commands),
            ("getMyCommands", self._m_get_my_commands),
            ("deleteMyCommands", self._m_delete_my_commands),
            ("sendMessage", self._m_send_message),
            ("editMessageText", self._m_edit_message_text),
            ("editMessageReplyMarkup", self._m_edit_message_reply_markup),
            ("sendChatAction", self._m_send_chat_action),
            ("answerCallbackQuery", self._m_answer_callback_query),
            ("answerInlineQuery", self._m_answer_inline_query),
            ("getFile", self._m_get_file),
            ("sendDocument", self._m_send_document),
        ):
            self._methods[name.lower()] = (name, func)

    # ---------------------------------------------------------------- lifecycle

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("BotApiStub is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url()`` / ``Bot(base_url=...)``: PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url()``: PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    def start(self) -> BotApiStub:
        if self._server is not None:
            raise RuntimeError("BotApiStub already started")
        with self._cond:
            self._stopping = False
        self._stop_event.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="BotApiStub-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving: end blocked long polls and timeouts, close connections, join threads."""
        server = self._server
        if server is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._stop_event.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout)

        # Let requests in progress finish (long polls were just woken); close idle keep-alive
        # connections straight away, busy ones once they are idle or after a grace period.
        deadline = time.monotonic() + min(1.0, timeout)
        while True:
            with server.conn_lock:
                states = list(server.conns.items())
            if not states:
                break
            force = time.monotonic() >= deadline
            for sock, state in states:
                if force or not state["busy"]:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            if force:
                break
            time.sleep(0.01)
        with server.conn_lock:
            threads = [state["thread"] for state in server.conns.values()]
        end = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, end - time.monotonic()))
        self._server = None
        self._thread = None

    def __enter__(self) -> BotApiStub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- recorded requests

    @property
    def calls(self) -> list[Call]:
        """Every request with its outcome, in the order the stub answered them."""
        with self._lock:
            return list(self._calls)

    @property
    def requests(self) -> list[tuple[str, dict]]:
        """``(method, params)`` of every request received, in order (failed ones included;
        requests with a wrong token are only listed in ``unauthorized``)."""
        with self._lock:
            return [(call.method, call.params) for call in self._calls]

    @property
    def set_commands(self) -> list[dict]:
        """Params of every successful setMyCommands call, in order."""
        return self.sent("setMyCommands")

    def commands(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        """The command list currently set for ``scope`` (default scope) and ``language_code``."""
        with self._lock:
            return list(self.my_commands.get(_commands_key(scope, language_code), []))

    def sent(self, method: str = "sendMessage", chat_id: int | str | None = None) -> list[dict]:
        """Params of the *successful* calls of ``method`` (optionally to ``chat_id``)."""
        with self._lock:
            return [
                call.params
                for call in self._calls
                if call.method == method
                and call.ok
                and (chat_id is None or _same_chat(call.params.get("chat_id"), chat_id))
            ]

    def texts(self, chat_id: int | str | None = None) -> list[str]:
        """The ``text`` of every successful sendMessage (optionally to ``chat_id``)."""
        return [params.get("text", "") for params in self.sent("sendMessage", chat_id)]

    def clear_requests(self) -> None:
        with self._lock:
            self._calls.clear()

    def _matcher(self, predicate_or_method: str | Callable[[str, dict], bool], ok: bool | None):
        if isinstance(predicate_or_method, str):
            wanted = predicate_or_method

            def base(method: str, params: dict) -> bool:
                return method == wanted
        else:
            base = predicate_or_method

        def matches(call: Call) -> bool:
            if ok is not None and call.ok != ok:
                return False
            return bool(base(call.method, call.params))

        return matches

    def wait_for(
        self,
        predicate_or_method: str | Callable[[str, dict], bool],
        count: int = 1,
        timeout: float = 10.0,
        *,
        ok: bool | None = None,
    ) -> list[dict]:
        """Block until ``count`` recorded requests match, then return their params.

        ``predicate_or_method`` is a method name or ``callable(method, params) -> bool``.
        ``ok=True`` counts only successful calls, ``ok=False`` only failed ones; by default
        every received request counts. Raises AssertionError with a dump of what was received
        on timeout. It blocks the calling thread: from a coroutine use ``wait_for_async``.
        """
        matches = self._matcher(predicate_or_method, ok)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [call.params for call in self._calls if matches(call)]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(self._timeout_report(predicate_or_method, count, found))
                self._cond.wait(remaining)

    async def wait_for_async(
        self,
        predicate_or_method: str | Callable[[str, dict], bool],
        count: int = 1,
        timeout: float = 10.0,
        *,
        ok: bool | None = None,
    ) -> list[dict]:
        """``wait_for`` for coroutines: polls without blocking the event loop."""
        matches = self._matcher(predicate_or_method, ok)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [call.params for call in self._calls if matches(call)]
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(self._timeout_report(predicate_or_method, count, found))
            await asyncio.sleep(0.01)

    def _timeout_report(self, what: Any, count: int, found: list[dict]) -> str:
        with self._lock:
            lines = [
                f"  {call.method} -> {call.status}"
                f"{' [fault ' + call.fault + ']' if call.fault else ''}"
                f"{' ' + call.description if call.description else ''}: "
                f"{json.dumps(call.params, default=repr, ensure_ascii=False)[:300]}"
                for call in self._calls[-40:]
            ]
            pending = len(self._updates)
        name = what if isinstance(what, str) else getattr(what, "__name__", repr(what))
        return (
            f"timed out waiting for {count} request(s) matching {name}; got {len(found)}.\n"
            f"{len(lines)} most recent requests (pending updates: {pending}):\n"
            + ("\n".join(lines) or "  (none)")
        )

    # ---------------------------------------------------------------- faults

    def inject_fault(self, method: str, kind: str, times: int = 1, **options: Any) -> None:
        """Make the next ``times`` calls of ``method`` (``"*"``: any method) fail.

        Kinds and options:
          "429"      {"ok": false, "error_code": 429, ..., "parameters": {"retry_after": N}};
                     option ``retry_after`` (default 1).
          "500"      JSON 500 "Internal Server Error".
          "502"      plain HTTP 502 with an nginx HTML page (not JSON).
          "reset"    close the connection abruptly (TCP RST) without an answer.
          "timeout"  handle the call normally (its effect happens, like a message that was
                     sent) but answer only after ``seconds`` (default 3.0).
          "bad_html" 400 "Bad Request: can't parse entities: ..."; option ``description``.
          "400" / "403" / "409"  that error; option ``description``.
        The request is still recorded, with ``fault`` set; ``faults_served`` lists the faults
        actually used, as ``(method, kind)``.
        """
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults.append(_Fault(method, kind, times, dict(options)))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.method in (method, "*"):
                    fault.remaining -= 1
                    self.faults_served.append((method, fault.kind))
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # ---------------------------------------------------------------- extension

    def add_method(self, name: str, handler: Callable[[dict], Any]) -> None:
        """Serve another Bot API method: ``handler(params) -> result``; raise BotApiError to fail."""
        with self._lock:
            self._methods[name.lower()] = (name, handler)

    # ---------------------------------------------------------------- users, chats, files

    def _user(self, user_id: int, username: str | None = None, first_name: str | None = None,
              language_code: str | None = "en") -> dict:
        with self._lock:
            user = self._users.get(user_id)
            if user is None:
                user = {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}",
                        "username": username or f"user{user_id}"}
                if language_code:
                    user["language_code"] = language_code
                self._users[user_id] = user
            else:
                if username:
                    user["username"] = username
                if first_name:
                    user["first_name"] = first_name
            return dict(user)

    def add_chat(self, chat_id: int | str, chat_type: str = "private", *, title: str | None = None,
                 username: str | None = None, first_name: str | None = None,
                 is_forum: bool | None = None) -> dict:
        """Create (or update) a chat the bot knows; returns the Chat dict."""
        if chat_type not in ("private", "group", "supergroup", "channel"):
            raise ValueError(f"bad chat_type {chat_type!r}")
        with self._lock:
            chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
            if chat_type == "private":
                user = self._users.get(chat_id) if isinstance(chat_id, int) else None
                chat["first_name"] = first_name or (user or {}).get("first_name") or f"User{chat_id}"
                name = username or (user or {}).get("username")
                if name:
                    chat["username"] = name
            else:
                chat["title"] = title or {"group": "Test Group", "supergroup": "Test Supergroup",
                                          "channel": "Test Channel"}[chat_type]
                if username:
                    chat["username"] = username
                if is_forum:
                    chat["is_forum"] = True
            self._chats[chat_id] = chat
            return dict(chat)

    def _chat_for_push(self, user: dict, chat_id: int | None, chat_type: str,
                       chat_title: str | None) -> dict:
        if chat_type == "private":
            chat_id = user["id"] if chat_id is None else chat_id
        elif chat_id is None:
            chat_id = DEFAULT_GROUP_ID if chat_type == "group" else DEFAULT_SUPERGROUP_ID
        with self._lock:
            existing = self._chats.get(chat_id)
            if existing is not None and existing["type"] == chat_type and not chat_title:
                return dict(existing)
            return self.add_chat(chat_id, chat_type, title=chat_title,
                                 username=user.get("username") if chat_type == "private" else None,
                                 first_name=user["first_name"] if chat_type == "private" else None)

    def _chat_for_send(self, chat_id: Any) -> dict:
        if chat_id is None or chat_id == "":
            raise BotApiError(400, "Bad Request: chat_id is empty")
        key = _chat_key(chat_id)
        with self._lock:
            chat = self._chats.get(key)
            if chat is None and isinstance(key, str):
                chat = next((c for c in self._chats.values()
                             if "@" + str(c.get("username", "")).lower() == key.lower()), None)
            if chat is not None:
                return dict(chat)
            if self.strict_chats or not isinstance(key, int):
                raise BotApiError(400, "Bad Request: chat not found")
            if key > 0:
                return self.add_chat(key, "private")
            return self.add_chat(key, "supergroup" if str(key).startswith("-100") else "group")

    def _new_message_id(self, chat_id: Any) -> int:
        with self._lock:
            value = self._next_message_id.get(chat_id, 1)
            self._next_message_id[chat_id] = value + 1
            return value

    def message(self, chat_id: int | str, message_id: int) -> dict | None:
        """The stored Message dict (pushed or sent by the bot, edits applied)."""
        with self._lock:
            msg = self._messages.get((_chat_key(chat_id), int(message_id)))
            return json.loads(json.dumps(msg)) if msg is not None else None

    def bot_messages(self, chat_id: int | str | None = None) -> list[dict]:
        """Messages the bot sent (current state, edits applied), oldest first."""
        with self._lock:
            found = [
                m for m in self._messages.values()
                if m.get("from", {}).get("id") == self.bot_id
                and (chat_id is None or _same_chat(m["chat"]["id"], chat_id))
            ]
            return json.loads(json.dumps(found))

    def register_file(self, content: bytes, *, file_path: str | None = None,
                      file_name: str | None = None, folder: str = "documents",
                      file_id: str | None = None) -> dict:
        """Make ``content`` available to getFile and the file download URL. Returns the
        ``{"file_id", "file_unique_id", "file_size", "file_path"}`` dict."""
        number = next(self._file_counter)
        if file_path is None:
            suffix = ""
            if file_name and "." in file_name:
                suffix = "." + file_name.rsplit(".", 1)[1]
            file_path = f"{folder}/file_{number}{suffix}"
        meta = {
            "file_id": file_id or f"BQACAgIAAxkBAAI{number:06d}stubfile",
            "file_unique_id": f"AgAD{number:06d}",
            "file_size": len(content),
            "file_path": file_path,
        }
        with self._lock:
            self._files[meta["file_id"]] = {"meta": meta, "content": bytes(content)}
            self._files_by_path[file_path] = bytes(content)
        return dict(meta)

    # ---------------------------------------------------------------- pushing updates

    def push_update(self, body: dict) -> dict:
        """Enqueue a raw update (``body`` without ``update_id``); returns the full update."""
        with self._cond:
            update = {"update_id": next(self._update_ids), **body}
            self._updates.append(update)
            self._cond.notify_all()
            return json.loads(json.dumps(update))

    def _base_message(self, *, user_id: int, chat_id: int | None, chat_type: str,
                      username: str | None, first_name: str | None, chat_title: str | None,
                      reply_to_message: dict | int | None, message_thread_id: int | None) -> dict:
        user = self._user(user_id, username, first_name)
        chat = self._chat_for_push(user, chat_id, chat_type, chat_title)
        msg: dict[str, Any] = {
            "message_id": self._new_message_id(chat["id"]),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
        }
        if message_thread_id is not None:
            msg["message_thread_id"] = message_thread_id
        if reply_to_message is not None:
            if isinstance(reply_to_message, int):
                replied = self.message(chat["id"], reply_to_message)
                if replied is None:
                    raise ValueError(f"no message {reply_to_message} in chat {chat['id']}")
                reply_to_message = replied
            replied = dict(reply_to_message)
            replied.pop("reply_to_message", None)
            msg["reply_to_message"] = replied
        return msg

    def _store_and_push(self, msg: dict) -> dict:
        with self._lock:
            self._messages[(msg["chat"]["id"], msg["message_id"])] = msg
        return self.push_update({"message": msg})

    def push_message(
        self,
        text: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        chat_id: int | None = None,
        chat_type: str = "private",
        username: str | None = None,
        first_name: str | None = None,
        chat_title: str | None = None,
        reply_to_message: dict | int | None = None,
        entities: list[dict] | None = None,
        message_thread_id: int | None = None,
    ) -> dict:
        """Enqueue an Update with a text Message from a user; returns the update.

        ``chat_id`` defaults to ``user_id`` in private chats, else to a fixed group id.
        ``entities=None`` makes Telegram-style entities (leading bot_command, @mentions);
        pass ``[]`` for none. ``reply_to_message`` is a Message dict or a message_id in the chat.
        """
        msg = self._base_message(user_id=user_id, chat_id=chat_id, chat_type=chat_type,
                                 username=username, first_name=first_name, chat_title=chat_title,
                                 reply_to_message=reply_to_message,
                                 message_thread_id=message_thread_id)
        msg["text"] = text
        ents = _detect_entities(text) if entities is None else list(entities)
        if ents:
            msg["entities"] = ents
        return self._store_and_push(msg)

    def push_command(self, text: str, **kwargs: Any) -> dict:
        """``push_message`` for a command: adds a leading ``/`` if missing and makes sure the
        bot_command entity is there (``/start``, ``/ask some question``, ``/help@newsbot_test_bot``)."""
        if not text.startswith("/"):
            text = "/" + text
        entities = kwargs.pop("entities", None)
        if entities is None:
            entities = _detect_entities(text)
        if not any(e.get("type") == "bot_command" and e.get("offset") == 0 for e in entities):
            first = text.split(maxsplit=1)[0]
            entities = [{"type": "bot_command", "offset": 0, "length": _utf16_len(first)}, *entities]
        return self.push_message(text, entities=entities, **kwargs)

    def push_callback_query(
        self,
        data: str,
        message: dict | int | None = None,
        *,
        user_id: int = DEFAULT_USER_ID,
        username: str | None = None,
        chat_id: int | None = None,
        inline_message_id: str | None = None,
    ) -> dict:
        """Enqueue a CallbackQuery (a button press) with ``data``; returns the update.

        ``message`` is the Message dict carrying the keyboard, or its message_id in ``chat_id``
        (default: the user's private chat); ``None`` means the bot's latest message in that
        chat, unless ``inline_message_id`` is given.
        """
        user = self._user(user_id, username)
        query: dict[str, Any] = {
            "id": str(next(self._query_ids)),
            "from": user,
            "chat_instance": str(-(7_000_000_000_000_000_000 + user_id)),
            "data": data,
        }
        if inline_message_id is not None:
            query["inline_message_id"] = inline_message_id
        else:
            target_chat = user_id if chat_id is None else chat_id
            if message is None:
                mine = self.bot_messages(target_chat)
                if not mine:
                    raise ValueError(f"the bot has sent no message to chat {target_chat}")
                message = mine[-1]
            elif isinstance(message, int):
                found = self.message(target_chat, message)
                if found is None:
                    raise ValueError(f"no message {message} in chat {target_chat}")
                message = found
            query["message"] = message
        with self._lock:
            self._callback_queries[query["id"]] = query
        return self.push_update({"callback_query": query})

    def push_inline_query(
        self,
        query: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        username: str | None = None,
        offset: str = "",
        chat_type: str | None = "sender",
    ) -> dict:
        """Enqueue an InlineQuery (``@newsbot_test_bot <query>``); returns the update."""
        body: dict[str, Any] = {
            "id": str(next(self._query_ids)),
            "from": self._user(user_id, username),
            "query": query,
            "offset": offset,
        }
        if chat_type:
            body["chat_type"] = chat_type
        with self._lock:
            self._inline_queries[body["id"]] = body
        return self.push_update({"inline_query": body})

    def push_document(
        self,
        file_name: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        *,
        user_id: int = DEFAULT_USER_ID,
        chat_id: int | None = None,
        caption: str | None = None,
        chat_type: str = "private",
        username: str | None = None,
        omit_size: bool = False,
    ) -> dict:
        """Enqueue a Message with a Document; the bytes are served by getFile + download.
        ``omit_size`` leaves ``file_size`` out of the Document, as Telegram may."""
        meta = self.register_file(content, file_name=file_name, folder="documents")
        msg = self._base_message(user_id=user_id, chat_id=chat_id, chat_type=chat_type,
                                 username=username, first_name=None, chat_title=None,
                                 reply_to_message=None, message_thread_id=None)
        msg["document"] = {
            "file_name": file_name,
            "mime_type": mime_type,
            "file_id": meta["file_id"],
            "file_unique_id": meta["file_unique_id"],
            "file_size": meta["file_size"],
        }
        if omit_size:
            del msg["document"]["file_size"]
        if caption is not None:
            msg["caption"] = caption
            ents = _detect_entities(caption)
            if ents:
                msg["caption_entities"] = ents
        return self._store_and_push(msg)

    def push_photo(
        self,
        content: bytes = b"\xff\xd8\xff\xe0stub-jpeg\xff\xd9",
        *,
        user_id: int = DEFAULT_USER_ID,
        chat_id: int | None = None,
        caption: str | None = None,
        width: int = 1280,
        height: int = 720,
        chat_type: str = "private",
        username: str | None = None,
    ) -> dict:
        """Enqueue a Message with a photo (a thumbnail and a full size, both serving ``content``)."""
        thumb = self.register_file(content, folder="photos", file_name="thumb.jpg")
        full = self.register_file(content, folder="photos", file_name="photo.jpg")
        msg = self._base_message(user_id=user_id, chat_id=chat_id, chat_type=chat_type,
                                 username=username, first_name=None, chat_title=None,
                                 reply_to_message=None, message_thread_id=None)
        scale = 90 / max(width, height, 1)
        msg["photo"] = [
            {"file_id": thumb["file_id"], "file_unique_id": thumb["file_unique_id"],
             "file_size": thumb["file_size"], "width": max(1, round(width * scale)),
             "height": max(1, round(height * scale))},
            {"file_id": full["file_id"], "file_unique_id": full["file_unique_id"],
             "file_size": full["file_size"], "width": width, "height": height},
        ]
        if caption is not None:
            msg["caption"] = caption
        return self._store_and_push(msg)

    def push_sticker(
        self,
        emoji: str = "👍",
        *,
        content: bytes = b"RIFF\x00\x00\x00\x00WEBPstub",
        user_id: int = DEFAULT_USER_ID,
        chat_id: int | None = None,
        set_name: str | None = "NewsbotTestStickers",
        sticker_type: str = "regular",
        is_animated: bool = False,
        is_video: bool = False,
        chat_type: str = "private",
        username: str | None = None,
    ) -> dict:
        """Enqueue a Message with a Sticker."""
        meta = self.register_file(content, folder="stickers", file_name="sticker.webp")
        msg = self._base_message(user_id=user_id, chat_id=chat_id, chat_type=chat_type,
                                 username=username, first_name=None, chat_title=None,
                                 reply_to_message=None, message_thread_id=None)
        sticker: dict[str, Any] = {
            "file_id": meta["file_id"],
            "file_unique_id": meta["file_unique_id"],
            "file_size": meta["file_size"],
            "type": sticker_type,
            "width": 512,
            "height": 512,
            "is_animated": is_animated,
            "is_video": is_video,
            "emoji": emoji,
        }
        if set_name:
            sticker["set_name"] = set_name
        msg["sticker"] = sticker
        return self._store_and_push(msg)

    def pending_updates(self) -> list[dict]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._lock:
            return json.loads(json.dumps(self._updates))

    def wait_delivered(self, update: dict | int | None = None, timeout: float = 10.0) -> None:
        """Block until ``update`` (default: every update pushed so far) was returned by getUpdates."""
        with self._cond:
            if update is None:
                wanted = {u["update_id"] for u in self._updates}
            else:
                wanted = {update["update_id"] if isinstance(update, dict) else int(update)}
            deadline = time.monotonic() + timeout
            while True:
                missing = {
                    uid for uid in wanted
                    if uid not in self._delivered and uid >= self._confirmed_below
                }
                if not missing:
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"updates {sorted(missing)} were never fetched by getUpdates")
                self._cond.wait(remaining)

    # ---------------------------------------------------------------- HTTP entry point

    def _handle_http(self, handler: _Handler) -> None:
        url = urlsplit(handler.path)
        path = unquote(url.path)
        body = handler.read_body() if handler.command == "POST" else b""

        if path.startswith("/file/bot"):
            self._serve_file(handler, path[len("/file/bot") :])
            return

        match = re.fullmatch(r"/bot([^/]*)/([^/]*)/?", path)
        if not match:
            self._send_json(handler, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        token, method_name = match.groups()
        if token != self.token:
            with self._cond:
                self.unauthorized.append(path)
                self._cond.notify_all()
            self._send_json(
                handler, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
            return
        try:
            params = dict(_decode_form(parse_qsl(url.query, keep_blank_values=True)))
            params.update(_parse_body(handler.headers.get("Content-Type", ""), body))
        except ValueError as exc:
            self._send_json(handler, 400, {"ok": False, "error_code": 400,
                                           "description": f"Bad Request: {exc}"})
            return

        with self._lock:
            entry = self._methods.get(method_name.lower())
        if entry is None:
            self._record(Call(method_name, params, 404, False,
                              description="Not Found: method not found"))
            self._send_json(handler, 404, {"ok": False, "error_code": 404,
                                           "description": "Not Found: method not found"})
            return
        method, func = entry

        fault = self._take_fault(method)
        if fault is not None and fault.kind != "timeout":
            self._serve_fault(handler, method, params, fault)
            return

        try:
            result = func(params)
        except BotApiError as exc:
            payload: dict[str, Any] = {"ok": False, "error_code": exc.code,
                                       "description": exc.description}
            if exc.parameters:
                payload["parameters"] = exc.parameters
            self._record(Call(method, params, exc.code, False, description=exc.description,
                              fault=fault.kind if fault else None))
            self._delay_for(fault)
            self._send_json(handler, exc.code, payload)
            return
        except Exception as exc:  # noqa: BLE001 - a stub bug must show up as a 500, not a hang
            _LOG.exception("BotApiStub: %s failed", method)
            self._record(Call(method, params, 500, False, description=f"stub error: {exc!r}"))
            self._send_json(handler, 500, {"ok": False, "error_code": 500,
                                           "description": f"Internal Server Error: {exc!r}"})
            return
        self._record(Call(method, params, 200, True, result=result,
                          fault=fault.kind if fault else None))
        self._delay_for(fault)
        self._send_json(handler, 200, {"ok": True, "result": result})

    def _delay_for(self, fault: _Fault | None) -> None:
        if fault is not None and fault.kind == "timeout":
            self._stop_event.wait(float(fault.options.get("seconds", 3.0)))

    def _serve_fault(self, handler: _Handler, method: str, params: dict, fault: _Fault) -> None:
        kind = fault.kind
        if kind == "reset":
            self._record(Call(method, params, 0, False, description="connection reset", fault=kind))
            handler.reset()
        if kind == "502":
            self._record(Call(method, params, 502, False, description="Bad Gateway", fault=kind))
            handler.send_bytes(502, _BAD_GATEWAY_HTML, "text/html")
            return
        payload: dict[str, Any]
        if kind == "429":
            retry_after = int(fault.options.get("retry_after", 1))
            payload = {"ok": False, "error_code": 429,
                       "description": f"Too Many Requests: retry after {retry_after}",
                       "parameters": {"retry_after": retry_after}}
        elif kind == "500":
            payload = {"ok": False, "error_code": 500,
                       "description": fault.options.get("description", "Internal Server Error")}
        elif kind == "bad_html":
            payload = {"ok": False, "error_code": 400, "description": fault.options.get(
                "description",
                "Bad Request: can't parse entities: Unsupported start tag \"stub\" at byte offset 0")}
        else:  # "400", "403", "409"
            defaults = {
                "400": "Bad Request: injected fault",
                "403": "Forbidden: bot was blocked by the user",
                "409": "Conflict: terminated by other getUpdates request; make sure that only "
                       "one bot instance is running",
            }
            payload = {"ok": False, "error_code": int(kind),
                       "description": fault.options.get("description", defaults[kind])}
        self._record(Call(method, params, payload["error_code"], False,
                          description=payload["description"], fault=kind))
        self._send_json(handler, payload["error_code"], payload)

    def _serve_file(self, handler: _Handler, rest: str) -> None:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            self._send_json(handler, 401, {"ok": False, "error_code": 401,
                                           "description": "Unauthorized"})
            return
        with self._lock:
            content = self._files_by_path.get(file_path)
        if content is None:
            self._send_json(handler, 404, {"ok": False, "error_code": 404,
                                           "description": "Not Found"})
            return
        handler.send_bytes(200, content, "application/octet-stream")

    def _record(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    @staticmethod
    def _send_json(handler: _Handler, status: int, payload: dict) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        handler.send_bytes(status, body, "application/json")

    # ---------------------------------------------------------------- Bot API methods

    def _m_get_me(self, params: dict) -> dict:
        return dict(self.bot_user)

    def _m_get_updates(self, params: dict) -> list[dict]:
        offset = _as_int(params.get("offset"), 0)
        limit = min(max(_as_int(params.get("limit"), 100), 1), 100)
        timeout = max(0.0, min(float(params.get("timeout") or 0), self.max_poll_timeout))
        allowed = params.get("allowed_updates")
        with self._cond:
            if self.webhook is not None:
                raise BotApiError(409, "Conflict: can't use getUpdates method while webhook is "
                                       "active; use deleteWebhook to delete the webhook first")
            if isinstance(allowed, list):
                self._allowed_updates = [str(a) for a in allowed]
            self._poll_generation += 1
            generation = self._poll_generation
            self._cond.notify_all()  # an older poll still waiting gets 409
            deadline = time.monotonic() + timeout
            while True:
                if offset > 0:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                    self._confirmed_below = max(self._confirmed_below, offset)
                elif offset < 0:
                    kept = self._updates[offset:]
                    if kept:
                        self._confirmed_below = max(self._confirmed_below, kept[0]["update_id"])
                    self._updates = kept
                    offset = kept[0]["update_id"] if kept else 0
                batch = [u for u in self._updates if self._allowed(u)][:limit]
                if batch or self._stopping:
                    break
                if generation != self._poll_generation:
                    raise BotApiError(409, "Conflict: terminated by other getUpdates request; "
                                           "make sure that only one bot instance is running")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            self._delivered.update(u["update_id"] for u in batch)
            self._cond.notify_all()
            return json.loads(json.dumps(batch))

    def _allowed(self, update: dict) -> bool:
        if not self._allowed_updates:
            return True
        kinds = [key for key in update if key != "update_id"]
        return any(kind in self._allowed_updates for kind in kinds)

    def _m_delete_webhook(self, params: dict) -> bool:
        with self._cond:
            self.webhook = None
            if _as_bool(params.get("drop_pending_updates")):
                if self._updates:
                    self._confirmed_below = self._updates[-1]["update_id"] + 1
                self._updates.clear()
        return True

    def _m_set_webhook(self, params: dict) -> bool:
        url = params.get("url", "")
        with self._cond:
            if not url:
                self.webhook = None
                return True
            if not str(url).startswith("https://"):
                raise BotApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided "
                                       "for webhook")
            self.webhook = {key: value for key, value in params.items()}
            if _as_bool(params.get("drop_pending_updates")):
                self._updates.clear()
        return True

    def _m_get_webhook_info(self, params: dict) -> dict:
        with self._lock:
            info: dict[str, Any] = {
                "url": "",
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if self.webhook:
                info["url"] = self.webhook["url"]
                info["has_custom_certificate"] = "certificate" in self.webhook
                info["max_connections"] = _as_int(self.webhook.get("max_connections"), 40)
                if self.webhook.get("ip_address"):
                    info["ip_address"] = self.webhook["ip_address"]
                if self.webhook.get("allowed_updates"):
                    info["allowed_updates"] = self.webhook["allowed_updates"]
            return info

    def _m_set_my_commands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise BotApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise BotApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict):
                raise BotApiError(400, "Bad Request: can't parse BotCommand")
            name = str(command.get("command", "")).lstrip("/")
            description = str(command.get("description", "")).strip()
            if not _COMMAND_RE.fullmatch(name):
                raise BotApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise BotApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = _commands_key(params.get("scope"), params.get("language_code", ""))
        with self._lock:
            if cleaned:
                self.my_commands[key] = cleaned
            else:
                self.my_commands.pop(key, None)
        return True

    def _m_get_my_commands(self, params: dict) -> list[dict]:
        return self.commands(params.get("scope"), params.get("language_code", ""))

    def _m_delete_my_commands(self, params: dict) -> bool:
        key = _commands_key(params.get("scope"), params.get("language_code", ""))
        with self._lock:
            self.my_commands.pop(key, None)
        return True

    def _formatted(self, params: dict, field_name: str, limit: int, entities_field: str,
                   too_long: str, empty: str | None) -> tuple[str, list[dict]]:
        raw = params.get(field_name)
        text = "" if raw is None else str(raw)
        entities = params.get(entities_field)
        parse_mode = params.get("parse_mode")
        if entities is not None:
            if not isinstance(entities, list):
                raise BotApiError(400, f"Bad Request: can't parse {entities_field} JSON object")
            plain, ents = text, [dict(e) for e in entities]
        elif isinstance(parse_mode, str) and parse_mode.lower() == "html":
            try:
                plain, ents = parse_telegram_html(text, strict_ampersand=self.strict_ampersand)
            except HtmlParseError as exc:
                raise BotApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        elif parse_mode not in (None, "", "Markdown", "MarkdownV2", "markdown", "markdownv2"):
            raise BotApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")
        else:
            plain, ents = text, []
        plain, ents = _strip_formatted(plain, ents)
        if empty is not None and not plain:
            raise BotApiError(400, empty)
        if len(plain) > limit:
            raise BotApiError(400, too_long)
        return plain, ents

    def _reply_to(self, params: dict, chat: dict) -> dict | None:
        reply = params.get("reply_parameters")
        if reply is None and params.get("reply_to_message_id") is not None:
            reply = {"message_id": params["reply_to_message_id"],
                     "allow_sending_without_reply": params.get("allow_sending_without_reply")}
        if not isinstance(reply, dict) or reply.get("message_id") is None:
            return None
        target_chat = reply.get("chat_id", chat["id"])
        replied = self.message(target_chat, _as_int(reply["message_id"], 0))
        if replied is None:
            if _as_bool(reply.get("allow_sending_without_reply")):
                return None
            raise BotApiError(400, "Bad Request: message to be replied not found")
        replied.pop("reply_to_message", None)
        return replied

    def _m_send_message(self, params: dict) -> dict:
        chat = self._chat_for_send(params.get("chat_id"))
        text, entities = self._formatted(params, "text", MAX_TEXT_LENGTH, "entities",
                                         "Bad Request: message is too long",
                                         "Bad Request: message text is empty")
        markup = _reply_markup(params.get("reply_markup"))
        replied = self._reply_to(params, chat)
        msg: dict[str, Any] = {
            "message_id": self._new_message_id(chat["id"]),
            "from": dict(self.bot_user_short),
            "chat": chat,
            "date": int(time.time()),
        }
        if params.get("message_thread_id") is not None:
            msg["message_thread_id"] = _as_int(params["message_thread_id"], 0)
        if replied is not None:
            msg["reply_to_message"] = replied
        msg["text"] = text
        if entities:
            msg["entities"] = entities
        if params.get("link_preview_options") is not None:
            msg["link_preview_options"] = params["link_preview_options"]
        if markup is not None and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        with self._lock:
            self._messages[(chat["id"], msg["message_id"])] = msg
            return json.loads(json.dumps(msg))

    @property
    def bot_user_short(self) -> dict:
        return {key: self.bot_user[key] for key in ("id", "is_bot", "first_name", "username")}

    def _editable(self, params: dict) -> dict | None:
        """The stored message an edit targets, or None for inline messages."""
        if params.get("inline_message_id"):
            return None
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise BotApiError(400, "Bad Request: chat_id is empty")
        if params.get("message_id") is None:
            raise BotApiError(400, "Bad Request: message identifier is not specified")
        with self._lock:
            msg = self._messages.get((_chat_key(chat_id), _as_int(params["message_id"], 0)))
        if msg is None:
            raise BotApiError(400, "Bad Request: message to edit not found")
        if msg.get("from", {}).get("id") != self.bot_id:
            raise BotApiError(400, "Bad Request: message can't be edited")
        return msg

    def _m_edit_message_text(self, params: dict) -> dict | bool:
        text, entities = self._formatted(params, "text", MAX_TEXT_LENGTH, "entities",
                                         "Bad Request: MESSAGE_TOO_LONG",
                                         "Bad Request: message text is empty")
        markup = _reply_markup(params.get("reply_markup"))
        msg = self._editable(params)
        if msg is None:
            return True
        with self._lock:
            new_markup = markup if markup and "inline_keyboard" in markup else None
            if (msg.get("text") == text and msg.get("entities", []) == entities
                    and msg.get("reply_markup") == new_markup):
                raise BotApiError(400, _NOT_MODIFIED)
            msg["text"] = text
            if entities:
                msg["entities"] = entities
            else:
                msg.pop("entities", None)
            if new_markup is not None:
                msg["reply_markup"] = new_markup
            else:
                msg.pop("reply_markup", None)
            msg["edit_date"] = int(time.time())
            return json.loads(json.dumps(msg))

    def _m_edit_message_reply_markup(self, params: dict) -> dict | bool:
        markup = _reply_markup(params.get("reply_markup"))
        msg = self._editable(params)
        if msg is None:
            return True
        with self._lock:
            new_markup = markup if markup and "inline_keyboard" in markup else None
            if msg.get("reply_markup") == new_markup:
                raise BotApiError(400, _NOT_MODIFIED)
            if new_markup is not None:
                msg["reply_markup"] = new_markup
            else:
                msg.pop("reply_markup", None)
            msg["edit_date"] = int(time.time())
            return json.loads(json.dumps(msg))

    def _m_send_chat_action(self, params: dict) -> bool:
        self._chat_for_send(params.get("chat_id"))
        if params.get("action") not in _CHAT_ACTIONS:
            raise BotApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _m_answer_callback_query(self, params: dict) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        with self._lock:
            if query_id not in self._callback_queries or query_id in self.answered_callback_queries:
                raise BotApiError(400, _QUERY_TOO_OLD)
            if len(str(params.get("text") or "")) > 200:
                raise BotApiError(400, "Bad Request: MESSAGE_TOO_LONG")
            self.answered_callback_queries[query_id] = dict(params)
        return True

    def _m_answer_inline_query(self, params: dict) -> bool:
        query_id = str(params.get("inline_query_id", ""))
        results = params.get("results")
        if not isinstance(results, list):
            raise BotApiError(400, "Bad Request: can't parse inline query results JSON object")
        if len(results) > 50:
            raise BotApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        seen = set()
        for result in results:
            if not isinstance(result, dict) or not result.get("type") or not result.get("id"):
                raise BotApiError(400, "Bad Request: can't parse InlineQueryResult")
            if result["id"] in seen:
                raise BotApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
            seen.add(result["id"])
        with self._lock:
            if query_id not in self._inline_queries or query_id in self.answered_inline_queries:
                raise BotApiError(400, _QUERY_TOO_OLD)
            self.answered_inline_queries[query_id] = dict(params)
        return True

    def _m_get_file(self, params: dict) -> dict:
        file_id = str(params.get("file_id", ""))
        with self._lock:
            entry = self._files.get(file_id)
        if entry is None:
            raise BotApiError(400, "Bad Request: invalid file_id")
        return dict(entry["meta"])

    def _m_send_document(self, params: dict) -> dict:
        chat = self._chat_for_send(params.get("chat_id"))
        document = params.get("document")
        if isinstance(document, dict) and "content" in document:  # multipart upload
            file_name = document.get("filename") or "document"
            meta = self.register_file(document["content"], file_name=file_name)
            doc = {"file_name": file_name,
                   "mime_type": document.get("mime_type") or "application/octet-stream"}
        elif isinstance(document, str) and document.startswith("attach://"):
            raise BotApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        elif isinstance(document, str) and document:
            with self._lock:
                entry = self._files.get(document)
            if entry is None:
                raise BotApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            meta = entry["meta"]
            doc = {"file_name": meta["file_path"].rsplit("/", 1)[-1],
                   "mime_type": "application/octet-stream"}
        else:
            raise BotApiError(400, "Bad Request: there is no document in the request")
        doc.update(file_id=meta["file_id"], file_unique_id=meta["file_unique_id"],
                   file_size=meta["file_size"])
        caption, caption_entities = self._formatted(
            params, "caption", MAX_CAPTION_LENGTH, "caption_entities",
            "Bad Request: message caption is too long", None)
        markup = _reply_markup(params.get("reply_markup"))
        replied = self._reply_to(params, chat)
        msg: dict[str, Any] = {
            "message_id": self._new_message_id(chat["id"]),
            "from": dict(self.bot_user_short),
            "chat": chat,
            "date": int(time.time()),
            "document": doc,
        }
        if replied is not None:
            msg["reply_to_message"] = replied
        if caption:
            msg["caption"] = caption
        if caption_entities:
            msg["caption_entities"] = caption_entities
        if markup is not None and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        with self._lock:
            self._messages[(chat["id"], msg["message_id"])] = msg
            return json.loads(json.dumps(msg))


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def _decode_value(name: str, value: str) -> Any:
    if name == "chat_id":
        stripped = value.strip()
        if re.fullmatch(r"-?\d+", stripped):
            return int(stripped)
        return value
    if name in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _decode_form(pairs: Iterable[tuple[str, str]]) -> Iterable[tuple[str, Any]]:
    for name, value in pairs:
        yield name, _decode_value(name, value)


def _parse_body(content_type: str, body: bytes) -> dict:
    if not body:
        return {}
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime == "application/json":
        data = json.loads(body.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        if isinstance(data.get("chat_id"), str):
            data["chat_id"] = _decode_value("chat_id", data["chat_id"])
        return data
    if mime == "multipart/form-data":
        return _parse_multipart(content_type, body)
    # application/x-www-form-urlencoded (and anything unlabelled)
    return dict(_decode_form(parse_qsl(body.decode("utf-8"), keep_blank_values=True)))


def _parse_multipart(content_type: str, body: bytes) -> dict:
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(
        b"MIME-Version: 1.0\r\nContent-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ValueError("malformed multipart body")
    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            params[name] = {
                "filename": filename,
                "mime_type": part.get_content_type(),
                "content": payload,
            }
        else:
            charset = part.get_content_charset() or "utf-8"
            params[name] = _decode_value(name, payload.decode(charset))
    # resolve attach://name references
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            attached = params.get(value[len("attach://") :])
            if isinstance(attached, dict):
                params[key] = attached
    return params


def _reply_markup(value: Any) -> dict | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise BotApiError(400, "Bad Request: can't parse reply keyboard markup JSON object") from None
    if not isinstance(value, dict):
        raise BotApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    keyboard = value.get("inline_keyboard")
    if keyboard is not None:
        if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
            raise BotApiError(400, "Bad Request: field \"inline_keyboard\" of the InlineKeyboardMarkup "
                                   "must be an Array of Arrays")
        for row in keyboard:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise BotApiError(400, "Bad Request: can't parse inline keyboard button: Text "
                                           "buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                    raise BotApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return value


def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
    if isinstance(scope, str):
        try:
            scope = json.loads(scope)
        except ValueError:
            pass
    if not scope or (isinstance(scope, dict) and scope.get("type") == "default" and len(scope) == 1):
        scope_key = "default"
    else:
        scope_key = json.dumps(scope, sort_keys=True)
    return scope_key, str(language_code or "")


def _chat_key(chat_id: Any) -> Any:
    if isinstance(chat_id, str) and re.fullmatch(r"-?\d+", chat_id.strip()):
        return int(chat_id)
    return chat_id


def _same_chat(a: Any, b: Any) -> bool:
    return str(_chat_key(a)) == str(_chat_key(b))


def _as_int(value: Any, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)
