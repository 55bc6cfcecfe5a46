"""Read article files (seed text, Markdown/plain text, JSONL, web pages) into validated `Article`s.

Every problem is reported per file (and per line for JSONL) as a `LoadProblem`; one bad file
never stops the others from loading, nor one bad line the lines after it. JSONL is read line by
line, so a file of any size loads in bounded memory; size limits for uploads and fetched pages
belong to the Telegram front end and `newsbot.web.fetch`, not to local files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from newsbot.index.furniture import strip_furniture
from newsbot.index.sentences import split_sentences

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
ARTICLE_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES | HTML_SUFFIXES
MAX_TEXT_FILE_BYTES = 50 * 1024 * 1024
MAX_LINE_BYTES = MAX_TEXT_FILE_BYTES
BINARY_SNIFF_BYTES = 8192
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
    """Validate and complete one article: paragraphs of page furniture dropped, id from the content
    hash, title from the first sentence."""
    body = normalise_text(text)
    if not body:
        raise ArticleError("no text")
    body = strip_furniture(body)
    if not body:
        raise ArticleError("no text but page furniture (bylines, share lines, photo credits)")
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
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        raise ArticleError("binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"not UTF-8 text (undecodable byte at offset {exc.start}); convert it to UTF-8"
        ) from None


def page_article(html: str | bytes, *, path: str, url: str | None = None, source: str | None = None) -> Article:
    """The article in an HTML page: its main text (navigation, boilerplate and comments left out),
    title and date, extracted by trafilatura; `ArticleError` when the page holds no article text."""
    import trafilatura  # here: answering questions never needs it, and it takes a while to import

    document = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    if document is None or not (document.text or "").strip():
        raise ArticleError("no article text found on that page")
    paragraphs = [line for line in document.text.splitlines() if line.strip()]
    if document.title and paragraphs and paragraphs[0].strip() == document.title.strip():
        paragraphs = paragraphs[1:]
    try:
        date = parse_date(document.date) if document.date else None
    except ArticleError:
        date = None
    return make_article("\n\n".join(paragraphs), path=path, title=document.title, date=date, source=source, url=url)


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


def read_jsonl(stream: BinaryIO, path: str,
               on_read: Callable[[int], None] | None = None) -> Iterator[Article | LoadProblem]:
    """One article per JSON line of a binary stream, read a line at a time; only `text` is required.
    Bad lines (broken JSON, not UTF-8, NUL bytes, over `MAX_LINE_BYTES`, no text) are reported by
    number and the next lines still load. A NUL byte in the first 8 KB means the whole file is
    binary, as for text files. `on_read` is told the size of each line read."""
    if b"\x00" in stream.read(BINARY_SNIFF_BYTES):
        yield LoadProblem(path, "binary file (contains NUL bytes), not text")
        return
    stream.seek(0)
    blank = True
    lineno = 0
    while data := stream.readline(MAX_LINE_BYTES + 1):
        lineno += 1
        if len(data) > MAX_LINE_BYTES and not data.endswith(b"\n"):
            size = len(data) + _skip_line(stream)
            if on_read:
                on_read(size)
            blank = False
            yield LoadProblem(path, f"line too long ({size:,} bytes; at most {MAX_LINE_BYTES:,} a line)", lineno)
            continue
        if on_read:
            on_read(len(data))
        try:
            line = data.decode("utf-8-sig" if lineno == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            blank = False
            yield LoadProblem(path, f"not UTF-8 text (undecodable byte at column {exc.start + 1}); "
                                    "convert it to UTF-8", lineno)
            continue
        if not line.strip():
            continue
        blank = False
        if "\x00" in line:
            yield LoadProblem(path, "contains NUL bytes (binary data), not text", lineno)
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
    if blank:
        yield LoadProblem(path, "no text")


def _skip_line(stream: BinaryIO) -> int:
    """Read past the rest of an overlong line, a bounded piece at a time; the bytes skipped."""
    skipped = 0
    while piece := stream.readline(1024 * 1024):
        skipped += len(piece)
        if piece.endswith(b"\n"):
            break
    return skipped


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


def load_file(path: Path, on_read: Callable[[int], None] | None = None) -> Iterator[Article | LoadProblem]:
    """Articles in one file, or the problems that kept them out. JSONL streams (any size); a text
    file is one article and is read whole, so one over `MAX_TEXT_FILE_BYTES` (50 MB, some fifty
    books) is reported rather than indexed: it is far more likely a log, a dump or a JSONL file
    with the wrong suffix than a news article. `on_read` is told the bytes consumed as they are."""
    name = str(path)
    try:
        if path.suffix.lower() in JSONL_SUFFIXES:
            with path.open("rb") as stream:
                yield from read_jsonl(stream, name, on_read)
            return
        size = path.stat().st_size
        if size > MAX_TEXT_FILE_BYTES:
            yield LoadProblem(name, f"text file too large to be one article ({size:,} bytes; at most "
                                    f"{MAX_TEXT_FILE_BYTES:,}): split it, or make it JSONL with one article a line")
            return
        data = path.read_bytes()
    except OSError as exc:
        yield LoadProblem(name, f"cannot read: {exc.strerror or exc}")
        return
    if on_read:
        on_read(len(data))
    yield from load_bytes(data, name)


def load_bytes(data: bytes, name: str) -> Iterator[Article | LoadProblem]:
    """Articles in the bytes of one file (an upload); `name` (its suffix picks the format: JSONL, a
    web page, else text) is their path. The caller bounds the size."""
    suffix = Path(name).suffix.lower()
    if suffix in JSONL_SUFFIXES:
        yield from read_jsonl(io.BytesIO(data), name)
        return
    try:
        raw = _decode(data)
        article = page_article(raw, path=name) if suffix in HTML_SUFFIXES else parse_text_file(raw, name)
    except ArticleError as exc:
        yield LoadProblem(name, str(exc))
        return
    yield article


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
    return path.suffix.lower() in ARTICLE_SUFFIXES


def input_bytes(paths: Iterable[Path]) -> int:
    """The total size of the article files under the given paths: what `load_paths` will read."""
    total = 0
    for item in iter_files(paths):
        if isinstance(item, Path):
            try:
                total += item.stat().st_size
            except OSError:
                pass
    return total


def load_paths(paths: Iterable[Path], on_read: Callable[[int], None] | None = None) -> Iterator[Article | LoadProblem]:
    """Every article under the given files and folders, file by file (a file's items come together),
    with a problem for each file or line that failed. `on_read` is told the bytes consumed."""
    for item in iter_files(paths):
        if isinstance(item, LoadProblem):
            yield item
        else:
            yield from load_file(item, on_read)
