-- The related-articles model, kept in the database so every worker process
-- shares it and a publish is a few indexed statements, not a rebuild.

-- In how many indexed articles each term appears (document frequency).
CREATE TABLE related_terms (
    term TEXT PRIMARY KEY,
    df   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
-- ;
-- Each indexed (published) article: its whole set of distinct terms as a JSON
-- list, so its document frequencies can be undone when it changes.
CREATE TABLE related_documents (
    article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    terms      TEXT NOT NULL
) STRICT;
-- ;
-- Each indexed article's strongest terms, weighted and L2-normalised: the
-- vector whose dot products are the similarity scores.
CREATE TABLE related_vectors (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    term       TEXT NOT NULL,
    weight     REAL NOT NULL,
    PRIMARY KEY (article_id, term)
) STRICT, WITHOUT ROWID;
-- ;
CREATE INDEX related_vectors_by_term ON related_vectors (term, article_id, weight);
