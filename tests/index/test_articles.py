"""Loading articles from each format, every kind of bad input reported per file (and per JSONL line),
JSONL of any size streamed, and paragraphs of page furniture dropped."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from pathlib import Path

from archive import OLD_LIMIT, write_archive

from newsbot.index import articles
from newsbot.index.articles import Article, LoadProblem, input_bytes, load_paths


def load(*paths: Path) -> tuple[list[Article], list[LoadProblem]]:
    items = list(load_paths(paths))
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, LoadProblem)]


def test_seed_format_gives_date_title_and_paragraphs(articles_dir: Path) -> None:
    [article], problems = load(articles_dir / "harbour.txt")
    assert not problems
    assert article.date == dt.date(2023, 3, 14)
    assert article.title.startswith("The port authority of Valemont opened a new container terminal")
    assert article.title.endswith("a year.")
    assert article.text.startswith("The port authority")
    assert article.text.count("\n\n") == 2
    assert "date 2023" not in article.text
    assert article.source == str((articles_dir / "harbour.txt").resolve())


def test_the_real_seed_file_layout_loads(tmp_path: Path) -> None:
    path = tmp_path / "000_x.txt"
    path.write_text(" date 2022-01-28 North Korea’s agency said Friday that U.S. officials met on Jan. 5.\n\n"
                    "Second paragraph here.", encoding="utf-8")
    [article], _ = load(path)
    assert article.date == dt.date(2022, 1, 28)
    assert article.title == "North Korea’s agency said Friday that U.S. officials met on Jan. 5."


def test_markdown_heading_becomes_title_and_has_no_date(articles_dir: Path) -> None:
    [article], _ = load(articles_dir / "more" / "library.md")
    assert article.title == "City library reopens after renovation"
    assert article.date is None
    assert article.text.startswith("The central library of Brackenford")


def test_jsonl_records_keep_given_fields_and_fill_the_rest(articles_dir: Path) -> None:
    given, bare = load(articles_dir / "more" / "wire.jsonl")[0]
    assert (given.id, given.title, given.date, given.url, given.source) == (
        "wire-001", "Rail strike called off", dt.date(2023, 4, 2), "https://news.example.org/rail-strike", "Example Wire")
    assert bare.id == bare.content_hash[:16]
    assert bare.title.startswith("A rare quillwort fern")
    assert bare.date is None and bare.url is None


def test_folder_is_read_recursively_and_ids_are_stable(articles_dir: Path) -> None:
    first, _ = load(articles_dir)
    second, _ = load(articles_dir)
    assert len(first) == 5
    assert [a.id for a in first] == [a.id for a in second]
    assert len({a.id for a in first}) == 5


def test_same_text_rewrapped_has_the_same_hash(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("One sentence here. Another one.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("One  sentence\nhere.   Another one.\n", encoding="utf-8")
    a, b = load(tmp_path)[0]
    assert a.content_hash == b.content_hash and a.id == b.id


def test_bad_files_are_reported_one_by_one_and_the_rest_loads(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(" date 2021-05-01 A good article. It loads.", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 au lait.".encode("latin-1"))
    (tmp_path / "empty.txt").write_text("   \n\n  ", encoding="utf-8")
    (tmp_path / "baddate.txt").write_text(" date 2021-13-45 Month thirteen.", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "lines.jsonl").write_text(
        '{"text": "Line one is fine."}\n{"text": "broken\n\n["a list"]\n{"title": "no text"}\n'
        '{"text": "Bad date.", "date": "28/01/2022"}\n', encoding="utf-8")
    articles, problems = load(tmp_path, tmp_path / "missing.txt")
    assert sorted(a.text for a in articles) == ["A good article. It loads.", "Line one is fine."]
    messages = {(Path(p.path).name, p.line): p.message for p in problems}
    assert "not UTF-8" in messages[("latin1.txt", None)]
    assert messages[("empty.txt", None)] == "no text"
    assert "malformed date '2021-13-45'" in messages[("baddate.txt", None)]
    assert "binary" in messages[("binary.txt", None)]
    assert "broken JSON" in messages[("lines.jsonl", 2)]
    assert "object" in messages[("lines.jsonl", 4)]
    assert "text" in messages[("lines.jsonl", 5)]
    assert "malformed date" in messages[("lines.jsonl", 6)]
    assert "no such file" in messages[("missing.txt", None)]
    assert str(problems[0]).count(":") >= 1


def test_control_characters_are_dropped(tmp_path: Path) -> None:
    (tmp_path / "ctl.txt").write_text("Bell\x07 and escape\x1b removed.\r\nSecond line.", encoding="utf-8")
    [article], _ = load(tmp_path)
    assert article.text == "Bell and escape removed. Second line."


def test_a_jsonl_over_the_old_limit_streams_in_bounded_memory(tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "archive.jsonl")
    size = archive.path.stat().st_size
    assert size > OLD_LIMIT
    read: list[int] = []
    ids, problems = [], {}
    tracemalloc.start()
    try:
        for item in load_paths([archive.path], on_read=read.append):
            if isinstance(item, Article):
                ids.append(item.id)
            else:
                problems[item.line] = item.message
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < size / 10, f"peak {peak:,} bytes while reading {size:,}"
    assert sum(read) == size == input_bytes([tmp_path])
    assert [i for i in ids if i.startswith("archive-")] == archive.good_ids
    assert len(ids) == len(archive.good_ids) + archive.copies
    assert problems.keys() == archive.problems.keys()
    assert all(expected in problems[line] for line, expected in archive.problems.items())


def test_bad_jsonl_lines_are_reported_by_number_and_the_lines_after_them_load(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(articles, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "mixed.jsonl"
    padding = [b'{"text": "Padding line %d. ' % n + b"x" * 900 + b'"}' for n in range(2, 12)]
    path.write_bytes(b"\r\n".join([b'\xef\xbb\xbf{"text": "First line, after a byte order mark."}', *padding,
                                    b'{"text": "Caf\xe9."}', b'{"text": "nul\x00"}', b'{"text": "' + b"long " * 400 + b'"}',
                                    b"", b'{"text": "The last line loads."}']))
    assert path.read_bytes().index(b"\x00") > articles.BINARY_SNIFF_BYTES
    loaded, problems = load(path)
    assert loaded[0].text == "First line, after a byte order mark." and loaded[-1].text == "The last line loads."
    assert len(loaded) == 12
    assert {(p.line, p.message.split(" (")[0]) for p in problems} == {
        (12, "not UTF-8 text"), (13, "contains NUL bytes"), (14, "line too long")}


def test_a_text_file_too_large_to_be_one_article_is_reported(tmp_path: Path) -> None:
    (tmp_path / "ok.md").write_text("# Short\n\nA short article.", encoding="utf-8")
    with (tmp_path / "dump.txt").open("wb") as dump:
        dump.truncate(articles.MAX_TEXT_FILE_BYTES + 1)
    loaded, [problem] = load(tmp_path)
    assert [a.title for a in loaded] == ["Short"]
    assert Path(problem.path).name == "dump.txt" and "too large to be one article" in problem.message


LIVE_PAGE = """By Oona Pellow and Rafe Tindall

9:14 am ET March 3, 2024

The Marlow council approved the new footbridge on Tuesday by nine votes to four.

Share this update with your friends

More:Tilby ferry to stop running once the bridge opens

Rafe Tindall/AFP/Getty Images

Following the vote, work is due to start in May. Follow the river path to see the site.

11:00 AM Ribbon cutting at the old ferry steps

Tilby Times staff contributed to this report.
"""


def test_paragraphs_of_page_furniture_are_dropped_and_the_news_kept(tmp_path: Path) -> None:
    (tmp_path / "live.txt").write_text(LIVE_PAGE)
    [article], problems = load(tmp_path / "live.txt")
    assert not problems
    assert article.text.split("\n\n") == [
        "The Marlow council approved the new footbridge on Tuesday by nine votes to four.",
        "Following the vote, work is due to start in May. Follow the river path to see the site.",
        "11:00 AM Ribbon cutting at the old ferry steps",
    ], ("bylines, a live blog's stamp, share lines, related-story links, credits and contributor lines go;"
        " a schedule stays")
    assert article.title.startswith("The Marlow council approved")


def test_an_article_that_is_only_page_furniture_is_reported(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("By Oona Pellow\n\nShare this story\n\nRafe Tindall/AFP/Getty Images\n")
    (tmp_path / "good.txt").write_text("The Marlow footbridge opened to walkers on Saturday.\n")
    loaded, problems = load(tmp_path)
    assert [a.title for a in loaded] == ["The Marlow footbridge opened to walkers on Saturday."]
    [problem] = problems
    assert problem.path.endswith("empty.txt") and "page furniture" in problem.message


WEB_PAGE = """<!doctype html><html><head><title>Cliffside railway reopens | Coast News</title>
<meta property="article:published_time" content="2024-05-02T09:00:00Z"></head>
<body><nav><a href="/">Home</a> | <a href="/world">World</a> | <a href="/sport">Sport</a></nav>
<article><h1>Cliffside railway reopens</h1>
<p>The Cliffside funicular railway in Dunmere reopened on Thursday after a two-year restoration that cost
4 million pounds.</p>
<p>Its two wooden cars, built in 1896, now run on a new steel cable and carry up to 40 passengers each.</p>
<p>The town council said about 120,000 visitors are expected to ride it this summer.</p>
</article><footer>Copyright 2024 Coast News. All rights reserved.</footer></body></html>"""


def test_a_web_page_gives_its_main_text_title_and_date(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "railway.html").write_text(WEB_PAGE, encoding="utf-8")
    (folder / "photo.htm").write_text("<html><body><img src='harbour.jpg'></body></html>", encoding="utf-8")
    found, problems = load(folder)
    [article] = found
    assert article.title.startswith("Cliffside railway reopens") and article.date == dt.date(2024, 5, 2)
    assert article.text.startswith("The Cliffside funicular railway in Dunmere reopened on Thursday")
    assert "40 passengers each" in article.text and "120,000 visitors" in article.text
    assert "Home" not in article.text and "Copyright" not in article.text and "<" not in article.text
    assert [(Path(p.path).name, p.message) for p in problems] == [("photo.htm", "no article text found on that page")]
