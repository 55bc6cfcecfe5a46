"""The passage index: article files → `Article`s → `Passage`s → vectors, kept in one directory
(SQLite as the truth, FAISS as a derived copy) and searched by meaning and by words."""
