-- Replies by parent, for the visibility walk and for erasing a comment. Only
-- replies have a parent, so top-level comments no longer get an entry. It also
-- keeps the planner honest: with every NULL parent counted, `PRAGMA optimize`
-- statistics made the old index look useless, and the "has a visible reply"
-- check of every reject, spam mark and erase scanned the whole table.
DROP INDEX comments_children;
-- ;
CREATE INDEX comments_children ON comments (parent_id) WHERE parent_id IS NOT NULL;
