"""Answers as text for people: plain text for the terminal (Telegram HTML comes with the bot)."""

from __future__ import annotations

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
