"""What every test module may import: the fixture paths and this run's model cache."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# ONNX exports and backend checks go to a cache of this run only (subprocesses inherit it).
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="newsbot-test-cache-")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], True)

CACHE_DIR = Path(os.environ["XDG_CACHE_HOME"]) / "newsbot"
FIXTURES = Path(__file__).parent / "fixtures"
ARTICLES = FIXTURES / "articles"
