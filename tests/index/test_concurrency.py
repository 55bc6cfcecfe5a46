"""A reader serving searches while an ingest runs sees whole articles only, old or new, never half."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from newsbot.index.articles import make_article
from newsbot.index.chunking import chunk_article
from newsbot.index.embedding import Embedder
from newsbot.index.ingest import ingest
from newsbot.answer.config import load_config
from newsbot.index.search import Mode, Searcher
from newsbot.index.store import Store


def test_a_reader_never_sees_half_an_article_during_an_ingest(built_index: Path, embedder: Embedder) -> None:
    many = [make_article(" ".join(f"Weather report {i} from town {i}, part {j}, says rain is likely." for j in range(30)),
                         path=f"gen/{i}.txt", date=dt.date(2024, 6, 1)) for i in range(40)]
    expected = {a.id: len(chunk_article(a)) for a in many}
    assert all(n > 1 for n in expected.values())
    reader = Store.open(built_index)
    searcher = Searcher(reader, embedder, load_config().retrieval.fusion)
    failures: list[BaseException] = []

    def write() -> None:
        try:
            with Store.open(built_index, writable=True) as writer:
                ingest(writer, embedder, many, commit_every=6)
        except BaseException as exc:  # handed to the main thread
            failures.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    rounds, seen_new = 0, set()
    while writer.is_alive() or rounds < 3:
        reader.refresh()
        stored = set(reader.passage_keys().tolist())
        assert set(reader.faiss_keys().tolist()) <= stored
        for mode in Mode:
            for hit in searcher.search("weather report rain town", k=20, mode=mode):
                if hit.article.id in expected:
                    seen_new.add(hit.article.id)
                    assert len(reader.article_passages(hit.article.id)) == expected[hit.article.id]
        rounds += 1
    writer.join()
    reader.close()
    assert not failures, failures
    assert rounds > 3 and seen_new
    with Store.open(built_index) as store:
        assert store.stats().articles == 5 + len(many)
