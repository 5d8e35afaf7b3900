-- An article's id is never given to another article. Pages are cached and
-- tagged (ETag) by article id and version; SQLite hands the id of a deleted
-- newest article to the next one, whose version starts at 1 again, so a new
-- article could be served the deleted one's cached page and comments.
-- AUTOINCREMENT would need the table rebuilt, which the foreign keys pointing
-- at it make unsafe inside a migration: the highest id given is kept here
-- instead, and storage/articles.py gives new articles the next one. It starts
-- at the highest id there now: the ids of articles deleted from the top before
-- this migration left no trace and can be given once more (README, "Storage").
INSERT INTO counters (name, value) SELECT 'last_article_id', coalesce(max(id), 0) FROM articles;
-- ;
CREATE TRIGGER articles_remember_last_id AFTER INSERT ON articles
BEGIN
    UPDATE counters SET value = NEW.id WHERE name = 'last_article_id' AND value < NEW.id;
END;
