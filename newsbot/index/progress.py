"""How far an ingest run has got, for people: a live bar on a terminal, a plain line every minute in
a log, and a one-line summary at the end.

With streaming input the number of articles is unknown until the end, so the share done comes from
the input bytes: the share of the given files read, times the share of the text read so far that is
done, indexed or skipped as a duplicate (reading runs ahead of the model). The time left is that
share's median pace over the last few intervals: robust to one slow or fast minute, and soon
free of the fast start of a rerun that skips what is indexed.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TextIO

from newsbot.index.report import IngestReport

LINE_EVERY = 60.0
BAR_EVERY = 0.1
PACE_INTERVALS = 5


class Progress:
    """Progress of one ingest run. `read` is told the input bytes consumed (pass it to
    `load_paths(..., on_read=)`), `update` the run's counts so far, `finish` the end. `live`
    (default: whether `stream` is a terminal) picks the bar; otherwise a line is written at the
    first `update` after each `every` seconds; the bar redraws at most every `bar_every` seconds.
    Updates may come from more than one thread."""

    def __init__(self, total_bytes: int | None = None, *, live: bool | None = None, every: float = LINE_EVERY,
                 bar_every: float = BAR_EVERY, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.total_bytes = total_bytes or None
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.every = every
        self.clock = clock
        self.bytes_read = 0
        self.arrived_chars = 0
        self.done_chars = 0
        self._started = self._last = clock()
        self._done_at_last = 0.0
        self._paces: deque[float] = deque(maxlen=PACE_INTERVALS)
        self._lock = threading.Lock()
        self._bar = None
        if self.live:
            by_bytes = self.total_bytes is not None
            from tqdm import tqdm  # here: questions never draw a bar, and importing tqdm takes 25 ms

            self._bar = tqdm(total=self.total_bytes, unit="B" if by_bytes else " articles", unit_scale=by_bytes,
                             unit_divisor=1024, desc="indexing", leave=False, file=self.stream, dynamic_ncols=True,
                             mininterval=bar_every)

    def read(self, nbytes: int) -> None:
        """`nbytes` more of the input were read."""
        self.bytes_read += nbytes

    def arrived(self, chars: int) -> None:
        """An article of `chars` characters was read."""
        self.arrived_chars += chars

    def finished(self, chars: int) -> None:
        """Articles of `chars` characters in all were committed or skipped."""
        self.done_chars += chars

    def done(self) -> float:
        """The estimated share of the input done, 0 to 1 (needs the total size)."""
        if not self.total_bytes:
            return 0.0
        read = min(self.bytes_read / self.total_bytes, 1.0)
        return read * (min(self.done_chars / self.arrived_chars, 1.0) if self.arrived_chars else 1.0)

    def update(self, report: IngestReport) -> None:
        """Show the counts in `report` (the bar at once, a line when `every` seconds have passed)."""
        with self._lock:
            now = self.clock()
            if self._bar is not None:
                done = round(self.done() * self.total_bytes) if self.total_bytes else report.added + report.updated
                self._bar.set_postfix_str(self._counts(report, now), refresh=False)
                self._bar.update(done - self._bar.n)
            elif now - self._last >= self.every:
                done = self.done()
                self._paces.append((done - self._done_at_last) / max(now - self._last, 1e-9))
                self._write(self._line(report, now, done))
                self._last, self._done_at_last = now, done

    def finish(self, report: IngestReport, stopped: bool = False) -> None:
        """Close the bar and write the summary: what was done, or how far a failed run got."""
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
            seconds = report.seconds or self.clock() - self._started
            rate = report.passages / seconds if seconds > 0 else 0.0
            outcome = "stopped" if stopped else "done"
            tail = "; run it again to continue" if stopped else ""
            if report.headlines:
                tail = f"; {_count(report.headlines, 'headline')} stored for articles indexed before" + tail
            self._write(f"newsbot: {outcome}: {report.added:,} added, {report.updated:,} updated, "
                        f"{_count(report.duplicates, 'duplicate')}, {_count(report.problem_count, 'problem')}; "
                        f"{report.passages:,} passages in {seconds:.1f} s ({rate:,.0f} passages/s){tail}")

    def _counts(self, report: IngestReport, now: float) -> str:
        elapsed = max(now - self._started, 1e-9)
        articles = report.added + report.updated
        parts = [f"{articles:,} articles ({articles / elapsed:,.1f}/s)",
                 f"{report.passages:,} passages ({report.passages / elapsed:,.0f}/s)"]
        if report.duplicates:
            parts.append(_count(report.duplicates, "duplicate"))
        if report.problem_count:
            parts.append(_count(report.problem_count, "problem"))
        return ", ".join(parts)

    def _line(self, report: IngestReport, now: float, done: float) -> str:
        """The counts, and with a known input size the share done and the time left at the median
        pace of the last intervals (a rerun skips what is indexed fast, so the pace from the start
        would lie)."""
        parts = [self._counts(report, now)]
        if self.total_bytes:
            parts.append(f"{done:.0%} of {_size(self.total_bytes)} done")
            pace = statistics.median(self._paces)
            if pace > 0 and done < 1.0:
                parts.append(f"about {_duration((1.0 - done) / pace)} left")
        return "newsbot: " + ", ".join(parts)

    def _write(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


def _size(nbytes: int) -> str:
    if nbytes >= 1e9:
        return f"{nbytes / 1e9:,.1f} GB"
    for unit, scale in (("MB", 1e6), ("KB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:,.0f} {unit}"
    return f"{nbytes} bytes"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def as_progress(progress: bool | Progress | None) -> Progress | None:
    """What `ingest(progress=)` accepts: a `Progress`, True for one with no known input size, or
    False/None for none."""
    if progress is True:
        return Progress()
    return progress or None


def _count(n: int, noun: str) -> str:
    """"1 problem", "2 problems"."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
