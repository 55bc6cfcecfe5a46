"""URL ingestion: real HTTP on loopback; the address policy refuses inside targets at every hop."""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from index.web import FetchError, FetchPolicy, fetch_article, is_public

PAGE = b"""<html><head><title>Ferry back | Example News</title>
<meta property="article:published_time" content="2024-05-05T08:00:00Z"></head>
<body><nav>Home | World | Sport</nav><article><h1>Oskerby ferry resumes service</h1>
<p>The Oskerby ferry resumed service on Sunday after a two-year repair that cost 3 million euros.</p>
<p>Passengers cheered as the boat left the harbour at 9 a.m., the operator said in a statement.</p>
</article><footer>Copyright Example News</footer></body></html>"""


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        routes = {
            "/story": (200, "text/html; charset=utf-8", PAGE),
            "/notes.txt": (200, "text/plain", b"A plain note about the harbour. It has two sentences."),
            "/image": (200, "image/png", b"\x89PNG\r\n"),
            "/big": (200, "text/plain", b"x" * 50_000),
            "/missing": (404, "text/plain", b"no"),
        }
        if self.path.startswith("/redirect-inside"):
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.2:{self.server.server_port}/story")
            self.end_headers()
            return
        if self.path == "/redirect-ok":
            self.send_response(301)
            self.send_header("Location", "/story")
            self.end_headers()
            return
        status, kind, body = routes.get(self.path, (404, "text/plain", b"no"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


ONLY_127_0_0_1 = FetchPolicy(max_bytes=10_000, timeout=5, allow=lambda a: a == ipaddress.ip_address("127.0.0.1"))


def test_an_html_article_is_extracted_with_title_date_and_url(server: str) -> None:
    article = fetch_article(f"{server}/redirect-ok", ONLY_127_0_0_1)
    assert article.title.startswith("Oskerby ferry resumes service") or article.title.startswith("Ferry back")
    assert article.date == dt.date(2024, 5, 5)
    assert article.url == f"{server}/story" and article.source == "127.0.0.1"
    assert article.text.startswith("The Oskerby ferry resumed service on Sunday")
    assert "Home | World" not in article.text and "Copyright" not in article.text


def test_plain_text_is_accepted_and_other_types_refused(server: str) -> None:
    assert fetch_article(f"{server}/notes.txt", ONLY_127_0_0_1).text.startswith("A plain note")
    for path, message in (("/image", "not a web page"), ("/big", "larger than"), ("/missing", "404")):
        with pytest.raises(FetchError, match=message):
            fetch_article(server + path, ONLY_127_0_0_1)


def test_the_default_policy_refuses_loopback_and_private_targets(server: str) -> None:
    for url in (f"{server}/story", "http://localhost/", "http://10.1.2.3/", "http://192.168.0.1/",
                "http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://[::ffff:127.0.0.1]/"):
        with pytest.raises(FetchError, match="non-public"):
            fetch_article(url)


def test_a_redirect_inside_is_refused(server: str) -> None:
    with pytest.raises(FetchError, match="non-public address \\(127.0.0.2\\)"):
        fetch_article(f"{server}/redirect-inside", ONLY_127_0_0_1)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x", "javascript:alert(1)"])
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        fetch_article(url)


def test_public_means_globally_routable() -> None:
    assert is_public(ipaddress.ip_address("93.184.216.34"))
    assert not any(is_public(ipaddress.ip_address(a)) for a in
                   ("127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.1.1", "0.0.0.0",
                    "::1", "fe80::1", "fc00::1", "224.0.0.1", "100.64.0.1"))
