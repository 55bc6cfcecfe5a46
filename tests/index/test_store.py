"""The index directory: dedup, updates, removal, reopening, model and format checks, locks, damage and repair."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from shared import CACHE_DIR

from newsbot.cli.main import main
from newsbot.index.articles import load_paths, make_article
from newsbot.index.embedding import Embedder
from newsbot.index.ingest import ingest
from newsbot.index.sentences import split_sentences
from newsbot.index.store import (
    DB_FILE,
    META_FILE,
    VECTORS_FILE,
    CorruptIndex,
    FormatMismatch,
    IndexLocked,
    IndexNotFound,
    ModelMismatch,
    Store,
    StoreError,
)


class CountingEmbedder(Embedder):
    """The real model, counting the texts it is asked to encode."""

    def __init__(self) -> None:
        super().__init__(cache_dir=CACHE_DIR)
        self.encoded: list[str] = []

    def encode(self, texts):
        self.encoded.extend(texts)
        return super().encode(texts)

    def encode_with_spans(self, texts, spans):
        self.encoded.extend(texts)
        return super().encode_with_spans(texts, spans)


def consistent(store: Store) -> bool:
    return store.check() == [] and store.faiss_keys().size == store.stats().passages


def snapshot(store: Store) -> dict[str, list]:
    """Every stored passage: its article, offsets, text and vector bytes."""
    return {passage.id: [passage.article_id, passage.start, passage.end, passage.text, vector.tobytes()]
            for article in store.articles() for passage, vector in store.article_passages(article.id)}


def test_reopen_after_restart_keeps_everything(built_index: Path, embedder: Embedder) -> None:
    with Store.open(built_index) as store:
        stats, before = store.stats(), snapshot(store)
        assert consistent(store)
    with Store.open(built_index, model=embedder.name) as store:
        assert store.stats() == stats and snapshot(store) == before
    assert stats.articles == 5 and stats.passages >= 5
    assert (stats.oldest, stats.newest) == ("2023-03-14", "2023-04-02")
    assert stats.size_bytes > 0 and stats.model == "sentence-transformers/all-MiniLM-L6-v2"


def test_adding_again_embeds_nothing_and_copies_are_duplicates(built_index: Path, articles_dir: Path) -> None:
    copy = articles_dir / "copy-of-harbour.txt"
    copy.write_text((articles_dir / "harbour.txt").read_text(encoding="utf-8"), encoding="utf-8")
    counting = CountingEmbedder()
    with Store.open(built_index, writable=True) as store:
        report = ingest(store, counting, load_paths([articles_dir]))
        assert consistent(store)
    assert (report.added, report.updated, report.duplicates) == (0, 0, 6)
    assert counting.encoded == []


def test_an_edited_file_replaces_its_old_version(built_index: Path, articles_dir: Path) -> None:
    path = articles_dir / "orchard.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("a fifth", "a quarter"), encoding="utf-8")
    counting = CountingEmbedder()
    with Store.open(built_index, writable=True) as store:
        report = ingest(store, counting, load_paths([articles_dir]))
        texts = [store.article(i).text for i in store.ids_by_path([str(path)]).get(str(path), [])]
        assert consistent(store) and store.stats().articles == 5
    assert (report.added, report.updated, report.duplicates) == (0, 1, 4)
    assert len(texts) == 1 and "a quarter" in texts[0]
    assert counting.encoded and all(t in texts[0] for t in counting.encoded)
    assert any("a quarter" in t for t in counting.encoded)


def test_remove_by_id_and_by_source(built_index: Path, articles_dir: Path) -> None:
    with Store.open(built_index, writable=True) as store:
        assert store.remove(["wire-001"]) == ["wire-001"]
        removed = store.remove(sources=[str(articles_dir / "more" / "wire.jsonl")])
        assert len(removed) == 1
        assert store.remove(["no-such-id"]) == []
        assert consistent(store) and store.stats().articles == 3
    with Store.open(built_index) as store:
        assert consistent(store) and store.stats().articles == 3


def test_a_different_model_is_refused(built_index: Path) -> None:
    with pytest.raises(ModelMismatch, match="all-MiniLM-L6-v2"):
        Store.open(built_index, model="some/other-model")


def test_missing_and_foreign_directories(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFound, match="newsbot index add"):
        Store.open(tmp_path / "nothing")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(IndexNotFound, match="not a newsbot index"):
        Store.open(tmp_path / "foreign", model="m", dimension=3, writable=True)
    assert (tmp_path / "foreign" / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_two_writers_are_not_interleaved(built_index: Path) -> None:
    with Store.open(built_index, writable=True):
        with pytest.raises(IndexLocked, match="process"):
            Store.open(built_index, writable=True)
        with Store.open(built_index) as reader:
            assert reader.stats().articles == 5
    Store.open(built_index, writable=True).close()


def test_a_lost_vectors_file_is_rebuilt_from_the_database(built_index: Path) -> None:
    with Store.open(built_index) as store:
        before = store.faiss_keys()
    (built_index / VECTORS_FILE).unlink()
    with Store.open(built_index) as store:
        assert np.array_equal(store.faiss_keys(), before) and consistent(store)


def test_a_damaged_vectors_file_is_named_and_repair_fixes_it(built_index: Path) -> None:
    path = built_index / VECTORS_FILE
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CorruptIndex, match="vectors.faiss.*newsbot index repair"):
        Store.open(built_index)
    assert len(path.read_bytes()) == 100, "nothing is overwritten silently"
    with Store.open(built_index, writable=True, repair=True) as store:
        assert store.repair() == store.stats().passages
    with Store.open(built_index) as store:
        assert consistent(store)


def test_a_damaged_database_is_named(built_index: Path) -> None:
    path = built_index / DB_FILE
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CorruptIndex, match="newsbot.db"):
        Store.open(built_index)


class FailingEmbedder(CountingEmbedder):
    """The real model, failing on its second call, as a crash in the middle of an ingest would."""

    def encode(self, texts):
        if self.encoded:
            raise RuntimeError("simulated failure")
        return super().encode(texts)

    def encode_with_spans(self, texts, spans):
        if self.encoded:
            raise RuntimeError("simulated failure")
        return super().encode_with_spans(texts, spans)


def test_a_failed_ingest_keeps_the_old_index_and_every_committed_step(built_index: Path, tmp_path: Path) -> None:
    with Store.open(built_index) as store:
        before = snapshot(store)
    many = [make_article(f"Report number {i} about the weather in town {i}. " * 30, path=f"gen/{i}.txt",
                         date=dt.date(2024, 1, 1)) for i in range(60)]
    with Store.open(built_index, writable=True) as store:
        with pytest.raises(RuntimeError, match="simulated"):
            ingest(store, FailingEmbedder(), many, commit_every=20)
    with Store.open(built_index) as store:
        after = snapshot(store)
        assert consistent(store)
        assert {k: v for k, v in after.items() if k in before} == before
        committed = store.stats().articles - 5
        assert 0 < committed < 60
    with Store.open(built_index, writable=True) as store:
        report = ingest(store, Embedder(cache_dir=CACHE_DIR), many)
        assert consistent(store) and store.stats().articles == 65
    assert (report.added, report.duplicates) == (60 - committed, committed)


def test_database_passages_and_fts_agree_with_articles(built_index: Path) -> None:
    with Store.open(built_index) as store:
        assert store.check() == []
        pairs = [(article.text[p.start:p.end], p.text) for article in store.articles()
                 for p, _ in store.article_passages(article.id)]
        assert len(pairs) == store.stats().passages and all(a == p for a, p in pairs)


def test_each_passage_keeps_its_sentences_vectors(built_index: Path, embedder: Embedder, articles_dir: Path) -> None:
    with Store.open(built_index, writable=True) as store:
        keys = store.passage_keys().tolist()
        rows = [(key, p.passage.start, p.passage.text, p.passage.article_id) for key, p in store.passages(keys).items()]
        stored = store.sentence_vectors(keys)
        for key, start, text, _ in rows:
            spans = split_sentences(text, offset=start)
            assert [(s.start, s.end) for s in stored[key]] == [(s.start, s.end) for s in spans]
            # Pooled from the passage's own forward pass (int8 quantises a batch together: not exact).
            fresh = embedder.encode_with_spans([text], [[(s.start - start, s.end - start) for s in spans]])[1][0]
            cosines = np.sum(fresh * np.vstack([s.vector for s in stored[key]]), axis=1)
            assert cosines.min() > 0.98
        gone = [r[0] for r in rows if r[3] == rows[0][3]]
        store.remove([rows[0][3]])
        assert store.sentence_vectors(gone) == {}
        assert store.check() == [], "sentences outlived their passages"


def _with_meta(directory: Path, **changes) -> None:
    """Rewrite meta.json of the index at `directory` with `changes` (None drops a field)."""
    meta = {**json.loads((directory / META_FILE).read_text(encoding="utf-8")), **changes}
    (directory / META_FILE).write_text(json.dumps({k: v for k, v in meta.items() if v is not None}), encoding="utf-8")


@pytest.mark.parametrize("found, made_by, advice", [
    (1, "an earlier newsbot", "move the directory away and run `newsbot index add`"),
    (3, "a later newsbot", "Use that newsbot with it"),
])
def test_an_index_of_another_format_is_refused_with_what_to_run(tmp_path: Path, capsys, found, made_by, advice) -> None:
    directory = tmp_path / "index"
    Store.open(directory, model="m", dimension=8, writable=True).close()
    # a format 1 meta.json recorded no backend, precision or vectors family
    _with_meta(directory, format=found, **({"backend": None, "precision": None, "vectors": None} if found == 1 else {}))
    expected = f"the index at {directory} has format {found}, made by {made_by}; this newsbot reads format 2"
    for writable in (False, True):
        with pytest.raises(FormatMismatch) as refused:
            Store.open(directory, writable=writable)
        assert str(refused.value).startswith(expected) and advice in str(refused.value)
    assert isinstance(refused.value, StoreError)
    assert main(["index", "stats", "--index", str(directory)]) != 0
    err = capsys.readouterr().err
    assert err.startswith(f"newsbot: error: {expected}") and "Traceback" not in err


@pytest.mark.parametrize("changes", [{"format": "2"}, {"model": None}, {"dimension": -1}, {"vectors": "int8"},
                                     {"backend": "abacus"}, {"surprise": 1}])
def test_a_meta_file_no_newsbot_writes_is_named(tmp_path: Path, changes) -> None:
    directory = tmp_path / "index"
    Store.open(directory, model="m", dimension=8, writable=True).close()
    _with_meta(directory, **changes)
    with pytest.raises(CorruptIndex, match=f"{META_FILE} is unreadable.*newsbot index add"):
        Store.open(directory)


def test_a_refused_writer_leaves_the_lock_free(tmp_path: Path) -> None:
    directory = tmp_path / "index"
    Store.open(directory, model="m", dimension=8, writable=True).close()
    _with_meta(directory, format=1)
    with pytest.raises(FormatMismatch):
        Store.open(directory, writable=True)
    _with_meta(directory, format=2)
    Store.open(directory, writable=True).close()
