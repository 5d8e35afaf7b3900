-- Byline's first schema. Statements are separated by lines holding only "-- ;".
-- Timestamps are RFC 3339 UTC text ("2026-11-26T15:04:05Z"), which sorts correctly.

-- Values generated once per installation, such as the secret that keys avatar hashes.
CREATE TABLE installation (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
-- ;
-- Monotonic counters; content_version changes whenever any public listing could change.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;
-- ;
INSERT INTO counters (name, value) VALUES ('content_version', 1);
-- ;
-- People who write articles. The bio is kept as Markdown and as sanitized HTML.
CREATE TABLE authors (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    bio        TEXT NOT NULL DEFAULT '',
    bio_html   TEXT NOT NULL DEFAULT '',
    avatar_url TEXT,
    website    TEXT,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
-- ;
-- Articles: Markdown source plus the HTML rendered and sanitized once, on write.
-- comment_count is the number of approved, visible comments, kept in the same
-- transaction as every moderation change. version changes whenever anything a
-- public page of the article shows changes (it keys ETags and the response cache).
CREATE TABLE articles (
    id             INTEGER PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    title          TEXT NOT NULL,
    body_markdown  TEXT NOT NULL,
    body_html      TEXT NOT NULL,
    excerpt        TEXT NOT NULL,
    custom_excerpt TEXT,
    author_id      INTEGER NOT NULL REFERENCES authors (id),
    status         TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    published_at   TEXT,
    comments_open  INTEGER NOT NULL DEFAULT 1 CHECK (comments_open IN (0, 1)),
    comment_count  INTEGER NOT NULL DEFAULT 0,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
) STRICT;
-- ;
CREATE INDEX articles_public_order ON articles (status, published_at DESC, id DESC);
-- ;
CREATE INDEX articles_by_author ON articles (author_id);
-- ;
-- Tags of an article, in the order the editor gave them.
CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag        TEXT NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (article_id, tag)
) STRICT, WITHOUT ROWID;
-- ;
CREATE INDEX article_tags_by_tag ON article_tags (tag, article_id);
-- ;
-- Precomputed "You may also like these": rank 1 is the best match.
CREATE TABLE related_articles (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    rank       INTEGER NOT NULL,
    related_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    score      REAL NOT NULL,
    PRIMARY KEY (article_id, rank)
) STRICT, WITHOUT ROWID;
-- ;
CREATE INDEX related_articles_by_related ON related_articles (related_id);
-- ;
-- API tokens for moderators, editors and admins. Only a SHA-256 of the token is kept.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('moderator', 'editor', 'admin')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;
-- ;
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;
-- ;
-- Readers' comments. name, email, website, body and body_html become NULL when a
-- comment is erased. email_key is a keyed HMAC of the normalized address (lookups
-- without reading the address); client_key likewise for the client's network.
-- visibility is what the public thread shows: 'shown' (approved), 'tombstone'
-- (not shown itself but approved replies hang under it) or 'hidden'.
CREATE TABLE comments (
    id               INTEGER PRIMARY KEY,
    public_id        TEXT NOT NULL UNIQUE,
    article_id       INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    parent_id        INTEGER REFERENCES comments (id),
    thread_id        INTEGER NOT NULL,
    depth            INTEGER NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'spam')),
    visibility       TEXT NOT NULL DEFAULT 'hidden'
                         CHECK (visibility IN ('shown', 'tombstone', 'hidden')),
    removed          INTEGER NOT NULL DEFAULT 0 CHECK (removed IN (0, 1)),
    name             TEXT,
    email            TEXT,
    website          TEXT,
    body             TEXT,
    body_html        TEXT,
    email_key        TEXT,
    avatar_key       TEXT,
    client_key       TEXT NOT NULL,
    body_fingerprint TEXT,
    flags            TEXT NOT NULL DEFAULT '[]',
    edit_token_hash  TEXT,
    edit_expires_at  TEXT,
    created_at       TEXT NOT NULL,
    edited_at        TEXT,
    moderated_at     TEXT,
    version          INTEGER NOT NULL DEFAULT 1
) STRICT;
-- ;
CREATE INDEX comments_public_roots ON comments (article_id, created_at, id)
    WHERE parent_id IS NULL AND visibility <> 'hidden';
-- ;
CREATE INDEX comments_public_replies ON comments (thread_id, created_at, id)
    WHERE parent_id IS NOT NULL AND visibility <> 'hidden';
-- ;
CREATE INDEX comments_children ON comments (parent_id);
-- ;
CREATE INDEX comments_queue ON comments (status, created_at, id);
-- ;
CREATE INDEX comments_queue_by_article ON comments (article_id, status, created_at, id);
-- ;
CREATE INDEX comments_by_email_key ON comments (email_key, created_at);
-- ;
CREATE INDEX comments_by_client_key ON comments (client_key, created_at);
-- ;
-- Every moderation decision and owner edit. comment_id is the public id, so the
-- trail outlives an erased comment; nothing here identifies the commenter.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    comment_id  TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    note        TEXT
) STRICT;
-- ;
CREATE INDEX audit_log_by_comment ON audit_log (comment_id, id);
