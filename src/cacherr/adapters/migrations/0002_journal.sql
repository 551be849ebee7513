-- 0002: the file-operation journal (fileops/journal.py). Every step of every copy, move, swap or
-- restore is written here BEFORE it happens, so recovery can finish or roll back after a crash.
CREATE TABLE file_ops (
    id           INTEGER PRIMARY KEY,
    parent_id    INTEGER REFERENCES file_ops(id),
    kind         TEXT NOT NULL CHECK (kind IN ('cache', 'restore')),
    mode         TEXT NOT NULL CHECK (mode IN ('copy', 'move', 'symlink')),
    role         TEXT NOT NULL DEFAULT 'media' CHECK (role IN ('media', 'sidecar')),
    array_path   TEXT NOT NULL,
    cache_path   TEXT NOT NULL,
    src_path     TEXT NOT NULL,
    dst_path     TEXT NOT NULL,
    tmp_path     TEXT NOT NULL,
    swap_path    TEXT NOT NULL DEFAULT '',
    step         TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'active'
                 CHECK (status IN ('active', 'done', 'failed', 'rolled_back', 'conflict', 'skipped')),
    size         INTEGER NOT NULL DEFAULT 0,
    src_dev      INTEGER,
    src_ino      INTEGER,
    src_mtime_ns INTEGER,
    src_ctime_ns INTEGER,
    src_nlink    INTEGER,
    tmp_ino      INTEGER,
    src_hash     TEXT,
    dst_hash     TEXT,
    bytes_done   INTEGER NOT NULL DEFAULT 0,
    action       TEXT NOT NULL DEFAULT '{}',
    boot_id      TEXT NOT NULL DEFAULT '',
    message      TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX file_ops_one_active ON file_ops(array_path) WHERE status = 'active';
CREATE INDEX file_ops_status ON file_ops(status, id);

CREATE TABLE file_op_events (
    id      INTEGER PRIMARY KEY,
    op_id   INTEGER NOT NULL REFERENCES file_ops(id),
    step    TEXT NOT NULL,
    at      TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX file_op_events_op ON file_op_events(op_id);
