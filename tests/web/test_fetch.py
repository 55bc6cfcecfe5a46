"""URL ingestion: real HTTP on loopback; the address policy refuses inside targets at every hop."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme

from newsbot.web.fetch import FetchError, FetchPolicy, fetch, fetch_article, is_public

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
def test_other_schemes_are_refused(url: str, reliability) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        fetch_article(url)
    reliability.count("Hostile inputs", input="URLs: file, ftp, gopher, javascript schemes", outcome="refused")


def test_public_means_globally_routable() -> None:
    assert is_public(ipaddress.ip_address("93.184.216.34"))
    assert not any(is_public(ipaddress.ip_address(a)) for a in
                   ("127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.1.1", "0.0.0.0",
                    "::1", "fe80::1", "fc00::1", "224.0.0.1", "100.64.0.1"))


def test_embedded_ipv4_addresses_are_judged_by_the_ipv4_inside() -> None:
    assert is_public(ipaddress.ip_address("::ffff:93.184.216.34"))
    assert not any(is_public(ipaddress.ip_address(a)) for a in
                   ("::ffff:127.0.0.1", "2002:7f00:1::1", "2002:a9fe:a9fe::1", "64:ff9b::a9fe:a9fe",
                    "::7f00:1", "2001:0:4136:e378:8000:63bf:80ff:fffe"))


class Recorder(BaseHTTPRequestHandler):
    """Serves `/story` as the `name` page and redirects `/away?to=URL`; remembers each request."""

    def do_GET(self) -> None:  # noqa: N802
        self.server.seen.append((self.path, self.headers.get("Host")))
        if self.path.startswith("/away?to="):
            self.send_response(302)
            self.send_header("Location", self.path.removeprefix("/away?to="))
            self.end_headers()
            return
        body = f"The {self.server.name} page. It has two sentences.".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def serve(address: str, port: int, name: str, tls: ssl.SSLContext | None = None) -> ThreadingHTTPServer:
    httpd = ThreadingHTTPServer((address, port), Recorder)
    httpd.name, httpd.seen = name, []
    if tls:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.fixture
def inside_and_outside():
    """An "inside" server on 127.0.0.1 and, on the same port, an "outside" one on 127.0.0.2 that the
    tests treat as the public internet."""
    inside = serve("127.0.0.1", 0, "inside")
    outside = serve("127.0.0.2", inside.server_port, "outside")
    yield inside, outside
    for httpd in (inside, outside):
        httpd.shutdown()
        httpd.server_close()


ONLY_OUTSIDE = FetchPolicy(timeout=5, allow=lambda a: a == ipaddress.ip_address("127.0.0.2"))


def fake_dns(monkeypatch, answers: dict[str, list[str]]) -> dict[str, int]:
    """Answer the names in `answers` with their next address (the last one repeats); count lookups."""
    real = socket.getaddrinfo
    lookups = dict.fromkeys(answers, 0)

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        address = answers[host][min(lookups[host], len(answers[host]) - 1)]
        lookups[host] += 1
        if ":" in address:
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def test_a_rebinding_dns_answer_never_reaches_inside(monkeypatch, inside_and_outside, reliability) -> None:
    inside, outside = inside_and_outside
    lookups = fake_dns(monkeypatch, {"rebind.test": ["127.0.0.2", "127.0.0.1"]})
    url = f"http://rebind.test:{inside.server_port}/story"
    assert fetch_article(url, ONLY_OUTSIDE).text == "The outside page. It has two sentences."
    assert lookups["rebind.test"] == 1, "the checked answer is the one connected to"
    assert outside.seen == [("/story", f"rebind.test:{inside.server_port}")], "the Host header keeps the name"
    with pytest.raises(FetchError, match="non-public address \\(127.0.0.1\\)"):
        fetch_article(url, ONLY_OUTSIDE)
    assert inside.seen == []
    reliability.count("Hostile inputs", input="URLs: DNS rebinding (public answer, then 127.0.0.1)",
                      outcome="connected to the checked address only; next lookup refused")


@pytest.mark.parametrize("answer", ["127.0.0.1", "10.0.0.5", "172.16.0.9", "192.168.1.1", "169.254.169.254",
                                    "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fc00::5", "::ffff:127.0.0.1",
                                    "::ffff:169.254.169.254", "2002:7f00:1::1", "64:ff9b::a9fe:a9fe"])
def test_a_name_resolving_inside_is_refused_by_default(monkeypatch, answer: str, reliability) -> None:
    fake_dns(monkeypatch, {"news.example": [answer]})
    with pytest.raises(FetchError, match="refusing news.example: it points to a non-public address"):
        fetch("http://news.example/story", FetchPolicy(timeout=2))
    reliability.count("Hostile inputs", input="URLs: names resolving to loopback, private, link-local, "
                      "shared, mapped/6to4/NAT64 addresses", outcome="refused before connecting")


def test_one_inside_address_among_public_ones_is_enough_to_refuse(monkeypatch) -> None:
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "mixed.example":
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in ("93.184.216.34", "10.0.0.1")]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(FetchError, match="non-public address \\(10.0.0.1\\)"):
        fetch("http://mixed.example/", FetchPolicy(timeout=2))


def test_redirects_to_names_resolving_inside_are_refused(monkeypatch, inside_and_outside, reliability) -> None:
    inside, outside = inside_and_outside
    port = inside.server_port
    fake_dns(monkeypatch, {"public.test": ["127.0.0.2"], "inside.test": ["127.0.0.1"],
                           "rebind.test": ["127.0.0.2", "127.0.0.1"]})
    assert fetch_article(f"http://public.test:{port}/away?to=http://rebind.test:{port}/story",
                         ONLY_OUTSIDE).text.startswith("The outside page")
    for target in (f"http://inside.test:{port}/story", f"http://rebind.test:{port}/story",
                   f"http://127.0.0.1:{port}/story", f"http://[::ffff:127.0.0.1]:{port}/story"):
        with pytest.raises(FetchError, match="non-public address"):
            fetch(f"http://public.test:{port}/away?to={target}", ONLY_OUTSIDE)
    with pytest.raises(FetchError, match="only http and https"):
        fetch(f"http://public.test:{port}/away?to=file:///etc/passwd", ONLY_OUTSIDE)
    assert inside.seen == []
    reliability.count("Hostile inputs", 5, input="URLs: redirects to inside names, rebinding names, "
                      "loopback literals, file://", outcome="refused at the hop")


def test_https_to_the_checked_address_keeps_the_name_for_sni_and_the_certificate(monkeypatch) -> None:
    authority = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("rebind.test").configure_cert(server_tls)
    names: list[str | None] = []
    server_tls.sni_callback = lambda sock, name, context: names.append(name)
    outside = serve("127.0.0.2", 0, "secure", server_tls)
    client_tls = ssl.create_default_context()
    authority.configure_trust(client_tls)
    policy = FetchPolicy(timeout=5, allow=ONLY_OUTSIDE.allow, verify=client_tls)
    fake_dns(monkeypatch, {"rebind.test": ["127.0.0.2", "127.0.0.1"], "other.test": ["127.0.0.2"]})
    try:
        assert fetch_article(f"https://rebind.test:{outside.server_port}/story", policy).text.startswith("The secure page")
        with pytest.raises(FetchError, match="fetching failed: ConnectError"):
            fetch(f"https://other.test:{outside.server_port}/story", policy)
    finally:
        outside.shutdown()
        outside.server_close()
    assert names == ["rebind.test", "other.test"]
    assert outside.seen == [("/story", f"rebind.test:{outside.server_port}")]
