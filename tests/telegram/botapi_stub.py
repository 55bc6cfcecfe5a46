"""A Telegram Bot API stand-in over real HTTP on 127.0.0.1, for end-to-end tests of the bot.

It serves what the bot calls — getMe, getUpdates (long polling), deleteWebhook, setWebhook,
setMyCommands, sendMessage, sendChatAction, answerCallbackQuery, answerInlineQuery, getFile and file
downloads — at ``/bot<token>/<method>`` and ``/file/bot<token>/<path>`` (a wrong token gets 401, an
unknown method 404). HTML text is checked as strictly as Telegram does (telegram_html.py), lengths
in UTF-16 units, button data to 64 bytes. Tests push updates (``push_message``, ``push_callback_query``,
...), read what the bot sent (``sent``, ``bot_messages``, ``wait_for_async``) and make calls fail
(``inject_fault``). A call is recorded before it is answered, so a finished client call is on record.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
import socketserver
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram_html import HtmlParseError, parse_telegram_html

BOT_USERNAME = "newsbot_test_bot"
DEFAULT_USER_ID = 1001
GROUP_ID = -4012345678
TEXT_LIMIT = 4096
FAULTS = ("429", "500", "502", "reset", "timeout", "bad_html", "blocked")
JSON_FIELDS = frozenset({"reply_markup", "reply_parameters", "link_preview_options", "results", "commands",
                         "allowed_updates", "scope"})
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
LEADING_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?")
TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
FAULT_ERRORS = {"429": (429, "Too Many Requests: retry after {retry_after}"), "500": (500, "Internal Server Error"),
                "blocked": (403, "Forbidden: bot was blocked by the user"),
                "bad_html": (400, "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 0")}
BAD_GATEWAY = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway"
               b"</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n")


class BotApiError(Exception):
    """A method's refusal: answered as ``{"ok": false, "error_code": code, "description": ...}``."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


@dataclass
class Call:
    """One request to the stand-in and how it was answered."""

    method: str
    params: dict
    status: int = 200
    ok: bool = True
    description: str | None = None
    fault: str | None = None
    time: float = field(default_factory=time.time)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx/1.18.0"

    def do_GET(self) -> None:  # noqa: N802
        self.server.stub.handle(self)

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        pass

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def reset(self) -> None:
        """Abort the connection with a TCP RST instead of an answer."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        for stream in (self.rfile, self.wfile, self.connection):
            stream.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # HTTPServer's would look the host's name up in DNS

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # a client that hung up is no error of ours
            super().handle_error(request, client_address)


def _json(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def _form(pairs: list[tuple[str, str]]) -> dict:
    """PTB's form fields: JSON for structured ones, numbers for chat ids, text as it came."""
    params: dict[str, Any] = {}
    for name, value in pairs:
        if name in JSON_FIELDS:
            value = json.loads(value)
        elif name == "chat_id" and re.fullmatch(r"-?\d+", value):
            value = int(value)
        params[name] = value
    return params


def _check_keyboard(markup: Any) -> None:
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise BotApiError(400, "Bad Request: can't parse inline keyboard button: text is empty")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise BotApiError(400, "Bad Request: BUTTON_DATA_INVALID")


def _shown_text(text: str, parse_mode: str | None) -> str:
    """The text a message shows, refused like Telegram refuses bad HTML, empty or too long text."""
    if parse_mode == "HTML":
        try:
            text = parse_telegram_html(text)
        except HtmlParseError as exc:
            raise BotApiError(400, f"Bad Request: can't parse entities: {exc}") from None
    text = text.strip()
    if not text:
        raise BotApiError(400, "Bad Request: message text is empty")
    if len(text.encode("utf-16-le")) // 2 > TEXT_LIMIT:
        raise BotApiError(400, "Bad Request: message is too long")
    return text


class BotApiStub:
    """The stand-in; ``with BotApiStub(token) as stub:`` serves it from a background thread."""

    def __init__(self, token: str = "123456789:TEST-token", *, max_poll_timeout: float = 1.0) -> None:
        self.token = token
        self.bot_id = int(token.split(":")[0])
        self.bot_user = {"id": self.bot_id, "is_bot": True, "first_name": "NewsBot Test", "username": BOT_USERNAME,
                         "can_join_groups": True, "can_read_all_group_messages": False,
                         "supports_inline_queries": True}
        self.max_poll_timeout = max_poll_timeout
        self.calls: list[Call] = []
        self.faults_served: list[tuple[str, str]] = []
        self.unauthorized: list[str] = []
        self.webhook: dict | None = None
        self.polls_waiting = 0
        self._cond = threading.Condition(threading.RLock())
        self._stopping = threading.Event()
        self._faults: list[list] = []
        self._updates: list[dict] = []
        self._update_ids = itertools.count(100_000_001)
        self._chats: dict[int, dict] = {}
        self._messages: dict[tuple[int, int], dict] = {}
        self._message_ids: dict[int, itertools.count] = {}
        self._files: dict[str, bytes] = {}
        self._queries: dict[str, str] = {}  # query id -> "callback" | "inline" | "answered"
        self._query_ids = itertools.count(4_000_000_001)
        self._methods: dict[str, Callable[[dict], Any]] = {name.lower(): getattr(self, "_" + name) for name in (
            "getMe", "getUpdates", "deleteWebhook", "setWebhook", "setMyCommands", "sendMessage",
            "sendChatAction", "answerCallbackQuery", "answerInlineQuery", "getFile")}
        self._server: ThreadingHTTPServer | None = None

    # -- lifetime ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    @property
    def file_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/file/bot"

    def start(self) -> BotApiStub:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stub = self
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         name="BotApiStub-server", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving; long polls still waiting are answered at once with no updates."""
        with self._cond:
            self._stopping.set()
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> BotApiStub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what the bot did ----------------------------------------------------------------------

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[dict]:
        """The params of the successful calls of `method`, to `chat_id` if given, in order."""
        with self._cond:
            return [c.params for c in self.calls if c.method == method and c.ok
                    and (chat_id is None or c.params.get("chat_id") == chat_id)]

    def bot_messages(self, chat_id: int | None = None) -> list[dict]:
        """The messages the bot sent, oldest first."""
        with self._cond:
            return [m for m in self._messages.values() if m["from"]["id"] == self.bot_id
                    and chat_id in (None, m["chat"]["id"])]

    def _matching(self, what: str | Callable[[str, dict], bool], ok: bool | None) -> list[dict]:
        match = (lambda method, params: method == what) if isinstance(what, str) else what
        with self._cond:
            return [c.params for c in self.calls if (ok is None or c.ok == ok) and match(c.method, c.params)]

    def wait_for(self, what: str | Callable[[str, dict], bool], count: int = 1, timeout: float = 10.0, *,
                 ok: bool | None = None) -> list[dict]:
        """Block until `count` calls match `what` (a method or ``predicate(method, params)``); with
        `ok`, only successful (True) or failed (False) ones count."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._matching(what, ok)) >= count, timeout):
                raise AssertionError(self._report(what, count))
            return self._matching(what, ok)

    async def wait_for_async(self, what: str | Callable[[str, dict], bool], count: int = 1,
                             timeout: float = 10.0, *, ok: bool | None = None) -> list[dict]:
        """`wait_for` for coroutines: it checks every 10 ms, leaving the event loop free."""
        deadline = time.monotonic() + timeout
        while len(found := self._matching(what, ok)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(self._report(what, count))
            await asyncio.sleep(0.01)
        return found

    def wait_confirmed(self, timeout: float = 10.0) -> None:
        """Block until a getUpdates offset has confirmed every update pushed so far: the client
        then holds them all."""
        with self._cond:
            if not self._cond.wait_for(lambda: not self._updates or self._stopping.is_set(), timeout):
                raise AssertionError(f"updates never confirmed: {[u['update_id'] for u in self._updates]}")

    def _report(self, what: Any, count: int) -> str:
        lines = [f"  {c.method} -> {c.status} {c.fault or ''} {c.description or ''}: "
                 f"{json.dumps(c.params, ensure_ascii=False, default=repr)[:300]}" for c in self.calls[-40:]]
        return f"timed out waiting for {count} request(s) matching {getattr(what, '__name__', what)}:\n" + \
            "\n".join(lines or ["  (no requests)"])

    def inject_fault(self, method: str, kind: str, times: int = 1, **options: Any) -> None:
        """Make the next `times` calls of `method` ("*": any) fail: "429" (option retry_after),
        "500", "502" (nginx's HTML page), "reset" (TCP RST), "bad_html" (400 can't parse entities),
        "blocked" (403, the user blocked the bot); option `chat_id` limits it to calls to that chat
        or "timeout" (the call takes effect but is answered after `seconds`, default 3)."""
        assert kind in FAULTS, kind
        with self._cond:
            self._faults.append([method, kind, times, options])

    def _take_fault(self, method: str, params: dict) -> tuple[str, dict] | None:
        with self._cond:
            for fault in self._faults:
                if fault[0] in (method, "*") and fault[3].get("chat_id") in (None, params.get("chat_id")):
                    fault[2] -= 1
                    if not fault[2]:
                        self._faults.remove(fault)
                    self.faults_served.append((method, fault[1]))
                    return fault[1], fault[3]
        return None

    # -- updates -------------------------------------------------------------------------------

    def message(self, text: str | None = None, *, user_id: int = DEFAULT_USER_ID, chat_type: str = "private",
                reply_to: dict | None = None, **content: Any) -> dict:
        """An update with a new message from a user (kept, so the bot can reply to it), not queued:
        `text` (a leading /command gets its entity) or other `content` such as a document."""
        user = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "username": f"user{user_id}"}
        chat = {"id": user_id, "type": "private", "first_name": user["first_name"], "username": user["username"]} \
            if chat_type == "private" else {"id": GROUP_ID, "type": chat_type, "title": "Test Group"}
        msg = {"message_id": self._next_id(chat["id"]), "from": user, "chat": chat, "date": int(time.time()),
               **content}
        if text is not None:
            msg["text"] = text
            if command := LEADING_COMMAND.match(text):
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": command.end()}]
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        with self._cond:
            self._chats[chat["id"]] = chat
            self._messages[chat["id"], msg["message_id"]] = msg
        return {"message": msg}

    def push(self, update: dict) -> dict:
        """Queue an update for getUpdates; returns it with its update_id."""
        with self._cond:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
            self._cond.notify_all()
        return update

    def push_message(self, text: str, **options: Any) -> dict:
        return self.push(self.message(text, **options))

    push_command = push_message

    def push_document(self, file_name: str, content: bytes, mime_type: str = "application/octet-stream", *,
                      omit_size: bool = False, **options: Any) -> dict:
        """A message with a document whose bytes getFile and the file URL serve; `omit_size`
        leaves file_size out, as Telegram may."""
        document = {"file_name": file_name, "mime_type": mime_type, **self._register(content, "documents")}
        if omit_size:
            del document["file_size"]
        return self.push(self.message(document=document, **options))

    def push_sticker(self, **options: Any) -> dict:
        sticker = {"type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False,
                   "emoji": "👍", **self._register(b"RIFF\0\0\0\0WEBP", "stickers")}
        return self.push(self.message(sticker=sticker, **options))

    def push_photo(self, **options: Any) -> dict:
        photo = [{"width": 1280, "height": 720, **self._register(b"\xff\xd8\xff\xe0jpeg\xff\xd9", "photos")}]
        return self.push(self.message(photo=photo, **options))

    def push_callback_query(self, data: str, message: dict, *, user_id: int = DEFAULT_USER_ID) -> dict:
        """A press of the button with (wire) callback `data` under `message`."""
        query_id = str(next(self._query_ids))
        with self._cond:
            self._queries[query_id] = "callback"
        return self.push({"callback_query": {
            "id": query_id, "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
            "chat_instance": str(-7_000_000_000 - user_id), "data": data, "message": message}})

    def push_inline_query(self, query: str, *, user_id: int = DEFAULT_USER_ID) -> dict:
        query_id = str(next(self._query_ids))
        with self._cond:
            self._queries[query_id] = "inline"
        return self.push({"inline_query": {
            "id": query_id, "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
            "query": query, "offset": "", "chat_type": "sender"}})

    def _register(self, content: bytes, folder: str) -> dict:
        with self._cond:
            number = len(self._files) + 1
            self._files[f"{folder}/file_{number}"] = content
        return {"file_id": f"{folder}/file_{number}", "file_unique_id": f"unique{number}", "file_size": len(content)}

    def _next_id(self, chat_id: int) -> int:
        with self._cond:
            return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    # -- HTTP ----------------------------------------------------------------------------------

    def handle(self, http: _Handler) -> None:
        """Route one request: a file download, or a Bot API method (after any injected fault)."""
        url = urlsplit(http.path)
        path, body = unquote(url.path), http.body()
        token, _, rest = path.removeprefix("/file").removeprefix("/bot").partition("/")
        if not path.startswith(("/bot", "/file/bot")):
            return http.send(404, _json({"ok": False, "error_code": 404, "description": "Not Found"}))
        if token != self.token:
            with self._cond:
                self.unauthorized.append(path)
            return http.send(401, _json({"ok": False, "error_code": 401, "description": "Unauthorized"}))
        if path.startswith("/file/"):
            found = self._files.get(rest)
            return http.send(200 if found is not None else 404, found or b"", "application/octet-stream")
        method = self._methods.get(rest.lower())
        params = _form(parse_qsl(url.query) + parse_qsl(body.decode(), keep_blank_values=True))
        fault = self._take_fault(rest, params) if method else None
        kind, options = fault or (None, {})
        try:
            if method is None:
                raise BotApiError(404, "Not Found: method not found")
            if kind == "reset":
                self._record(Call(rest, params, 0, False, "connection reset", kind))
                return http.reset()
            if kind == "502":
                self._record(Call(rest, params, 502, False, "Bad Gateway", kind))
                return http.send(502, BAD_GATEWAY, "text/html")
            if kind in FAULT_ERRORS:
                code, description = FAULT_ERRORS[kind]
                raise BotApiError(code, description.format(retry_after=options.get("retry_after", 1)))
            result = method(params)
        except BotApiError as exc:
            self._record(Call(rest, params, exc.code, False, exc.description, kind))
            extra = {"parameters": {"retry_after": int(options.get("retry_after", 1))}} if kind == "429" else {}
            return http.send(exc.code, _json({"ok": False, "error_code": exc.code,
                                              "description": exc.description, **extra}))
        self._record(Call(rest, params, fault=kind))
        if kind == "timeout":
            self._stopping.wait(float(options.get("seconds", 3.0)))
        http.send(200, _json({"ok": True, "result": result}))

    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    # -- Bot API methods -----------------------------------------------------------------------

    def _getMe(self, params: dict) -> dict:  # noqa: N802
        return self.bot_user

    def _getUpdates(self, params: dict) -> list[dict]:  # noqa: N802
        """Updates from `offset` on (older ones are confirmed and dropped), waiting up to `timeout`."""
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), self.max_poll_timeout)
        with self._cond:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._cond.notify_all()
            self.polls_waiting += 1
            self._cond.wait_for(lambda: self._updates or self._stopping.is_set(), deadline - time.monotonic())
            self.polls_waiting -= 1
            return self._updates[:int(params.get("limit") or 100)]

    def _deleteWebhook(self, params: dict) -> bool:  # noqa: N802
        self.webhook = None
        return True

    def _setWebhook(self, params: dict) -> bool:  # noqa: N802
        self.webhook = params
        return True

    def _setMyCommands(self, params: dict) -> bool:  # noqa: N802
        for command in params.get("commands", []):
            if not COMMAND_NAME.fullmatch(command.get("command", "")):
                raise BotApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "").strip()) <= 256:
                raise BotApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        return True

    def _sendMessage(self, params: dict) -> dict:  # noqa: N802
        """A message to `chat_id`: its text checked, any reply target and keyboard too."""
        chat_id = params["chat_id"]
        text = _shown_text(params.get("text", ""), params.get("parse_mode"))
        _check_keyboard(params.get("reply_markup"))
        replied = (params.get("reply_parameters") or {}).get("message_id")
        with self._cond:
            if replied is not None and (chat_id, replied) not in self._messages:
                raise BotApiError(400, "Bad Request: message to be replied not found")
            chat = self._chats.get(chat_id, {"id": chat_id, "type": "private" if chat_id > 0 else "group"})
            msg = {"message_id": self._next_id(chat_id), "date": int(time.time()), "chat": chat, "text": text,
                   "from": {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}}
            if params.get("reply_markup"):
                msg["reply_markup"] = params["reply_markup"]
            self._messages[chat_id, msg["message_id"]] = msg
        return msg

    def _sendChatAction(self, params: dict) -> bool:  # noqa: N802
        if params.get("action") != "typing":
            raise BotApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _answer_query(self, query_id: str, kind: str) -> None:
        with self._cond:
            if self._queries.get(query_id) != kind:
                raise BotApiError(400, TOO_OLD)
            self._queries[query_id] = "answered"

    def _answerCallbackQuery(self, params: dict) -> bool:  # noqa: N802
        if len(params.get("text") or "") > 200:
            raise BotApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._answer_query(params.get("callback_query_id", ""), "callback")
        return True

    def _answerInlineQuery(self, params: dict) -> bool:  # noqa: N802
        results = params.get("results", [])
        if len({r["id"] for r in results}) != len(results) or len(results) > 50:
            raise BotApiError(400, "Bad Request: RESULT_ID_DUPLICATE or RESULTS_TOO_MUCH")
        for content in (r.get("input_message_content", {}) for r in results):
            _shown_text(content.get("message_text", ""), content.get("parse_mode"))
        self._answer_query(params.get("inline_query_id", ""), "inline")
        return True

    def _getFile(self, params: dict) -> dict:  # noqa: N802
        path = params.get("file_id", "")
        if path not in self._files:
            raise BotApiError(400, "Bad Request: invalid file_id")
        return {"file_id": path, "file_unique_id": path, "file_size": len(self._files[path]), "file_path": path}
