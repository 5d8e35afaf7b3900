-- The related model gains a document side (BM25) beside the query side, and
-- feedback (service/content/vectors.py): each article keeps both vectors and
-- how well it answers itself. The old vectors cannot be converted, so the
-- model starts empty; the lists already computed stay readable until
-- `byline related rebuild` (the README says so under upgrading).
DROP TABLE related_vectors;
-- ;
DROP TABLE related_documents;
-- ;
DELETE FROM related_terms;
-- ;
-- Vectors are MessagePack maps (term -> weight): a publish reads a hundred
-- of them whole, by primary key, and never searches inside one; MessagePack
-- decodes in half the time of JSON.
CREATE TABLE related_documents (
    article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    terms      TEXT NOT NULL,
    length     REAL NOT NULL,
    self_score REAL NOT NULL,
    query      BLOB NOT NULL,
    document   BLOB NOT NULL
) STRICT;
-- ;
-- Each vector's strongest terms, by term: how a publish finds candidates
-- without reading every vector. No foreign key: a cascade would scan the whole
-- table for every deleted article; service/content/related.py removes an
-- article's postings itself, before the article goes.
CREATE TABLE related_query_postings (
    term       TEXT NOT NULL,
    article_id INTEGER NOT NULL,
    weight     REAL NOT NULL,
    PRIMARY KEY (term, article_id)
) STRICT, WITHOUT ROWID;
-- ;
CREATE TABLE related_document_postings (
    term       TEXT NOT NULL,
    article_id INTEGER NOT NULL,
    weight     REAL NOT NULL,
    PRIMARY KEY (term, article_id)
) STRICT, WITHOUT ROWID;
-- ;
-- How many articles are indexed and their summed length (BM25's average),
-- kept by every add and removal rather than summed over the vectors' rows.
CREATE TABLE related_corpus (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    documents INTEGER NOT NULL,
    length    REAL NOT NULL
) STRICT;
-- ;
INSERT INTO related_corpus (id, documents, length) VALUES (1, 0, 0.0);
