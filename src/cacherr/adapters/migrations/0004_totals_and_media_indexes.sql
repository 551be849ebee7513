-- 0004: running totals of the cache registry and indexes for the dashboard's media list.
-- cache_totals holds (entries, bytes) per kind/key: ('all', ''), ('library', name), ('user', name).
-- Triggers keep it and cache_entry_users in step with cache_entries inside the same transaction as
-- every registry change, so a rolled-back copy rolls its totals back too. Keys with no entries left
-- are deleted (the filter lists read this table); the 'all' row always exists.
CREATE TABLE cache_totals (
    kind    TEXT NOT NULL CHECK (kind IN ('all', 'library', 'user')),
    key     TEXT NOT NULL,
    entries INTEGER NOT NULL DEFAULT 0,
    bytes   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;

-- One row per (user, entry), carrying the media list's sort key so a user's page is an index range.
CREATE TABLE cache_entry_users (
    user        TEXT NOT NULL,
    entry_id    INTEGER NOT NULL,
    sort_pin    INTEGER NOT NULL,
    sort_reason INTEGER NOT NULL,
    sort_title  TEXT NOT NULL,
    sort_path   TEXT NOT NULL,
    PRIMARY KEY (user, entry_id)
) WITHOUT ROWID;
CREATE INDEX cache_entry_users_entry ON cache_entry_users(entry_id);
CREATE INDEX cache_entry_users_list ON cache_entry_users(user, sort_pin, sort_reason, sort_title, sort_path);

-- Substring search over titles and paths (the media list's q), kept by the same triggers.
CREATE VIRTUAL TABLE cache_search USING fts5(title, cache_path, tokenize = 'trigram');

CREATE TRIGGER cache_entries_totals_insert AFTER INSERT ON cache_entries BEGIN
    INSERT INTO cache_totals (kind, key, entries, bytes)
        VALUES ('all', '', 1, NEW.size), ('library', NEW.library, 1, NEW.size)
        ON CONFLICT (kind, key) DO UPDATE SET entries = entries + excluded.entries, bytes = bytes + excluded.bytes;
    INSERT INTO cache_totals (kind, key, entries, bytes)
        SELECT DISTINCT 'user', value, 1, NEW.size
        FROM json_each(CASE WHEN json_valid(NEW.users) THEN NEW.users ELSE '[]' END) WHERE true
        ON CONFLICT (kind, key) DO UPDATE SET entries = entries + excluded.entries, bytes = bytes + excluded.bytes;
    INSERT OR IGNORE INTO cache_entry_users (user, entry_id, sort_pin, sort_reason, sort_title, sort_path)
        SELECT value, NEW.id, 1 - NEW.pinned, NEW.reason, NEW.title, NEW.cache_path
        FROM json_each(CASE WHEN json_valid(NEW.users) THEN NEW.users ELSE '[]' END);
    INSERT INTO cache_search (rowid, title, cache_path) VALUES (NEW.id, NEW.title, NEW.cache_path);
END;

CREATE TRIGGER cache_entries_totals_delete AFTER DELETE ON cache_entries BEGIN
    INSERT INTO cache_totals (kind, key, entries, bytes)
        VALUES ('all', '', -1, -OLD.size), ('library', OLD.library, -1, -OLD.size)
        ON CONFLICT (kind, key) DO UPDATE SET entries = entries + excluded.entries, bytes = bytes + excluded.bytes;
    INSERT INTO cache_totals (kind, key, entries, bytes)
        SELECT DISTINCT 'user', value, -1, -OLD.size
        FROM json_each(CASE WHEN json_valid(OLD.users) THEN OLD.users ELSE '[]' END) WHERE true
        ON CONFLICT (kind, key) DO UPDATE SET entries = entries + excluded.entries, bytes = bytes + excluded.bytes;
    DELETE FROM cache_entry_users WHERE entry_id = OLD.id;
    DELETE FROM cache_search WHERE rowid = OLD.id;
    DELETE FROM cache_totals WHERE entries <= 0 AND kind != 'all';
END;

CREATE TRIGGER cache_entries_totals_update AFTER UPDATE OF size, library, users, pinned, reason, title, cache_path
    ON cache_entries BEGIN
    INSERT INTO cache_totals (kind, key, entries, bytes)
        VALUES ('all', '', 0, NEW.size - OLD.size), ('library', OLD.library, -1, -OLD.size),
               ('library', NEW.library, 1, NEW.size)
        ON CONFLICT (kind, key) DO UPDATE SET entries = entries + excluded.entries, bytes = bytes + excluded.bytes;
    INSERT INTO cache_totals (kind, key, entries, bytes)
        SELECT DISTINCT 'user', value, -1, -OLD.size
        FROM json_each(CASE WHEN json_valid(OLD.users) THEN OLD.users ELSE '[]' END) WHERE true
        ON CONFLICT (kind, key) DO UPDATE SET entries = entries + excluded.entries, bytes = bytes + excluded.bytes;
    INSERT INTO cache_totals (kind, key, entries, bytes)
        SELECT DISTINCT 'user', value, 1, NEW.size
        FROM json_each(CASE WHEN json_valid(NEW.users) THEN NEW.users ELSE '[]' END) WHERE true
        ON CONFLICT (kind, key) DO UPDATE SET entries = entries + excluded.entries, bytes = bytes + excluded.bytes;
    DELETE FROM cache_entry_users WHERE entry_id = OLD.id;
    DELETE FROM cache_search WHERE rowid = OLD.id;
    INSERT OR IGNORE INTO cache_entry_users (user, entry_id, sort_pin, sort_reason, sort_title, sort_path)
        SELECT value, NEW.id, 1 - NEW.pinned, NEW.reason, NEW.title, NEW.cache_path
        FROM json_each(CASE WHEN json_valid(NEW.users) THEN NEW.users ELSE '[]' END);
    INSERT INTO cache_search (rowid, title, cache_path) VALUES (NEW.id, NEW.title, NEW.cache_path);
    DELETE FROM cache_totals WHERE entries <= 0 AND kind != 'all';
END;

-- Backfill from the rows already there.
INSERT INTO cache_totals (kind, key, entries, bytes) SELECT 'all', '', COUNT(*), COALESCE(SUM(size), 0) FROM cache_entries;
INSERT INTO cache_totals (kind, key, entries, bytes)
    SELECT 'library', library, COUNT(*), SUM(size) FROM cache_entries GROUP BY library;
INSERT OR IGNORE INTO cache_entry_users (user, entry_id, sort_pin, sort_reason, sort_title, sort_path)
    SELECT j.value, e.id, 1 - e.pinned, e.reason, e.title, e.cache_path FROM cache_entries AS e,
        json_each(CASE WHEN json_valid(e.users) THEN e.users ELSE '[]' END) AS j;
INSERT INTO cache_search (rowid, title, cache_path) SELECT id, title, cache_path FROM cache_entries;
INSERT INTO cache_totals (kind, key, entries, bytes)
    SELECT 'user', u.user, COUNT(*), SUM(e.size) FROM cache_entry_users AS u
        JOIN cache_entries AS e ON e.id = u.entry_id GROUP BY u.user;

-- The media list sorts by (pinned first, reason, title, path); (1 - pinned) makes that one ascending key
-- so keyset paging can compare row values against an index. One index per equality filter.
CREATE INDEX cache_entries_list ON cache_entries((1 - pinned), reason, title, cache_path);
CREATE INDEX cache_entries_list_library ON cache_entries(library, (1 - pinned), reason, title, cache_path);
CREATE INDEX cache_entries_list_reason ON cache_entries(reason, (1 - pinned), title, cache_path);
