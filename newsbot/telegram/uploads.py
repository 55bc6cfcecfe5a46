"""Vetting of files admins upload: a harmless label from the sender's file name, and refusal of
archives, other types and oversized files before anything is parsed (nothing is ever unpacked)."""

from __future__ import annotations

import re
import unicodedata

from newsbot.index.articles import ARTICLE_SUFFIXES

LABEL_PREFIX = "upload/"
MAX_STEM_CHARS = 80
ARCHIVE_SUFFIXES = {".zip", ".gz", ".tgz", ".tar", ".bz2", ".tbz2", ".xz", ".txz", ".7z", ".rar", ".zst",
                    ".lz", ".lzma", ".z", ".cab"}
ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"\x1f\x8b", b"\x1f\x9d", b"BZh",
                 b"\xfd7zXZ\x00", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07", b"\x28\xb5\x2f\xfd", b"LZIP",
                 b"MSCF", b"\x5d\x00\x00")
TAR_MAGIC_OFFSET = 257
ACCEPTED = "I can add .txt, .md, .jsonl and .html files"


class UploadRefused(ValueError):
    """The upload is not accepted; the message says why, in words for the sender."""


def upload_label(file_name: str | None) -> str:
    """`upload/<name>`: the last part of the sender's name (either slash counts), without control
    characters or unusual symbols, the stem cut to 80 characters; it is a label, never a path."""
    raw = unicodedata.normalize("NFC", file_name or "")
    raw = "".join(c for c in raw if unicodedata.category(c)[0] != "C")
    last = re.split(r"[/\\]", raw)[-1].strip().lstrip(".")
    safe = re.sub(r"[^\w.-]+", "_", last)
    stem, dot, suffix = safe.rpartition(".")
    if not dot:
        stem, suffix = safe, ""
    stem = stem[:MAX_STEM_CHARS].strip("._") or "upload"
    return LABEL_PREFIX + (f"{stem}.{suffix[:12]}" if suffix else stem)


def suffix_of(label: str) -> str:
    name = label.removeprefix(LABEL_PREFIX)
    return "." + name.rsplit(".", 1)[1].lower() if "." in name else ""


def check_declared(label: str, size: int | None, limit: int) -> None:
    """Refuse by name and declared size, before downloading."""
    suffix = suffix_of(label)
    if suffix in ARCHIVE_SUFFIXES:
        raise UploadRefused(f"I don't unpack archives ({suffix}). {ACCEPTED}: send the files themselves.")
    if suffix not in ARTICLE_SUFFIXES:
        raise UploadRefused(f"{ACCEPTED}, not {suffix or 'files without an extension'}.")
    if size is not None and size > limit:
        raise UploadRefused(f"That file is too large (limit {limit // 1024} KB).")


def check_content(data: bytes, limit: int) -> None:
    """Refuse downloaded bytes that are too many or are an archive whatever the name says."""
    if len(data) > limit:
        raise UploadRefused(f"That file is too large (limit {limit // 1024} KB).")
    if data.startswith(ARCHIVE_MAGIC) or data[TAR_MAGIC_OFFSET:TAR_MAGIC_OFFSET + 5] == b"ustar":
        raise UploadRefused(f"That file is an archive, which I don't unpack. {ACCEPTED}: send the files themselves.")
