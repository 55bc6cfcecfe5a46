"""The index the training scripts (`fit`, `calibrate`) read: opened when it exists, else built from
the training data's own articles (SQuAD-format files carry them; a JSONL question set does not)."""

from __future__ import annotations

import argparse
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


def training_parser(doc: str) -> argparse.ArgumentParser:
    """A training script's parser: described by its docstring's first line, taking `DATA --index DIR` pairs."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("pairs", nargs="+", metavar="DATA --index DIR")
    parser.add_argument("--index", action="append", type=Path, required=True)
    return parser


def parse_pairs(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """The parsed arguments, `pairs` made (data file, index directory) pairs."""
    args = parser.parse_intermixed_args(argv)
    if len(args.pairs) != len(args.index):
        parser.error("give one --index per data file")
    args.pairs = [(Path(data), index) for data, index in zip(args.pairs, args.index)]
    return args
