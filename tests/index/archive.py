"""A JSONL archive over the old 20 MB file limit, cheap to index: mostly copies of one digest and
lines without text, with a few distinct articles and bad lines spread through it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from shared import ARTICLES

from newsbot.index.articles import Article, load_paths
from newsbot.index.sentences import split_sentences

OLD_LIMIT = 20 * 1024 * 1024
BAD_LINES = ((b'{"text": "unfinished', "broken JSON"),
             ('{"text": "Caf\u00e9 au lait."}'.encode("latin-1"), "not UTF-8"),
             (b'{"text": "a\x00b"}', "NUL bytes"))


def fixture_sentences() -> list[str]:
    """Every sentence of the fixture articles."""
    return [s.text for item in load_paths([ARTICLES]) if isinstance(item, Article)
            for s in split_sentences(item.text)]


@dataclass
class Archive:
    path: Path
    digest: str = ""
    good_ids: list[str] = field(default_factory=list)
    copies: int = 0
    problems: dict[int, str] = field(default_factory=dict)


def write_archive(path: Path, size: int = OLD_LIMIT + 1024 * 1024) -> Archive:
    """At least `size` bytes: every 4th line a copy of a 16 KB digest, the others lines without
    'text' (both of the digest's size), with a distinct article every 200th line and a bad line
    (broken JSON, not UTF-8, a NUL byte, in turn) 50 lines after each, and a distinct article last."""
    sentences = fixture_sentences()
    paragraphs, length = [], 0
    while length < 16_000:
        paragraphs.append(" ".join(sentences[(len(paragraphs) + i) % len(sentences)] for i in range(4)))
        length += len(paragraphs[-1]) + 2
    digest = "\n\n".join(paragraphs)
    copy = json.dumps({"title": "Archive digest", "text": digest}).encode()
    no_text = json.dumps({"title": "No text here", "body": digest}).encode()
    archive = Archive(path, digest)
    written, bad = 0, 0

    def good(n: int) -> bytes:
        archive.good_ids.append(f"archive-{n}")
        text = f"Archive item {n}. {sentences[n % len(sentences)]} {sentences[(n + 3) % len(sentences)]}"
        return json.dumps({"id": f"archive-{n}", "text": text, "date": "2023-05-01"}).encode()

    with path.open("wb") as out:
        lineno = 0
        while written < size:
            lineno += 1
            if lineno % 200 == 1:
                line = good(lineno)
            elif lineno % 200 == 51:
                line, message = BAD_LINES[bad % len(BAD_LINES)]
                archive.problems[lineno] = message
                bad += 1
            elif lineno % 4 == 0:
                line = copy
                archive.copies += 1
            else:
                line = no_text
                archive.problems[lineno] = "missing or empty 'text'"
            written += out.write(line + b"\n")
        out.write(good(lineno + 1) + b"\n")
    return archive
