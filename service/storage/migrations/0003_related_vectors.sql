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
-- ;
-- Lists are kept ordered by score rather than by a stored rank, so offering an
-- article to many lists is one insert and one trim, not a rewrite per list.
-- The table was only ever written by 0001's placeholder, so it is rebuilt empty.
DROP TABLE related_articles;
-- ;
CREATE TABLE related_articles (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    related_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    score      REAL NOT NULL,
    PRIMARY KEY (article_id, related_id)
) STRICT, WITHOUT ROWID;
-- ;
CREATE INDEX related_articles_best_first ON related_articles (article_id, score DESC, related_id);
-- ;
CREATE INDEX related_articles_by_related ON related_articles (related_id);
