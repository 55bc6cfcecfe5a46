"""The index the training scripts (`fit`, `calibrate`) read: opened when it exists, else built from
the training data's own articles (SQuAD-format files carry them; a JSONL question set does not)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsbot.app import Newsbot
    from newsbot.index.articles import Article


@contextmanager
def training_index(index: Path, articles: Sequence[Article], data: Path) -> Iterator[Newsbot]:
    """The opened index at `index`, made from `articles` first when it does not exist yet."""
    from newsbot.app import Newsbot
    from newsbot.index.store import index_exists
    from newsbot.settings import Settings

    fresh = not index_exists(index)
    if fresh and not articles:
        raise SystemExit(f"{index} holds no index: build it from the articles of {data} first")
    with Newsbot.open(Settings.from_env(index_dir=index), writable=fresh, create=fresh) as app:
        if fresh:
            app.add(articles)
        yield app
