"""RSS 2.0, RSS 1.0 and Atom feeds, read by feedparser, as plain entries: a key to remember the entry
by, its link, title, date and text (HTML turned into paragraphs)."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
from dataclasses import dataclass

ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
SKIP_HOURS = re.compile(rb"<skipHours>(.*?)</skipHours>", re.IGNORECASE | re.DOTALL)
SKIP_DAYS = re.compile(rb"<skipDays>(.*?)</skipDays>", re.IGNORECASE | re.DOTALL)
HOUR = re.compile(rb"<hour>\s*(\d{1,2})\s*</hour>", re.IGNORECASE)
DAY = re.compile(rb"<day>\s*([A-Za-z]+)\s*</day>", re.IGNORECASE)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
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
    """A feed's title, its entries and its hints on when to poll: the TTL, and the hours (UTC) and
    weekdays (0 is Monday) of RSS 2.0's skipHours and skipDays."""

    title: str
    ttl_seconds: int | None
    entries: tuple[Entry, ...]
    skip_hours: tuple[int, ...] = ()
    skip_days: tuple[int, ...] = ()


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
    return ParsedFeed(" ".join(parsed.feed.get("title", "").split()), _ttl(parsed.feed.get("ttl")), entries,
                      *_skips(body))


def _skips(body: bytes) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """skipHours and skipDays, read from the bytes: feedparser keeps only the last of each list."""
    hours = SKIP_HOURS.search(body)
    days = SKIP_DAYS.search(body)
    skip_hours = {int(h) for h in HOUR.findall(hours.group(1))} if hours else set()
    skip_days = {WEEKDAYS.index(d.decode().lower()) for d in DAY.findall(days.group(1))
                 if d.decode().lower() in WEEKDAYS} if days else set()
    return tuple(sorted(h for h in skip_hours if h < 24)), tuple(sorted(skip_days))


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
