-- How many live comments each status holds, kept exact by triggers in the same
-- transaction as every change, so the moderation queue can show its size
-- without counting a million rows on every request.
CREATE TABLE comment_status_counts (
    status TEXT PRIMARY KEY,
    n      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
-- ;
INSERT INTO comment_status_counts (status, n)
SELECT s.status, (SELECT count(*) FROM comments c WHERE c.status = s.status AND c.removed = 0)
FROM (SELECT 'pending' AS status UNION ALL SELECT 'approved' UNION ALL SELECT 'rejected'
      UNION ALL SELECT 'spam') AS s;
-- ;
CREATE TRIGGER comment_counts_after_insert AFTER INSERT ON comments WHEN NEW.removed = 0
BEGIN
    UPDATE comment_status_counts SET n = n + 1 WHERE status = NEW.status;
END;
-- ;
CREATE TRIGGER comment_counts_after_delete AFTER DELETE ON comments WHEN OLD.removed = 0
BEGIN
    UPDATE comment_status_counts SET n = n - 1 WHERE status = OLD.status;
END;
-- ;
CREATE TRIGGER comment_counts_after_update AFTER UPDATE OF status, removed ON comments
BEGIN
    UPDATE comment_status_counts SET n = n - 1 WHERE status = OLD.status AND OLD.removed = 0;
    UPDATE comment_status_counts SET n = n + 1 WHERE status = NEW.status AND NEW.removed = 0;
END;
-- ;
-- The live queue in arrival order: oldest pending and the stale count read it alone.
CREATE INDEX comments_live_queue ON comments (status, created_at) WHERE removed = 0;
