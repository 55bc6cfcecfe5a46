"""Answers as Telegram HTML: escaped once, split into messages of at most 4096 UTF-16 units without
cutting inside a tag, each with the plain text it shows (the fallback when Telegram refuses HTML)."""

from __future__ import annotations

import html
import re

from newsbot.answer.types import NOT_FOUND, Answer, Citation, date_label, grouped_sources, not_found

TELEGRAM_LIMIT = 4096


def telegram_length(text: str) -> int:
    """Telegram counts UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _plain_chunks(text: str, limit: int) -> list[str]:
    """Escaped pieces of plain text, cut at white space, each at most `limit` long once escaped."""
    chunks, current = [], ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if telegram_length(html.escape(candidate, quote=False)) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(html.escape(current, quote=False))
        while telegram_length(html.escape(word, quote=False)) > limit:
            cut = limit // 6
            chunks.append(html.escape(word[:cut], quote=False))
            word = word[cut:]
        current = word
    if current:
        chunks.append(html.escape(current, quote=False))
    return chunks


def pack_messages(blocks: list[tuple[str, str]], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Pack (html, plain) blocks into messages of at most `limit`, never cutting inside a tag:
    a block too long for one message is sent as escaped plain text, cut at white space."""
    messages: list[str] = []
    current = ""
    for markup, text in blocks:
        pieces = [markup] if telegram_length(markup) <= limit else _plain_chunks(text, limit)
        for piece in pieces:
            joined = f"{current}\n\n{piece}" if current else piece
            if telegram_length(joined) <= limit:
                current = joined
            else:
                messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages or [html.escape(NOT_FOUND, quote=False)]


def to_plain(markup: str) -> str:
    """Telegram HTML back to the text it shows (the plain-text fallback when HTML is refused)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def escape(text: str) -> str:
    """Text made safe for Telegram HTML."""
    return html.escape(text, quote=False)


def _source_line(numbers: list[int], citation: Citation) -> tuple[str, str]:
    marks = "".join(f"[{n}]" for n in numbers)
    title = escape(citation.title)
    if citation.url and citation.url.startswith(("http://", "https://")):
        title = f'<a href="{html.escape(citation.url, quote=True)}">{title}</a>'
    plain_line = f"{marks} {citation.title} ({date_label(citation.date)})"
    return f"{marks} {title} ({date_label(citation.date)})", plain_line


def telegram_html(answer: Answer) -> list[str]:
    """The answer as Telegram HTML messages: the short answer in bold when there is one, the text with
    [n] markers, then the sources with links."""
    if answer.abstained:
        message, heading = not_found(answer)
        blocks = [(f"<i>{escape(message)}</i>", message)]
        closest = answer.closest_articles()
        if closest:
            lines = [f"• {h.article.title} ({date_label(h.article.date)})" for h in closest]
            blocks.append((f"{heading}\n" + escape("\n".join(lines)), "\n".join(lines)))
        return pack_messages(blocks)
    if answer.short:
        blocks = [(f"<b>{escape(answer.short)}</b> — {escape(answer.text)}", f"{answer.short} — {answer.text}")]
    else:
        blocks = [(escape(answer.text), answer.text)]
    if answer.time_frame.describe():
        note = f"(articles {answer.time_frame.describe()})"
        blocks.append((f"<i>{escape(note)}</i>", note))
    lines = [_source_line(numbers, citation) for numbers, citation in grouped_sources(answer)]
    blocks.append(("<b>Sources</b>\n" + "\n".join(m for m, _ in lines), "Sources\n" + "\n".join(p for _, p in lines)))
    return pack_messages(blocks)


def telegram_passage(citation: Citation) -> list[str]:
    """A cited passage with the cited sentence in bold, under its source line; a quoted headline,
    which is not in the passage, in bold above it."""
    head_markup, head_plain = _source_line([citation.n], citation)
    passage = citation.passage
    if citation.headline:
        return pack_messages([(f"<b>{head_markup}</b>", head_plain),
                              (f"<b>{escape(citation.sentence)}</b>\n\n{escape(passage)}",
                               f"{citation.sentence}\n\n{passage}")])
    offset = passage.find(citation.sentence)
    if offset < 0:
        body = escape(passage)
    else:
        end = offset + len(citation.sentence)
        body = f"{escape(passage[:offset])}<b>{escape(citation.sentence)}</b>{escape(passage[end:])}"
    return pack_messages([(f"<b>{head_markup}</b>", head_plain), (body, passage)])
