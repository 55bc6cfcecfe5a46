"""Answers as plain text for the terminal: the answer with `[n]` markers, then its sources."""

from __future__ import annotations

import textwrap

from newsbot.answer.types import Answer, cited_where, date_label, grouped_sources, not_found



def plain(answer: Answer, width: int = 100) -> str:
    """The answer with `[n]` markers and a numbered source list, or the abstention and the
    articles it lists (`not_found`)."""
    lines: list[str] = []
    if answer.abstained:
        message, heading = not_found(answer)
        lines.append(message)
        closest = answer.closest_articles()
        if closest:
            lines += ["", heading]
            lines += [f"- {hit.article.title} ({date_label(hit.article.date)})" for hit in closest]
        return "\n".join(lines)
    text = f"{answer.short} — {answer.text}" if answer.short else answer.text
    lines += [textwrap.fill(line, width, subsequent_indent="  " if answer.listed else "") for line in text.splitlines()]
    if answer.time_frame.describe():
        lines.append(f"(articles {answer.time_frame.describe()})")
    lines += ["", "Sources:"]
    for numbers, citation in grouped_sources(answer):
        marks = "".join(f"[{n}]" for n in numbers)
        lines.append(f"{marks} {citation.title} ({date_label(citation.date)})")
        lines.append(f"    {cited_where(citation)}")
    return "\n".join(lines)


def passages(answer: Answer, width: int = 100) -> str:
    """The passages behind an answer, best first (the chat's /sources)."""
    if not answer.hits:
        return "No passages were retrieved."
    blocks = []
    for hit in answer.hits:
        head = f"#{hit.rank} {hit.article.title} ({date_label(hit.article.date)}) chars {hit.passage.start}-{hit.passage.end}"
        blocks.append(head + "\n" + textwrap.indent(textwrap.fill(hit.passage.text, width - 4), "    "))
    return "\n\n".join(blocks)
