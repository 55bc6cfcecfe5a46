"""Answers as text for people: plain text for the terminal (Telegram HTML comes with the bot)."""

from __future__ import annotations

import html
import re
import textwrap

from bot.answer import Answer, Citation

NOT_FOUND = "I couldn't find that in the articles."


def cited_where(citation: Citation) -> str:
    return citation.url or citation.source


def plain(answer: Answer, width: int = 100) -> str:
    """The answer with `[n]` markers and a numbered source list, or the abstention and the
    closest articles."""
    lines: list[str] = []
    if answer.abstained:
        lines.append(NOT_FOUND)
        closest = answer.closest_articles()
        if closest:
            lines += ["", "The closest articles:"]
            lines += [f"- {hit.article.title} ({_date(hit.article.date)})" for hit in closest]
        return "\n".join(lines)
    lines.append(textwrap.fill(answer.text, width))
    if answer.time_frame.describe():
        lines.append(f"(articles {answer.time_frame.describe()})")
    lines += ["", "Sources:"]
    for numbers, citation in sources(answer):
        marks = "".join(f"[{n}]" for n in numbers)
        lines.append(f"{marks} {citation.title} ({_date(citation.date)})")
        lines.append(f"    {cited_where(citation)}")
    return "\n".join(lines)


def sources(answer: Answer) -> list[tuple[list[int], Citation]]:
    """Citations grouped by article, so an article cited twice is listed once."""
    grouped: dict[str, tuple[list[int], Citation]] = {}
    for citation in answer.citations:
        grouped.setdefault(citation.article_id, ([], citation))[0].append(citation.n)
    return list(grouped.values())


def passages(answer: Answer, width: int = 100) -> str:
    """The passages behind an answer, best first (the chat's /sources)."""
    if not answer.hits:
        return "No passages were retrieved."
    blocks = []
    for hit in answer.hits:
        head = f"#{hit.rank} {hit.article.title} ({_date(hit.article.date)}) chars {hit.passage.start}-{hit.passage.end}"
        blocks.append(head + "\n" + textwrap.indent(textwrap.fill(hit.passage.text, width - 4), "    "))
    return "\n\n".join(blocks)


def answer_json(answer: Answer) -> dict:
    """The `ask --json` shape."""
    return {
        "answer": answer.text,
        "abstained": answer.abstained,
        "confidence": round(answer.confidence, 4),
        "citations": [
            {
                "n": c.n, "article_id": c.article_id, "title": c.title,
                "date": c.date.isoformat() if c.date else None, "source": c.source, "url": c.url,
                "sentence": c.sentence, "start": c.start, "end": c.end, "passage": c.passage,
            }
            for c in answer.citations
        ],
    }


def _date(value) -> str:
    return value.isoformat() if value else "undated"


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
    plain_line = f"{marks} {citation.title} ({_date(citation.date)})"
    return f"{marks} {title} ({_date(citation.date)})", plain_line


def telegram_html(answer: Answer) -> list[str]:
    """The answer as Telegram HTML messages: text with [n] markers, then the sources with links."""
    if answer.abstained:
        blocks = [(f"<i>{escape(NOT_FOUND)}</i>", NOT_FOUND)]
        closest = answer.closest_articles()
        if closest:
            lines = [f"• {h.article.title} ({_date(h.article.date)})" for h in closest]
            blocks.append(("The closest articles:\n" + escape("\n".join(lines)), "\n".join(lines)))
        return pack_messages(blocks)
    blocks = [(escape(answer.text), answer.text)]
    if answer.time_frame.describe():
        note = f"(articles {answer.time_frame.describe()})"
        blocks.append((f"<i>{escape(note)}</i>", note))
    lines = [_source_line(numbers, citation) for numbers, citation in sources(answer)]
    blocks.append(("<b>Sources</b>\n" + "\n".join(m for m, _ in lines), "Sources\n" + "\n".join(p for _, p in lines)))
    return pack_messages(blocks)


def telegram_passage(citation: Citation) -> list[str]:
    """A cited passage with the cited sentence in bold, under its source line."""
    head_markup, head_plain = _source_line([citation.n], citation)
    passage = citation.passage
    offset = passage.find(citation.sentence)
    if offset < 0:
        body = escape(passage)
    else:
        end = offset + len(citation.sentence)
        body = f"{escape(passage[:offset])}<b>{escape(citation.sentence)}</b>{escape(passage[end:])}"
    return pack_messages([(f"<b>{head_markup}</b>", head_plain), (body, passage)])
