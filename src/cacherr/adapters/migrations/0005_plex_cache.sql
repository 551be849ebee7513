-- 0005: what Plex told us, kept between cycles so a steady-state cycle asks Plex only for what changed
-- (adapters/sqlite_plex_cache.py, adapters/plex_incremental.py; docs/plex.md "What is read when").

-- One movie or episode as the snapshot built it: the MediaItem (JSON, paths already mapped), the notes its
-- conversion produced (e.g. a path outside every mapping), and Plex's updatedAt when it was read.
CREATE TABLE IF NOT EXISTS plex_items (
    rating_key TEXT PRIMARY KEY,
    updated_at INTEGER NOT NULL,
    item       TEXT NOT NULL,
    notes      TEXT NOT NULL DEFAULT '[]',
    read_at    TEXT NOT NULL
);

-- Each user's watched state of the items the snapshot needs (user = the snapshot's user name).
CREATE TABLE IF NOT EXISTS plex_watched (
    user       TEXT NOT NULL,
    rating_key TEXT NOT NULL,
    view_count INTEGER NOT NULL,
    PRIMARY KEY (user, rating_key)
);

-- When Plex was last read, how, and the marks the next incremental read starts from (one row).
CREATE TABLE IF NOT EXISTS plex_reads (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    last_full_at    TEXT,
    last_read_at    TEXT,
    last_kind       TEXT NOT NULL DEFAULT '',
    last_requests   INTEGER NOT NULL DEFAULT 0,
    needs_full      INTEGER NOT NULL DEFAULT 1,
    fingerprint     TEXT NOT NULL DEFAULT '',
    sections        TEXT NOT NULL DEFAULT '{}'
);
