"""Time expressions in a question ("in January 2022", "last week", "latest") → a date range or a
recency preference, relative to a reference date. Phrases are found by pattern; their meaning
(date and period) comes from dateparser."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

_MONTHS = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_NUMBER = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten)"
_PHRASES = re.compile(
    r"\b(?P<since>since|after|from)?\s*(?:(?:in|during|on|of)\s+)?(?P<phrase>"
    r"yesterday|today|tonight|this\s+morning"
    r"|(?:last|this|past|previous)\s+(?:week|month|year|weekend)"
    rf"|{_NUMBER}\s+(?:days?|weeks?|months?|years?)\s+ago"
    r"|\d{4}-\d{2}-\d{2}"
    rf"|\d{{1,2}}\s+{_MONTHS}(?:,?\s+\d{{4}})?"
    rf"|{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|{_MONTHS}\s+\d{{4}}"
    r")\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(?:(?P<since>since|after|from)\s+|(?:in|during|of)\s+)(?P<phrase>(?:19|20)\d{2})\b(?!-)", re.IGNORECASE)
_MONTH_ALONE = re.compile(rf"\b(?P<since>since|after|from)?\s*(?:in|during)\s+(?P<phrase>{_MONTHS})(?=\W*$|\s*[?,.!])", re.IGNORECASE)
# "What happened to the ferry?" and "what is happening with it?" asked of the news mean its latest
# story, as "latest" does; "what has happened with it?" asks for the story so far, told in order.
_RECENT = re.compile(r"\b(latest|most\s+recent(?:ly)?|newest|recent(?:ly)?|lately|currently|now|so\s+far"
                     r"|what\s+happened\s+(?:to|with)|what(?:'s|’s|\s+is)\s+happening\s+(?:to|with))\b",
                     re.IGNORECASE)


@dataclass(frozen=True)
class TimeFrame:
    """What a question says about time: an inclusive date range, and/or a wish for recent news."""

    since: dt.date | None = None
    until: dt.date | None = None
    recent: bool = False
    phrase: str | None = None

    def describe(self) -> str | None:
        if self.since and self.until:
            return f"{self.since.isoformat()} to {self.until.isoformat()}"
        if self.since:
            return f"since {self.since.isoformat()}"
        return "most recent first after the best match" if self.recent else None


@lru_cache(maxsize=8)
def _parser(today: dt.date):
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["en"], settings={
        "RELATIVE_BASE": dt.datetime.combine(today, dt.time(12)),
        "PREFER_DATES_FROM": "past",
        "PREFER_DAY_OF_MONTH": "first",
        "RETURN_AS_TIMEZONE_AWARE": False,
    })


def _period_range(day: dt.date, period: str) -> tuple[dt.date, dt.date]:
    if period == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    if period == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    if period == "week":
        monday = day - dt.timedelta(days=day.weekday())
        return monday, monday + dt.timedelta(days=6)
    return day, day


def _parse(phrase: str, today: dt.date) -> tuple[dt.date, str] | None:
    data = _parser(today).get_date_data(phrase)
    if data is None or data.date_obj is None:
        return None
    return data.date_obj.date(), data.period or "day"


_ROLLING = {"week": 7, "weekend": 3, "month": 31, "year": 365}


def time_frame(question: str, today: dt.date) -> TimeFrame:
    """The time frame a question asks about; an empty frame when it names none."""
    for pattern in (_PHRASES, _MONTH_ALONE, _YEAR):
        match = pattern.search(question)
        if not match:
            continue
        phrase = " ".join(match.group("phrase").split())
        if phrase.lower() == "this week":
            # The seven days up to the question, not the calendar week: on the realtimeqa train
            # questions asking about "this week" (quizzes mostly published on Fridays), an article
            # holding the answer fell in those days for 107 of 129, in Monday to Sunday for 102
            # (scripts/this_week_window.py).
            return TimeFrame(today - dt.timedelta(days=6), today, phrase=phrase)
        if phrase.lower().startswith("past "):
            days = _ROLLING[phrase.split()[-1].lower()]
            return TimeFrame(today - dt.timedelta(days=days), today, phrase=phrase)
        parsed = _parse(phrase, today)
        if parsed is None:
            continue
        start, end = _period_range(*parsed)
        if match.group("since"):
            return TimeFrame(since=start, until=today, phrase=" ".join(match.group().split()))
        return TimeFrame(since=start, until=end, phrase=phrase)
    recent = _RECENT.search(question)
    return TimeFrame(recent=True, phrase=recent.group()) if recent else TimeFrame()
