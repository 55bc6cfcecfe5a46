"""Property-based check: answers and passages of arbitrary Unicode always render as valid Telegram
HTML within the message limit, and as plain text."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram_html import parse_telegram_html

from newsbot.answer.timeframe import TimeFrame
from newsbot.answer.types import Answer, AnswerPart, Citation
from newsbot.cli.render import plain
from newsbot.telegram import render

NASTY = st.sampled_from(["<b>", "</i>", "&amp;", "&", "<a href='x'>", "\u202e", "\u0301", "🚢", "\x00",
                         "\x1b", "\ufeff", "\n\n", "<", ">", '"', "&#0;", "&lt;"])
TEXT = st.lists(st.one_of(st.text(max_size=40), NASTY), max_size=40).map("".join)
LONG = st.one_of(TEXT, st.builds(lambda t, n: (t or "x") * n, TEXT, st.integers(1, 400)))


def citation(n: int, title: str, sentence: str, passage: str, url: str | None) -> Citation:
    return Citation(n=n, article_id=f"a{n}", title=title, date=dt.date(2024, 1, n), source=f"path/{n}",
                    url=url, sentence=sentence, start=0, end=len(sentence), passage=passage + sentence)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question=LONG, sentences=st.lists(LONG, min_size=1, max_size=3), title=TEXT,
       url=st.one_of(st.none(), TEXT, TEXT.map(lambda t: "https://x.org/" + t)), abstained=st.booleans())
def test_every_rendered_telegram_message_is_valid_html_within_the_limit(reliability, question, sentences, title, url,
                                                                        abstained):
    reliability.count("Hostile inputs", input="Hypothesis: answers and passages of arbitrary Unicode, rendered",
                      outcome="valid Telegram HTML within 4096")
    citations = tuple(citation(i + 1, title, s, question, url) for i, s in enumerate(sentences))
    parts = () if abstained else tuple(AnswerPart(s, (i + 1,)) for i, s in enumerate(sentences))
    answer = Answer(question, question, parts, () if abstained else citations, 0.5, abstained)
    messages = render.telegram_html(answer) + [m for c in citations for m in render.telegram_passage(c)]
    for message in messages:
        parse_telegram_html(message)
        assert render.telegram_length(message) <= render.TELEGRAM_LIMIT
    assert plain(answer)


def test_a_quoted_headline_is_shown_in_bold_above_its_article_passage() -> None:
    """A headline is not in the passage it is cited with, so /source N shows it on top."""
    cited = Citation(n=1, article_id="a1", title="Tilby picks Rosa Venn as harbour master", date=dt.date(2025, 5, 12),
                     source="path/1", url=None, sentence="Tilby picks Rosa Venn as harbour master", start=None,
                     end=None, passage="The town council of Tilby made its choice on Monday.")
    pages = render.telegram_passage(cited)
    assert "<b>Tilby picks Rosa Venn as harbour master</b>\n\nThe town council of Tilby made its choice" in "".join(pages)
    assert all(parse_telegram_html(page) for page in pages)


def test_a_short_answer_leads_in_bold() -> None:
    cited = citation(1, "Apple names a new chief", "Tim Cook will lead Apple, the company said.", "", None)
    answer = Answer("Who will lead Apple?", "Who will lead Apple?", (AnswerPart(cited.sentence, (1,)),), (cited,),
                    0.9, False, short="Tim Cook")
    [message] = render.telegram_html(answer)
    assert message.startswith("<b>Tim Cook</b> — Tim Cook will lead Apple") and parse_telegram_html(message)
    assert plain(answer).startswith("Tim Cook — Tim Cook will lead Apple")


def test_a_digest_of_dates_no_article_is_from_says_so() -> None:
    frame = TimeFrame(since=dt.date(2025, 6, 14), until=dt.date(2025, 6, 20))
    digest = Answer("What happened this week?", "What happened this week?", (), (), 0.0, True, frame, listed=True)
    [message] = render.telegram_html(digest)
    assert message == "<i>There are no articles from 2025-06-14 to 2025-06-20.</i>"
    other = Answer("Who won?", "Who won?", (), (), 0.0, True, frame)
    assert render.telegram_html(other) == ["<i>I couldn't find that in the articles.</i>"]
