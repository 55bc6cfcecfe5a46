"""Progress people can read: a line a minute in a log (share of the input read, time left), a bar
on a terminal, and a summary at the end, also when a run stops."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsbot.index.articles import Article, input_bytes, load_paths
from newsbot.index.embedding import Embedder
from newsbot.index.ingest import ingest
from newsbot.index.progress import Progress
from newsbot.index.report import IngestReport
from newsbot.index.store import Store

LINE = re.compile(r"newsbot: [\d,]+ articles \([\d.,]+/s\), [\d,]+ passages \([\d,]+/s\), "
                  r"\d+% of [\d,]+ (KB|bytes) done(, about \d+ (s|min) left)?")
SUMMARY = re.compile(r"newsbot: done: (\d+) added, 0 updated, (\d+) duplicates, 0 problems; "
                     r"[\d,]+ passages in [\d.]+ s \([\d,]+ passages/s\)")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path, embedder: Embedder) -> Iterator[Store]:
    with Store.open(tmp_path / "index", model=embedder.name, dimension=embedder.dimension, writable=True) as store:
        yield store


def test_a_log_gets_a_line_a_minute_with_the_share_read_and_the_time_left() -> None:
    clock, out = Clock(), io.StringIO()
    progress = Progress(107_000_000, live=False, every=60, stream=out, clock=clock)
    report = IngestReport(added=1_200, updated=34, passages=23_456)
    progress.read(20_000_000)
    clock.now = 30
    progress.update(report)
    assert out.getvalue() == ""
    # Reading runs ahead: of the 45 MB read, the articles read hold 40M characters, of which 30M
    # are indexed or skipped: 45/107 x 30/40 = 32% done.
    progress.read(25_000_000)
    progress.arrived(40_000_000)
    progress.finished(30_000_000)
    clock.now = 60
    progress.update(report)
    progress.read(10_000_000)
    progress.arrived(10_000_000)
    progress.finished(15_000_000)
    clock.now = 120
    report.duplicates = 300
    progress.update(report)
    report.seconds = 130
    progress.finish(report)
    report.headlines = 1
    progress.finish(report)
    assert out.getvalue().splitlines() == [
        "newsbot: 1,234 articles (20.6/s), 23,456 passages (391/s), 32% of 107 MB done, about 2 min left",
        "newsbot: 1,234 articles (10.3/s), 23,456 passages (195/s), 300 duplicates, 46% of 107 MB done, about 2 min left",
        "newsbot: done: 1,200 added, 34 updated, 300 duplicates, 0 problems; 23,456 passages in 130.0 s (180 passages/s)",
        "newsbot: done: 1,200 added, 34 updated, 300 duplicates, 0 problems; 23,456 passages in 130.0 s (180 passages/s)"
        "; 1 headline stored for articles indexed before",
    ]


def test_the_time_left_holds_through_one_slow_minute() -> None:
    clock, out = Clock(), io.StringIO()
    progress = Progress(1_000_000, live=False, every=60, stream=out, clock=clock)
    report = IngestReport()
    for minute, share in enumerate((0.05, 0.10, 0.15, 0.16, 0.21), start=1):
        progress.read(int(share * 1_000_000) - progress.bytes_read)
        clock.now = 60 * minute
        progress.update(report)
    # 5% a minute, but for one minute at 1%: the estimate stays near 16 min, not 84.
    assert [line.rsplit(", about ", 1)[1] for line in out.getvalue().splitlines()] == [
        "19 min left", "18 min left", "17 min left", "17 min left", "16 min left"]


def test_an_ingest_in_a_log_writes_progress_lines_and_a_summary(store: Store, embedder: Embedder,
                                                                articles_dir: Path) -> None:
    out = io.StringIO()
    progress = Progress(input_bytes([articles_dir]), live=False, every=0, stream=out)
    ingest(store, embedder, load_paths([articles_dir], on_read=progress.read), progress=progress, commit_every=1)
    *lines, summary = out.getvalue().splitlines()
    assert len(lines) >= 5 and all(LINE.fullmatch(line) for line in lines), lines
    assert "100% of" in lines[-1]
    assert SUMMARY.fullmatch(summary).groups() == ("5", "0")

    out = io.StringIO()
    progress = Progress(input_bytes([articles_dir]), live=False, every=3600, stream=out)
    ingest(store, embedder, load_paths([articles_dir], on_read=progress.read), progress=progress)
    [summary] = out.getvalue().splitlines()
    assert SUMMARY.fullmatch(summary).groups() == ("0", "5")

    # A rerun skips what is indexed: skipped articles count as done.
    out = io.StringIO()
    progress = Progress(input_bytes([articles_dir]), live=False, every=0, stream=out)
    ingest(store, embedder, load_paths([articles_dir], on_read=progress.read), progress=progress)
    *lines, summary = out.getvalue().splitlines()
    assert lines and "100% of" in lines[-1] and SUMMARY.fullmatch(summary).groups() == ("0", "5")


def test_a_terminal_gets_a_bar_then_the_summary(store: Store, embedder: Embedder, articles_dir: Path) -> None:
    out = io.StringIO()
    progress = Progress(input_bytes([articles_dir]), live=True, bar_every=0, stream=out)
    ingest(store, embedder, load_paths([articles_dir], on_read=progress.read), progress=progress, commit_every=1)
    shown = out.getvalue()
    assert "indexing" in shown and "articles (" in shown and "passages (" in shown
    assert SUMMARY.fullmatch(shown.splitlines()[-1].split("\r")[-1]).groups() == ("5", "0")


def test_a_run_that_stops_says_so(store: Store, embedder: Embedder, articles_dir: Path) -> None:
    def broken() -> Iterator[Article]:
        yield from load_paths([articles_dir / "harbour.txt"])
        raise OSError("disk gone")

    out = io.StringIO()
    with pytest.raises(OSError, match="disk gone"):
        ingest(store, embedder, broken(), progress=Progress(live=False, stream=out))
    assert out.getvalue().startswith("newsbot: stopped: 0 added")
    assert out.getvalue().rstrip().endswith("run it again to continue")
