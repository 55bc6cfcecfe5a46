"""An article's headline as a statement an answer may quote: its title without the site's name
("… | CNN Politics", "… - CNN"), for a dated news article whose title is whole (not cut short
with "..." by a search page), not a question, at least `MIN_WORDS` words, not the title of a page
that changes by the hour or shows rather than tells ("Live:", "Ukraine live updates:", "Photos:",
"Watch:", "Quiz of the week:") and not the text's own first words (a title made from the first
sentence is quoted as that sentence); an encyclopaedia's title ("Warsaw") names a subject and
states nothing."""

from __future__ import annotations

import datetime as dt
import re

from newsbot.index.articles import MAX_TITLE_CHARS

MIN_WORDS = 4
OPENING = 2 * MAX_TITLE_CHARS  # the characters of an article's text that may open with its title
# A site's name after a bar ("| CNN Business", "| The Week UK"), or after a dash when it is a name
# of one to four capitalised words ("- CNN", "– 24/7 Wall St."), maybe cut short itself.
_BAR_SITE = re.compile(r"\s+\|\s+[^|]{1,40}$")
_DASH_SITE = re.compile(r"\s+[-–—]\s+(?:[A-Z0-9][\w./&'’]*\s?){1,4}(?:\.\.\.|…)?$")
_CUT_SHORT = ("...", "…")
_PAGE_KIND = re.compile(r"^[^:]{0,40}\b(?:live|updates|photos|pictures|gallery|video|videos|watch|quiz|podcast)\b[^:]{0,40}:",
                        re.IGNORECASE)


def headline(title: str, date: dt.date | None, text: str) -> str | None:
    """The quotable headline of the article of `title`, `date` and `text` (its first words are
    enough), or None when it has none."""
    if date is None:
        return None
    quoted = _BAR_SITE.sub("", _BAR_SITE.sub("", " ".join(title.split())))
    quoted = _DASH_SITE.sub("", quoted).strip()
    if (quoted.endswith(_CUT_SHORT) or quoted.endswith("?") or len(quoted.split()) < MIN_WORDS
            or _PAGE_KIND.match(quoted) or " ".join(text[:OPENING].split()).startswith(quoted)):
        return None
    return quoted
