"""Hostile uploads through the Bot API stand-in (real HTTP): archives and zip bombs, path-like and
control-character names, wrong types and oversized files are refused or tamed, never unpacked."""

from __future__ import annotations

import gzip
import io
import zipfile

from harness import ADMIN, replies, run, running
from botapi_stub import BotApiStub

from newsbot.telegram.state import BotState
from newsbot.telegram.uploads import upload_label

BOMB_BYTES = 16 * 1024 * 1024
FAILURE_TEXTS = ("Traceback", "Sorry, something went wrong", "Error:")


def zip_bomb() -> bytes:
    """A zip of a few KB holding one member of 16 MB of zeros (about 1000 times its size)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("news.txt", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(BOMB_BYTES // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


def article(n: int) -> bytes:
    return f" date 2024-05-0{n} The Oskerby ferry carried {n} thousand passengers in its test week number {n}.\n".encode()


def upload_all(stub: BotApiStub, newsbot: BotState, documents: list[tuple[str, bytes, dict]]) -> list[str]:
    """Send each document as the admin, one after another, and return the bot's replies."""
    async def scenario():
        async with running(newsbot, stub):
            for count, (name, data, options) in enumerate(documents, start=1):
                stub.push_document(name, data, "application/octet-stream", user_id=ADMIN, **options)
                await stub.wait_for_async("sendMessage", count=count, ok=True)
    run(scenario())
    texts = [m["text"] for m in replies(stub)]
    assert len(texts) == len(documents)
    assert not any(bad in text for text in texts for bad in FAILURE_TEXTS)
    return texts


def uploaded_paths(newsbot: BotState) -> list[str]:
    newsbot.app.refresh()
    return sorted(a.path for a in newsbot.app.store.articles() if a.path.startswith("upload/"))


def test_archives_and_zip_bombs_are_refused_unopened(stub: BotApiStub, newsbot: BotState, reliability) -> None:
    bomb = zip_bomb()
    gz = gzip.compress(b"\0" * BOMB_BYTES, compresslevel=9)
    assert len(bomb) < newsbot.settings.upload_max_bytes and len(gz) < newsbot.settings.upload_max_bytes
    texts = upload_all(stub, newsbot, [("news.zip", bomb, {}), ("notes.txt.gz", gz, {}),
                                       ("disguised.txt", bomb, {}), ("disguised.md", gz, {})])
    assert all("archive" in text for text in texts), texts
    assert len(stub.sent("getFile")) == 2, "archives named as such are refused before downloading"
    assert newsbot.app.stats().articles == 5
    reliability.count("Hostile inputs", len(texts), input="uploads: zip and gzip bombs of 16 MB, also under .txt/.md names",
                      outcome="refused as archives, never unpacked")


def test_path_like_and_control_character_names_stay_labels(stub: BotApiStub, newsbot: BotState, reliability) -> None:
    names = ["../../etc/passwd.txt", "/abs/path.txt", "a\\b.txt", "nul\x00and\x1bescape\u202e.txt",
             "x" * 3000 + ".txt", "..\\..\\windows\\win.ini.md", "../../etc/passwd", "...", ""]
    texts = upload_all(stub, newsbot, [(name, article(i + 1), {}) for i, name in enumerate(names)])
    assert all("Added 1 article" in text for text in texts[:6]), texts
    assert all("without an extension" in text for text in texts[6:]), texts[6:]
    expected = ["upload/passwd.txt", "upload/path.txt", "upload/b.txt", "upload/nulandescape.txt",
                "upload/" + "x" * 80 + ".txt", "upload/win.ini.md"]
    assert uploaded_paths(newsbot) == sorted(expected)
    reliability.count("Hostile inputs", len(names), input="uploads: path-like, control-character, 3000-character names",
                      outcome="indexed under a plain label, or refused without an extension")


def test_wrong_types_and_oversized_files_are_refused(stub: BotApiStub, newsbot: BotState, reliability) -> None:
    limit = newsbot.settings.upload_max_bytes
    texts = upload_all(stub, newsbot, [
        ("report.pdf", b"%PDF-1.7\n", {}),
        ("photo.txt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", {}),
        ("latin1.md", "Caf\xe9 news".encode("latin-1"), {}),
        ("big.txt", b"word " * limit, {}),
        ("big-undeclared.txt", b"word " * limit, {"omit_size": True}),
        ("fine.txt", article(7), {"omit_size": True}),
    ])
    assert ".pdf" in texts[0]
    assert "binary file" in texts[1] and "not UTF-8" in texts[2] and "Added 0" in texts[1]
    assert "too large" in texts[3] and "too large" in texts[4]
    assert "Added 1 article" in texts[5]
    assert uploaded_paths(newsbot) == ["upload/fine.txt"]
    reliability.count("Hostile inputs", len(texts) - 1, input="uploads: wrong types, binary as .txt, over the size limit",
                      outcome="refused with a message")


def test_an_upload_sent_again_under_the_same_name_replaces_the_old_one(stub: BotApiStub, newsbot: BotState) -> None:
    texts = upload_all(stub, newsbot, [("ferry.txt", article(1), {}), ("ferry.txt", article(2), {})])
    assert "Added 1 article" in texts[0] and "updated 1" in texts[1]
    assert uploaded_paths(newsbot) == ["upload/ferry.txt"]
    assert newsbot.app.stats().articles == 6


def test_labels_keep_the_kind_and_lose_the_path() -> None:
    assert upload_label("C:\\Users\\me\\Desktop\\news.JSONL") == "upload/news.JSONL"
    assert upload_label("héllo wörld <b>.md") == "upload/héllo_wörld_b.md"
    assert upload_label(None) == "upload/upload"
    assert upload_label("\u202e\u200btxt.exe") == "upload/txt.exe"


def test_a_failed_download_is_reported_and_the_file_can_be_sent_again(stub: BotApiStub, newsbot: BotState) -> None:
    stub.inject_fault("getFile", "500")
    texts = upload_all(stub, newsbot, [("ferry.txt", article(1), {}), ("ferry.txt", article(1), {})])
    assert "could not download" in texts[0] and "Added 1 article" in texts[1]
    assert ("getFile", "500") in stub.faults_served


def test_an_uploaded_web_page_is_indexed_by_its_main_text(stub: BotApiStub, newsbot: BotState) -> None:
    page = (b"<html><head><title>Ferry timetable changes</title></head><body><nav>Home | Travel</nav><article>"
            b"<p>The Oskerby ferry will leave every forty minutes from June, the operator said on Monday.</p>"
            b"<p>The first crossing of the day moves to 6.20 in the morning.</p></article></body></html>")
    [text] = upload_all(stub, newsbot, [("timetable.html", page, {})])
    assert "Added 1 article" in text
    newsbot.app.refresh()
    [indexed] = [a for a in newsbot.app.store.articles() if a.path == "upload/timetable.html"]
    assert indexed.title == "Ferry timetable changes"
