"""Shared fixtures: the real embedding model (loaded once) and small indexes built from fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from shared import ARTICLES, CACHE_DIR, dated_index

from newsbot.app import Newsbot
from newsbot.index.articles import load_paths
from newsbot.index.embedding import Embedder
from newsbot.settings import Settings

pytest_plugins = ["reliability"]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    model = Embedder(cache_dir=CACHE_DIR)
    model.encode(["warm up"])
    return model


@pytest.fixture
def articles_dir(tmp_path: Path) -> Path:
    """A private copy of the fixture articles, free to edit."""
    target = tmp_path / "articles"
    shutil.copytree(ARTICLES, target)
    return target


@pytest.fixture
def built_index(tmp_path: Path, embedder: Embedder, articles_dir: Path) -> Path:
    """An index directory holding the fixture articles."""
    directory = tmp_path / "index"
    with Newsbot.open(Settings(index_dir=directory), create=True) as app:
        report = app.add(load_paths([articles_dir]))
    assert report.added == 5 and not report.problems
    return directory


@pytest.fixture(scope="module")
def module_engine(request, tmp_path_factory, embedder):
    """The answer engine over the calling module's ARTICLES ((YYYY-MM-DD, title, text) each), indexed once."""
    directory = tmp_path_factory.mktemp(request.module.__name__.rpartition(".")[2]) / "index"
    with Newsbot.open(dated_index(directory, request.module.ARTICLES)) as app:
        yield app.engine
