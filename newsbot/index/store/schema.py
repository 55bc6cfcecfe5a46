"""The index database's schema: its tables, the FTS5 index over passage texts and the triggers
that keep it in step."""

from __future__ import annotations


def text_of(row: str) -> str:
    """The text of passage `row` (a table alias, or a trigger's `new`/`old`): its span of the
    article `a`. Python's str offsets count code points and so does substr() on TEXT, from 1."""
    return f"substr(a.text, {row}.start_char + 1, {row}.end_char - {row}.start_char)"


# A passage's text is not stored: it is its article's text from start_char to end_char. The FTS5
# table's external content is the view `passage_texts`, which computes it, so FTS5 can read what it
# indexed (a rebuild, an integrity check). The triggers give FTS5 the text from the article row:
# passages are inserted after their article and deleted before it (no ON DELETE CASCADE from
# articles: deleting an article that still has passages fails, and a passage deleted without its
# article is refused by the trigger, as FTS5 would keep its words).
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    date TEXT,
    source TEXT NOT NULL,
    url TEXT,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_date ON articles(date);
CREATE INDEX IF NOT EXISTS articles_source ON articles(source);
CREATE INDEX IF NOT EXISTS articles_path ON articles(path);
CREATE TABLE IF NOT EXISTS passages (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    article_id TEXT NOT NULL REFERENCES articles(id),
    ordinal INTEGER NOT NULL,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_article ON passages(article_id);
CREATE TABLE IF NOT EXISTS sentences (
    passage INTEGER NOT NULL REFERENCES passages(rowid) ON DELETE CASCADE,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (passage, start_char)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS headlines (
    article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    text TEXT,
    vector BLOB
) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS passage_texts (key, text) AS
    SELECT p.rowid, {text_of("p")} FROM passages p JOIN articles a ON a.id = p.article_id;
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
    text, content='passage_texts', content_rowid='key',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS passages_ai AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts(rowid, text)
        SELECT new.rowid, {text_of("new")} FROM articles a WHERE a.id = new.article_id;
END;
CREATE TRIGGER IF NOT EXISTS passages_ad AFTER DELETE ON passages BEGIN
    SELECT RAISE(ABORT, 'a passage must be deleted before its article')
        WHERE NOT EXISTS (SELECT 1 FROM articles WHERE id = old.article_id);
    INSERT INTO passages_fts(passages_fts, rowid, text)
        SELECT 'delete', old.rowid, {text_of("old")} FROM articles a WHERE a.id = old.article_id;
END;
"""
# Term statistics of the FTS5 index, for the keyword query's postings budget; a virtual table of
# this connection's temp schema, so a read-only connection may make it.
VOCAB = "CREATE VIRTUAL TABLE IF NOT EXISTS temp.passages_vocab USING fts5vocab(main, passages_fts, row)"
