-- 0001: cache registry, cycle history, usage samples. Never edit a released migration; add one.
CREATE TABLE cache_entries (
    id             INTEGER PRIMARY KEY,
    cache_path     TEXT NOT NULL UNIQUE,
    array_path     TEXT NOT NULL,
    size           INTEGER NOT NULL,
    mode           TEXT NOT NULL CHECK (mode IN ('copy', 'move', 'symlink')),
    cached_at      TEXT NOT NULL,
    item_key       TEXT,
    title          TEXT NOT NULL DEFAULT '',
    library        TEXT NOT NULL DEFAULT '',
    reason         INTEGER NOT NULL,
    users          TEXT NOT NULL DEFAULT '[]',
    pinned         INTEGER NOT NULL DEFAULT 0,
    pre_existing   INTEGER NOT NULL DEFAULT 0,
    last_wanted_at TEXT
);
CREATE INDEX cache_entries_item ON cache_entries(item_key);

CREATE TABLE cycles (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    trigger     TEXT NOT NULL,
    dry_run     INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL DEFAULT 'running',
    summary     TEXT NOT NULL DEFAULT '{}',
    plan        TEXT NOT NULL DEFAULT '{}',
    error       TEXT
);
CREATE INDEX cycles_started ON cycles(started_at);

CREATE TABLE usage_samples (
    ts          TEXT PRIMARY KEY,
    cache_used  INTEGER NOT NULL,
    cache_total INTEGER NOT NULL,
    by_cacherr  INTEGER NOT NULL,
    bytes_moved INTEGER NOT NULL DEFAULT 0
);
