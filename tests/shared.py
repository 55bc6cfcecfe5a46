"""What every test module may import: the fixture paths and this run's model cache."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# ONNX exports and backend checks go to a cache of this run only (subprocesses inherit it).
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="newsbot-test-cache-")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], True)

CACHE_DIR = Path(os.environ["XDG_CACHE_HOME"]) / "newsbot"
FIXTURES = Path(__file__).parent / "fixtures"
ARTICLES = FIXTURES / "articles"


def dated_index(directory: Path, articles: list[tuple[str, str, str]]):
    """Settings of a new index at `directory` holding `articles`, each (YYYY-MM-DD, title, text)."""
    import datetime as dt

    from newsbot.app import Newsbot
    from newsbot.index.articles import make_article
    from newsbot.settings import Settings

    settings = Settings(index_dir=directory)
    with Newsbot.open(settings, create=True) as app:
        app.add([make_article(text, path=f"{directory.parent.name}/{i}.txt", title=title,
                              date=dt.date.fromisoformat(day)) for i, (day, title, text) in enumerate(articles)])
    return settings


def write_jsonl(path: Path, records: list[dict]) -> Path:
    """`records` as one JSON object a line at `path`."""
    import json

    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def takes_ctrl_c() -> None:
    """For a child process (`preexec_fn`): Ctrl-C (SIGINT) stops it as it stops a command in a terminal,
    even when the tests run as a background job, whose children inherit SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def reranked(settings, question: str, today):
    """The passages the engine of the index at `settings` re-ranks for `question` asked on `today`."""
    from newsbot.app import Newsbot

    with Newsbot.open(settings) as app:
        query = app.engine.query(question, today)
        return app.engine.rerank.run(query, app.engine.retrieve.run(query))
