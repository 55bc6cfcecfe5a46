"""A web server on 127.0.0.1 for the feed tests: routes set by each test, every request recorded."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    """What one path answers: a status, headers and a body (bytes, or an iterator of chunks sent
    as they come), after `delay` seconds."""

    body: bytes | Callable[[], object] = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/rss+xml"})
    delay: float = 0.0


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    at: float


class FeedServer:
    """`routes[path] = Route(...)`; `requests` lists what was asked, in order."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.requests.append(Request(self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic()))
                route = server.routes.get(self.path, Route(b"not here", 404, {"Content-Type": "text/plain"}))
                if callable(route):
                    route = route(self)
                time.sleep(route.delay)
                try:
                    self.send_response(route.status)
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    if callable(route.body):
                        self.end_headers()
                        for chunk in route.body():
                            self.wfile.write(chunk)
                        return
                    self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def asked(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def rss(items: list[dict], title: str = "Harbour Gazette", ttl: int | None = None,
        skip_hours: tuple[int, ...] = (), skip_days: tuple[str, ...] = ()) -> bytes:
    """An RSS 2.0 document; each item may have title, link, guid, date (RFC 822 text), description, content."""
    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
             f"<channel><title>{title}</title><link>http://example.invalid/</link>"]
    if ttl:
        parts.append(f"<ttl>{ttl}</ttl>")
    if skip_hours:
        parts.append("<skipHours>" + "".join(f"<hour>{h}</hour>" for h in skip_hours) + "</skipHours>")
    if skip_days:
        parts.append("<skipDays>" + "".join(f"<day>{d}</day>" for d in skip_days) + "</skipDays>")
    for item in items:
        parts.append("<item>")
        for key, tag in (("title", "title"), ("link", "link"), ("guid", "guid"), ("date", "pubDate"), ("description", "description")):
            if key in item:
                parts.append(f"<{tag}>{item[key]}</{tag}>")
        if "content" in item:
            parts.append(f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def page(title: str, paragraphs: list[str], date: str = "2026-11-30") -> bytes:
    """A news page whose main text is `paragraphs`, with menus and a footer around it."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<html><head><title>{title}</title><meta property="article:published_time" content="{date}T08:00:00Z">'
            f"</head><body><nav>Home | World | Sport</nav><article><h1>{title}</h1>{body}</article>"
            f"<footer>Copyright Harbour Gazette</footer></body></html>").encode()
