"""Read article files (seed text, Markdown/plain text, JSONL) into validated `Article`s.

Every problem is reported per file (and per line for JSONL) as a `LoadProblem`; one bad file
never stops the others from loading.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from newsbot.index.sentences import split_sentences

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_TITLE_CHARS = 200

_SEED_DATE = re.compile(r"^\s*date\s+([0-9][0-9./-]*)(?:\s+|$)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Article:
    """One news article; `text` is what passages and citation offsets refer to."""

    id: str
    title: str
    date: dt.date | None
    source: str
    url: str | None
    text: str
    content_hash: str
    path: str


@dataclass(frozen=True)
class LoadProblem:
    """A file (or one JSONL line) that could not be read, and why."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


class ArticleError(ValueError):
    """The content of one article is not acceptable."""


def content_hash(text: str) -> str:
    """Hash of the text with white space folded, so re-wrapped copies count as the same."""
    folded = " ".join(text.split())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def normalise_text(text: str) -> str:
    """Unify line endings and Unicode form, drop control characters, trim paragraphs."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def parse_date(value: object) -> dt.date | None:
    """An ISO date (`YYYY-MM-DD`, or a timestamp starting with one); None stays None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ArticleError(f"date must be a string like 2022-01-28, got {value!r}")
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise ArticleError(f"malformed date {value.strip()[:40]!r}: expected YYYY-MM-DD") from None


def make_article(
    text: str,
    *,
    path: str,
    title: str | None = None,
    date: dt.date | None = None,
    source: str | None = None,
    url: str | None = None,
    article_id: str | None = None,
) -> Article:
    """Validate and complete one article: id from the content hash, title from the first sentence."""
    body = normalise_text(text)
    if not body:
        raise ArticleError("no text")
    digest = content_hash(body)
    title = " ".join((title or "").split()) or _first_sentence(body)
    return Article(
        id=(article_id or "").strip() or digest[:16],
        title=title,
        date=date,
        source=(source or "").strip() or path,
        url=(url or "").strip() or None,
        text=body,
        content_hash=digest,
        path=path,
    )


def _first_sentence(body: str) -> str:
    first = split_sentences(body.split("\n\n", 1)[0])[0].text.strip()
    if len(first) > MAX_TITLE_CHARS:
        first = first[: MAX_TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return first


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise ArticleError("binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"not UTF-8 text (undecodable byte at offset {exc.start}); convert it to UTF-8"
        ) from None


def parse_text_file(raw: str, path: str) -> Article:
    """Seed format (first line ` date YYYY-MM-DD body…`) or Markdown/plain text without a date."""
    raw = raw.lstrip("\ufeff")
    first, _, rest = raw.partition("\n")
    match = _SEED_DATE.match(first)
    if match:
        date = parse_date(match.group(1))
        return make_article(first[match.end():] + "\n" + rest, path=path, date=date)
    title = None
    heading = _MD_HEADING.match(first)
    if heading:
        title, raw = heading.group(1), rest
    return make_article(raw, path=path, title=title)


def parse_jsonl(raw: str, path: str) -> Iterator[Article | LoadProblem]:
    """One article per JSON line; only `text` is required. Bad lines are reported by number."""
    if not raw.strip():
        yield LoadProblem(path, "no text")
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield LoadProblem(path, f"broken JSON ({exc.msg} at column {exc.colno})", lineno)
            continue
        try:
            yield _article_from_record(record, path)
        except ArticleError as exc:
            yield LoadProblem(path, str(exc), lineno)


def _article_from_record(record: object, path: str) -> Article:
    if not isinstance(record, dict):
        raise ArticleError("a JSONL line must be an object with a 'text' field")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ArticleError("missing or empty 'text'")
    fields = {}
    for key in ("id", "title", "source", "url"):
        value = record.get(key)
        if value is not None and not isinstance(value, (str, int)):
            raise ArticleError(f"'{key}' must be a string")
        fields[key] = None if value is None else str(value)
    return make_article(
        text,
        path=path,
        title=fields["title"],
        date=parse_date(record.get("date")),
        source=fields["source"],
        url=fields["url"],
        article_id=fields["id"],
    )


def load_file(path: Path) -> Iterator[Article | LoadProblem]:
    """Articles in one file, or the problems that kept them out."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            yield LoadProblem(name, f"file too large ({size:,} bytes; limit {MAX_FILE_BYTES:,})")
            return
        data = path.read_bytes()
    except OSError as exc:
        yield LoadProblem(name, f"cannot read: {exc.strerror or exc}")
        return
    yield from load_bytes(data, name)


def load_bytes(data: bytes, name: str) -> Iterator[Article | LoadProblem]:
    """Articles in the bytes of one file; `name` (its suffix picks the format) is their path."""
    try:
        raw = _decode(data)
    except ArticleError as exc:
        yield LoadProblem(name, str(exc))
        return
    if Path(name).suffix.lower() in JSONL_SUFFIXES:
        yield from parse_jsonl(raw, name)
        return
    try:
        yield parse_text_file(raw, name)
    except ArticleError as exc:
        yield LoadProblem(name, str(exc))


def iter_files(paths: Iterable[Path]) -> Iterator[Path | LoadProblem]:
    """The article files under the given paths (folders recursively, hidden entries skipped)."""
    for path in paths:
        path = path.expanduser().resolve()
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden and _is_article_file(child):
                    yield child
        elif path.is_file():
            yield path
        else:
            yield LoadProblem(str(path), "no such file or folder")


def _is_article_file(path: Path) -> bool:
    return path.suffix.lower() in TEXT_SUFFIXES | JSONL_SUFFIXES


def load_paths(paths: Iterable[Path]) -> Iterator[Article | LoadProblem]:
    """Every article under the given files and folders, with a problem for each one that failed."""
    for item in iter_files(paths):
        if isinstance(item, LoadProblem):
            yield item
        else:
            yield from load_file(item)
