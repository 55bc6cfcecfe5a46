"""The reliability report: tests record figures in the session fixture `reliability`; with
`--reliability-report PATH` they are written at the end as Markdown tables (registered in tests/conftest.py, so give `tests` as the path)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

INTRO = {
    "Kill points": "`newsbot index add` killed with SIGKILL mid-job (tests/index/test_crash.py); after every "
                   "kill a fresh reader finds every earlier passage unchanged, no duplicate article and FAISS "
                   "equal to SQLite, and a final run completes the job.",
    "Hostile inputs": "Inputs tried against the bot, loaders, renderer and URL fetcher, and what became "
                      "of them; Hypothesis rows count the generated examples that ran.",
    "Faults": "Bot API faults injected by the stand-in (tests/telegram/botapi_stub.py) during a question; survived "
              "means the bot kept serving and delivered exactly one answer.",
    "Load": "Questions pushed at once to the real bot and engine over real HTTP (tests/telegram/test_load.py); "
            "lag is how much a 10 ms sleep on the event loop overshot; latency is from arrival to the "
            "answer reaching the stand-in.",
}


class Figures:
    """Rows of named tables; `count` keeps a running total in a row instead of adding rows."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = defaultdict(list)

    def row(self, table: str, **columns: object) -> None:
        self.rows[table].append(columns)

    def count(self, table: str, n: int = 1, *, counter: str = "tried", **columns: object) -> None:
        """Add `n` to the `counter` column of the row holding exactly `columns` (made on first use)."""
        for row in self.rows[table]:
            if counter in row and {k: v for k, v in row.items() if k != counter} == columns:
                row[counter] += n
                return
        self.rows[table].append({**columns, counter: n})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--reliability-report", metavar="PATH", default=None,
                     help="write the figures the tests record (kills, hostile inputs, faults, load) to PATH")


def pytest_configure(config: pytest.Config) -> None:
    config.reliability_figures = Figures()


@pytest.fixture(scope="session")
def reliability(request: pytest.FixtureRequest) -> Figures:
    """Where tests record figures for the report (kept in memory when no report is asked for)."""
    return request.config.reliability_figures


def markdown_table(rows: list[dict]) -> list[str]:
    headers = list(dict.fromkeys(key for row in rows for key in row))
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    lines += ["| " + " | ".join(str(row.get(h, "")).replace("|", "\\|") for h in headers) + " |" for row in rows]
    return lines


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        model = cpu
    return f"{model}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def revision() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = session.config.getoption("--reliability-report")
    if not path:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    stats = {key: len(reporter.stats.get(key, [])) for key in ("passed", "failed", "error", "skipped")} if reporter else {}
    lines = ["# Reliability report", "",
             "Written by `scripts/test tests --reliability-report PATH`: the tests record these figures as they run "
             "(the tests line says whether any failed).", "",
             f"- date: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
             f"- machine: {machine()}",
             f"- commit: {revision()}",
             "- command: `" + " ".join(["pytest", *sys.argv[1:]]) + "`",
             "- tests: " + ", ".join(f"{n} {key}" for key, n in stats.items() if n), ""]
    for name, rows in session.config.reliability_figures.rows.items():
        lines += [f"## {name}", ""]
        if name in INTRO:
            lines += [INTRO[name], ""]
        lines += markdown_table(rows) + [""]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines), encoding="utf-8")
