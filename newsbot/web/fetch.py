"""Fetch one news article from an http(s) URL, refusing addresses inside this machine's networks.

Every hop (the URL and each redirect) must be http(s), and every connection goes to an address
checked by `newsbot.web.netguard` (by the policy of `newsbot.web.addresses`) from the one DNS answer
it used, so neither a link nor a redirect nor a rebinding DNS answer can point the fetch at
loopback, private or link-local services. The page's
main text, title and date come from trafilatura.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from newsbot.index.articles import Article, make_article, page_article
from newsbot.settings import Settings
from newsbot.web.addresses import Address, AddressRefused, allowing, is_public
from newsbot.web.netguard import GuardedTransport

__all__ = ["FetchError", "FetchPolicy", "Fetched", "article_from_page", "fetch", "fetch_article", "get", "is_public"]

USER_AGENT = "newsbot/0.1 (news question-answering bot; feed reader)"


class FetchError(ValueError):
    """The URL cannot or may not be fetched; the message says why. `status` is the HTTP status when
    the server answered with one; `transient` failures (network, timeouts, 5xx) may pass if retried."""

    def __init__(self, message: str, status: int | None = None, transient: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.transient = transient or (status is not None and status >= 500)


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of one fetch; `allow` decides which addresses may be connected to, `verify` is the
    TLS trust (True: the usual certificate authorities)."""

    max_bytes: int = 2 * 1024 * 1024
    timeout: float = 15.0
    max_redirects: int = 5
    allow: Callable[[Address], bool] = is_public
    verify: ssl.SSLContext | bool = True
    user_agent: str = USER_AGENT

    @classmethod
    def from_settings(cls, settings: Settings, **changes) -> FetchPolicy:
        """The default limits, allowing public addresses and the operator's `fetch_allow_networks`."""
        return cls(allow=allowing(settings.fetch_allow_networks), **changes)


def check_url(url: str) -> None:
    """`FetchError` unless `url` is an http(s) link with a host (and a well-formed port)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"only http and https links can be added, not {parts.scheme or 'this'!r}")
    try:
        parts.port
    except ValueError:
        raise FetchError("that link has a malformed port") from None
    if not parts.hostname:
        raise FetchError("that link has no host name")


@dataclass(frozen=True)
class Fetched:
    """One response after redirects: 200 with its body, or 304 (not modified) without one."""

    url: str
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str]


def get(url: str, policy: FetchPolicy = FetchPolicy(), headers: dict[str, str] | None = None) -> Fetched:
    """GET `url` with `headers` (conditional ones among them) after at most `max_redirects` checked
    redirects; any status but 200 and 304 is a `FetchError`."""
    transport = GuardedTransport(policy.allow, policy.verify)
    sent = {"User-Agent": policy.user_agent, **(headers or {})}
    with httpx.Client(transport=transport, follow_redirects=False, timeout=policy.timeout, trust_env=False) as client:
        for _ in range(policy.max_redirects + 1):
            check_url(url)
            try:
                with client.stream("GET", url, headers=sent) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    if response.status_code not in (200, 304):
                        raise FetchError(f"the server answered {response.status_code}", response.status_code)
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) > policy.max_bytes:
                            raise FetchError(f"the page is larger than {policy.max_bytes // 1024} KB")
                    return Fetched(url, response.status_code, response.headers.get("content-type", ""),
                                   bytes(body), {k.lower(): v for k, v in response.headers.items()})
            except AddressRefused as exc:
                raise FetchError(str(exc)) from None
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise FetchError(f"fetching failed: {exc.__class__.__name__}", transient=True) from None
    raise FetchError("too many redirects")


def fetch(url: str, policy: FetchPolicy = FetchPolicy()) -> tuple[str, str, bytes]:
    """(final URL, content type, body) of a page that answered 200."""
    page = get(url, policy)
    return page.url, page.content_type, page.body


def article_from_page(url: str, content_type: str, body: bytes) -> Article:
    """The article in an HTML page (main text, title, date) or a plain-text document."""
    host = urlsplit(url).hostname or url
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        return page_article(body.decode("utf-8", errors="replace"), path=url, url=url, source=host)
    if kind == "text/plain":
        return make_article(body.decode("utf-8", errors="replace"), path=url, source=host, url=url)
    raise FetchError(f"that link is not a web page or text ({kind or 'unknown type'})")


def fetch_article(url: str, policy: FetchPolicy = FetchPolicy()) -> Article:
    """Fetch and extract the article at `url`; `FetchError` or `ArticleError` with a reason otherwise."""
    return article_from_page(*fetch(url.strip(), policy))
