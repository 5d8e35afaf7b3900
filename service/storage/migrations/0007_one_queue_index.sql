-- The moderation queue is read by status and arrival among live comments only,
-- which comments_live_queue (status, created_at) WHERE removed = 0 already
-- orders (its entries end with the row id). The full (status, created_at, id)
-- index was one more B-tree to update on every post and every decision.
DROP INDEX comments_queue;
