"""Shared fixtures: the real embedding model (loaded once) and small indexes built from fixtures."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# ONNX exports and backend checks go to a cache of this run only (subprocesses inherit it).
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="newsbot-test-cache-")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], True)

from index.articles import load_paths  # noqa: E402
from index.embedding import Embedder  # noqa: E402
from index.ingest import ingest  # noqa: E402
from index.store import Store  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
ARTICLES = FIXTURES / "articles"

pytest_plugins = ["bot_harness", "reliability"]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    model = Embedder()
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
    with Store.open(directory, model=embedder.name, dimension=embedder.dimension, backend=embedder.backend,
                    writable=True) as store:
        report = ingest(store, embedder, load_paths([articles_dir]))
    assert report.added == 5 and not report.problems
    return directory
