"""What the benchmarks share: argument types, progress, machine facts, RSS, and table output."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

Row = tuple[str, ...]


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def say(message: str) -> None:
    """Progress goes to stderr so stdout holds only the facts and the table."""
    print(message, file=sys.stderr, flush=True)


def rss_bytes() -> int:
    """This process's resident set size now (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def machine_facts() -> list[tuple[str, str]]:
    import faiss
    import torch

    from newsbot.index.backends import cpu_has_bf16

    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo", encoding="utf-8", errors="replace")
                  if line.startswith("model name")), platform.machine())
    return [
        ("date", dt.datetime.now().isoformat(timespec="minutes")),
        ("python", f"{platform.python_version()} on {platform.platform()}"),
        ("cpu", f"{model}, {os.cpu_count()} cores, bf16 {'native' if cpu_has_bf16() else 'emulated'}"),
        ("libraries", f"torch {torch.__version__} ({torch.get_num_threads()} threads), faiss {faiss.__version__}"),
        ("command", " ".join([os.path.relpath(sys.argv[0]), *sys.argv[1:]])),
    ]


def format_table(header: Row, rows: list[Row]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def format_facts(facts: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in facts)
    return "\n".join(f"{name.ljust(width)} : {value}" for name, value in facts)


def report(facts: list[tuple[str, str]], header: Row, rows: list[Row], as_json: bool, extra: dict | None = None) -> None:
    """Print the facts and the table, or one JSON object with both."""
    if as_json:
        print(json.dumps({"facts": dict(facts), "rows": [dict(zip(header, row)) for row in rows], **(extra or {})}))
        return
    print(format_facts(facts))
    print()
    print(format_table(header, rows), flush=True)


def run_in_workdir(benchmark: Callable[[argparse.Namespace, Path], None], args: argparse.Namespace) -> None:
    """Run `benchmark` in `args.workdir` (kept), or in a temporary folder deleted afterwards."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        benchmark(args, args.workdir)
        return
    workdir = Path(tempfile.mkdtemp(prefix="newsbot-bench-"))
    try:
        benchmark(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
