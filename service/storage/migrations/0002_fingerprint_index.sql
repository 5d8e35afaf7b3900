-- Duplicate detection looks a body up by its keyed fingerprint; without this
-- index it read every recent comment of the poster.
CREATE INDEX comments_by_fingerprint ON comments (body_fingerprint, created_at);
