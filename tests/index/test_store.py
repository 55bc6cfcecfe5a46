"""The index directory: dedup, updates, removal, reopening, model and format checks, locks, damage and repair."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
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
    SentenceVector,
    Store,
    StoreError,
    decode_vectors,
    encode_vectors,
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
    (2, "an earlier newsbot", "move the directory away and run `newsbot index add`"),
    (4, "a later newsbot", "Use that newsbot with it"),
])
def test_an_index_of_another_format_is_refused_with_what_to_run(tmp_path: Path, capsys, found, made_by, advice) -> None:
    directory = tmp_path / "index"
    Store.open(directory, model="m", dimension=8, writable=True).close()
    # a format 1 meta.json recorded no backend, precision or vectors family
    _with_meta(directory, format=found, **({"backend": None, "precision": None, "vectors": None} if found == 1 else {}))
    expected = f"the index at {directory} has format {found}, made by {made_by}; this newsbot reads format 3"
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
    _with_meta(directory, format=3)
    Store.open(directory, writable=True).close()


# -- format 3: vectors as int8 with a scale, passage texts as article spans, FTS5 over a view ------

def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_vectors_come_back_within_cosine_0999_of_the_models(built_index: Path, tmp_path: Path,
                                                           embedder: Embedder) -> None:
    """The model's vectors of the fixture passages and sentences, written to a store, come back
    every way they are read (passages, sentences, an article's passages, the FAISS copy) as float32
    rows at cosine >= 0.999 with what was written; each is stored in 4 + 384 bytes, off by at most
    half a step (scale / 2) a component. (Encoding the texts again is no reference: an int8 model
    quantizes each batch's activations on their own, cosine ~0.99 between batches.)"""
    with Store.open(built_index) as source:
        per_article = [(a, [p for p, _ in source.article_passages(a.id)]) for a in source.articles()]
    articles = [a for a, _ in per_article]
    passages = [p for _, ps in per_article for p in ps]
    splits = [split_sentences(p.text, offset=p.start) for p in passages]
    fresh = embedder.encode([p.text for p in passages])
    fresh_sentences = embedder.encode([s.text for ss in splits for s in ss])
    spans, row = [], iter(fresh_sentences)
    for ss in splits:
        spans.append([SentenceVector(s.start, s.end, next(row)) for s in ss])
    with Store.open(tmp_path / "fresh", model=embedder.name, dimension=384, writable=True) as store:
        keys = store.write(articles, passages, fresh, sentences=spans)
        stored, sentences = store.passage_vectors(keys), store.sentence_vectors(keys)
        copy = store.vectors.faiss.reconstruct_batch(np.array(keys, dtype=np.int64))
        by_article = {p.id: v for a in articles for p, v in store.article_passages(a.id)}
    with Store.open(tmp_path / "fresh") as reader:
        copied_by_reader = reader.vectors.faiss.reconstruct_batch(np.array(keys, dtype=np.int64))
    rows = np.vstack([stored[key] for key in keys])
    assert rows.dtype == np.float32 and rows.shape == fresh.shape == (len(passages), 384)
    assert _cosines(rows, fresh).min() >= 0.999 and _cosines(copy, fresh).min() >= 0.999
    assert np.array_equal(np.vstack([by_article[p.id] for p in passages]), rows)
    assert np.array_equal(copy, copied_by_reader), "the FAISS copy is the same made by the writer or from SQLite"
    sentence_rows = np.vstack([s.vector for key in keys for s in sentences[key]])
    assert sentence_rows.dtype == np.float32 and len(sentence_rows) == len(fresh_sentences)
    assert _cosines(sentence_rows, fresh_sentences).min() >= 0.999
    # the codec itself, on the model's vectors
    blobs = encode_vectors(fresh)
    assert {len(blob) for blob in blobs} == {4 + 384}
    decoded = decode_vectors(blobs)
    scales = np.abs(fresh).max(axis=1, keepdims=True) / 127
    assert np.all(np.abs(decoded - fresh) <= scales / 2 * (1 + 1e-5)) and _cosines(decoded, fresh).min() >= 0.9999
    assert np.array_equal(decode_vectors(encode_vectors(decoded)), decoded), "decoding is stable"
    with sqlite3.connect(tmp_path / "fresh" / DB_FILE) as db:
        lengths = {row[0] for row in db.execute("SELECT length(vector) FROM passages UNION SELECT length(vector) FROM sentences")}
    assert lengths == {388}


def test_the_vector_codec_keeps_zero_signs_and_extremes() -> None:
    rows = np.array([[0, 0, 0, 0], [1, -1, 0.5, 0], [-0.25, 0.125, 0, 1e-9]], dtype=np.float32)
    blobs = encode_vectors(rows)
    assert blobs[1][:4] == np.float32(1 / 127).astype("<f4").tobytes()
    assert np.frombuffer(blobs[1][4:], dtype=np.int8).tolist() == [127, -127, 64, 0]
    decoded = decode_vectors(blobs)
    assert decoded[0].tolist() == [0, 0, 0, 0] and np.allclose(decoded[1:], rows[1:], atol=1 / 254)
    assert decode_vectors([]).shape == (0, 0)


def test_passage_texts_are_article_spans_and_only_offsets_are_stored(built_index: Path) -> None:
    with Store.open(built_index) as store:
        articles = {a.id: a for a in store.articles()}
        keys = store.passage_keys().tolist()
        found = store.passages(keys)
        assert all(articles[p.passage.article_id].text[p.passage.start:p.passage.end] == p.passage.text
                   for p in found.values())
        assert sorted(p.passage.text for p in found.values()) == sorted(
            p.text for a in articles for p, _ in store.article_passages(a))
    with sqlite3.connect(built_index / DB_FILE) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(passages)")]
        texts = dict(db.execute("SELECT key, text FROM passage_texts"))
    assert columns == ["rowid", "id", "article_id", "ordinal", "start_char", "end_char", "vector"]
    assert texts == {key: p.passage.text for key, p in found.items()}


def _fts_check(db: sqlite3.Connection) -> None:
    """FTS5's own check of its index against its content (the view): raises when they differ."""
    db.execute("INSERT INTO passages_fts(passages_fts, rank) VALUES ('integrity-check', 1)")


def test_fts_reads_its_content_through_the_view_after_replaces_and_removals(built_index: Path, articles_dir: Path) -> None:
    path = articles_dir / "orchard.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("a fifth", "a quarter"), encoding="utf-8")
    with Store.open(built_index, writable=True) as store:
        ingest(store, Embedder(cache_dir=CACHE_DIR), load_paths([articles_dir]))
        store.remove(["wire-001"])
        assert store.check() == []
        queries = ['"quarter"', '"fifth"', '"orchard" OR "harbour" OR "fern"']
        before = [store.keyword_search(q, 20) for q in queries]
        assert before[0] and before[1] == []
    with sqlite3.connect(built_index / DB_FILE, isolation_level=None) as db:
        db.execute("PRAGMA foreign_keys = ON")
        _fts_check(db)
        db.execute("INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')")
        _fts_check(db)
        # the schema refuses what would leave FTS5 words of text it can no longer read
        article = db.execute("SELECT article_id FROM passages LIMIT 1").fetchone()[0]
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            db.execute("DELETE FROM articles WHERE id = ?", (article,))
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("BEGIN")
        db.execute("DELETE FROM articles WHERE id = ?", (article,))
        with pytest.raises(sqlite3.IntegrityError, match="deleted before its article"):
            db.execute("DELETE FROM passages WHERE article_id = ?", (article,))
        db.execute("ROLLBACK")
        # a passage whose offsets change no longer has the text FTS5 indexed, and its check says so
        db.execute("UPDATE passages SET start_char = start_char + 3 WHERE rowid = (SELECT min(rowid) FROM passages)")
        with pytest.raises(sqlite3.DatabaseError, match="malformed"):
            _fts_check(db)
        db.execute("UPDATE passages SET start_char = start_char - 3 WHERE rowid = (SELECT min(rowid) FROM passages)")
    with Store.open(built_index) as store:
        assert [store.keyword_search(q, 20) for q in queries] == before and store.check() == []


@pytest.mark.parametrize("edit, count", [
    ("end_char = end_char + 100000", 1),
    ("start_char = -1", 1),
    ("end_char = start_char - 1", 1),
    ("start_char = start_char + 1", 0),  # inside the article still: a shorter span, not broken offsets
])
def test_problems_names_passages_whose_offsets_leave_their_article(built_index: Path, edit: str, count: int) -> None:
    with Store.open(built_index) as store:
        assert store.check() == []
    with sqlite3.connect(built_index / DB_FILE) as db:
        db.execute(f"UPDATE passages SET {edit} WHERE rowid = (SELECT max(rowid) FROM passages)")
    with Store.open(built_index) as store:
        expected = [f"{count} passages whose offsets lie outside their article's text"] if count else []
        assert store.check() == expected


# Bytes on disk a passage (database, FAISS copy and meta.json) of the fixture articles as `index
# add` stores them (the real model's vectors, chunking and sentences), copied COPIES times so that
# page-sized fixed costs do not swamp the figure: 6 passages of about 230 characters with 15
# sentences a copy. Measured: 3,542 at format 3, 6,870 at format 2 on the same data. The bound
# leaves 4%: storing the passage texts again (+240) or float16 sentence vectors (+950) breaks it.
# (BBC passages are longer, 5.4 sentences each: 11.5 KB at format 2, see bench/README.md.)
COPIES = 40
BYTES_A_PASSAGE = 3_700


def test_disk_per_passage_stays_under_the_bound(built_index: Path, tmp_path: Path) -> None:
    with Store.open(built_index) as store:
        meta, keys = store.meta, store.passage_keys().tolist()
        sentences, by_key = store.sentence_vectors(keys), store.passages(keys)
        per_article = [(a, store.article_passages(a.id)) for a in store.articles()]
    sentences_of = {by_key[key].passage.id: sentences[key] for key in keys}
    directory = tmp_path / "copies"
    with Store.open(directory, model=meta.model, dimension=meta.dimension, backend=meta.backend, writable=True) as store:
        for n in range(COPIES):
            articles, passages, rows, spans = [], [], [], []
            for article, stored in per_article:
                # a path of fixed length (the fixture's lies in pytest's temporary directory)
                path = f"/srv/news/{Path(article.path).name}"
                copy = dataclasses.replace(article, id=f"{article.id}-{n}", content_hash=f"{article.content_hash}-{n}",
                                           path=path, source=path if article.source == article.path else article.source)
                articles.append(copy)
                for passage, vector in stored:
                    passages.append(dataclasses.replace(passage, id=f"{passage.id}-{n}", article_id=copy.id))
                    rows.append(vector)
                    spans.append(sentences_of[passage.id])
            store.write(articles, passages, np.vstack(rows), sentences=spans)
        count = store.stats().passages
    assert count == COPIES * len(keys)
    files = {p.name: p.stat().st_size for p in directory.iterdir()}
    size = sum(files.get(name, 0) for name in (DB_FILE, f"{DB_FILE}-wal", VECTORS_FILE, META_FILE))
    with sqlite3.connect(directory / DB_FILE) as db:
        tables = dict(db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 6"))
    breakdown = ", ".join(f"{name} {pages / count:,.0f}" for name, pages in tables.items())
    assert size / count <= BYTES_A_PASSAGE, f"{size / count:,.0f} bytes a passage ({breakdown}; files {files})"
