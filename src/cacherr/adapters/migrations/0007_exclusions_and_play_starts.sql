-- 0007: items kept off the cache by the user (a restore with "keep off the cache"; the planner skips them
-- until they are let back in), and play starts seen in Plex sessions and webhooks (the cache hit rate).
CREATE TABLE IF NOT EXISTS cache_exclusions (
    id          INTEGER PRIMARY KEY,
    item_key    TEXT,
    array_path  TEXT NOT NULL DEFAULT '',
    title       TEXT NOT NULL DEFAULT '',
    excluded_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS cache_exclusions_item ON cache_exclusions(item_key) WHERE item_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS cache_exclusions_path ON cache_exclusions(array_path);

CREATE TABLE IF NOT EXISTS play_starts (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    user     TEXT NOT NULL,
    item_key TEXT NOT NULL,
    title    TEXT NOT NULL DEFAULT '',
    cached   INTEGER NOT NULL CHECK (cached IN (0, 1)),
    source   TEXT NOT NULL DEFAULT 'session'
);
CREATE INDEX IF NOT EXISTS play_starts_at ON play_starts(at);
CREATE INDEX IF NOT EXISTS play_starts_user_item ON play_starts(user, item_key, at);
