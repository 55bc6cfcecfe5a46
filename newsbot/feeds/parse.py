"""RSS 2.0, RSS 1.0 and Atom feeds, read by feedparser, as plain entries: a key to remember the entry
by, its link, title, date and text (HTML turned into paragraphs)."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
from dataclasses import dataclass

ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
BLOCKS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section", "article")


class FeedError(ValueError):
    """The bytes are not a feed newsbot reads; the message says why."""


@dataclass(frozen=True)
class Entry:
    """One feed entry; `text` is the fullest text the feed carries (content, else summary)."""

    key: str
    url: str | None
    title: str
    published: dt.datetime | None
    text: str


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    ttl_seconds: int | None
    entries: tuple[Entry, ...]


def parse_feed(body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """The feed in `body` (fetched from `url`); `FeedError` when it is not one. Entity declarations
    are refused before parsing: real feeds have none, and they are how XML bombs and external
    entities get in."""
    import feedparser

    if ENTITY_DECLARATION.search(body):
        raise FeedError("the feed declares XML entities, which newsbot refuses (they are how XML bombs work)")
    parsed = feedparser.parse(body, response_headers={"content-location": url, "content-type": content_type or "application/xml"})
    if not parsed.get("version") and not parsed.get("entries"):
        reason = parsed.get("bozo_exception")
        raise FeedError(f"not an RSS or Atom feed ({reason})" if reason else "not an RSS or Atom feed")
    entries = tuple(_entry(raw) for raw in parsed.entries)
    return ParsedFeed(" ".join(parsed.feed.get("title", "").split()), _ttl(parsed.feed.get("ttl")), entries)


def _entry(raw) -> Entry:
    link = (raw.get("link") or "").strip() or None
    title = " ".join(_plain(raw.get("title", "")).split())
    contents = [part.get("value", "") for part in raw.get("content", [])]
    text = max([_plain(value) for value in [*contents, raw.get("summary", "")]], key=len, default="")
    key = (raw.get("id") or "").strip() or link or hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
    return Entry(key=key, url=link, title=title, published=_when(raw), text=text)


def _when(raw) -> dt.datetime | None:
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        stamp = raw.get(name)
        if stamp:
            return dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.timezone.utc)
    return None


def _ttl(value) -> int | None:
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return minutes * 60 if minutes > 0 else None


def _plain(html: str) -> str:
    """Text of an HTML fragment, a blank line after each block so paragraphs stay paragraphs."""
    if "<" not in html:
        return html.strip()
    import lxml.html

    try:
        tree = lxml.html.fragment_fromstring(html, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return ""
    for element in tree.iter(*BLOCKS):
        element.tail = "\n\n" + (element.tail or "")
    paragraphs = (" ".join(part.split()) for part in tree.text_content().split("\n\n"))
    return "\n\n".join(part for part in paragraphs if part)
