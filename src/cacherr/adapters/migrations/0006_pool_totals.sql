-- 0006: bytes and entries Cacherr holds per cache pool (a configured cache root: CACHE_DESTINATION or a
-- PATH_MAPPINGS cache_path), kept by triggers in the same transaction as every registry change, as the
-- totals of 0004 are. cache_pools lists the roots (written by the store at start-up from the settings;
-- when the set changes, the store recounts cache_pool_totals once in the same transaction). An entry
-- belongs to the longest root its cache_path lies under, '' when none.
CREATE TABLE cache_pools (
    root TEXT PRIMARY KEY
) WITHOUT ROWID;

CREATE TABLE cache_pool_totals (
    pool    TEXT PRIMARY KEY,
    entries INTEGER NOT NULL DEFAULT 0,
    bytes   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TRIGGER cache_entries_pool_insert AFTER INSERT ON cache_entries BEGIN
    INSERT INTO cache_pool_totals (pool, entries, bytes)
        VALUES (COALESCE((SELECT root FROM cache_pools WHERE substr(NEW.cache_path, 1, length(root) + 1) = root || '/'
                          ORDER BY length(root) DESC LIMIT 1), ''), 1, NEW.size)
        ON CONFLICT (pool) DO UPDATE SET entries = entries + excluded.entries, bytes = bytes + excluded.bytes;
END;

CREATE TRIGGER cache_entries_pool_delete AFTER DELETE ON cache_entries BEGIN
    INSERT INTO cache_pool_totals (pool, entries, bytes)
        VALUES (COALESCE((SELECT root FROM cache_pools WHERE substr(OLD.cache_path, 1, length(root) + 1) = root || '/'
                          ORDER BY length(root) DESC LIMIT 1), ''), -1, -OLD.size)
        ON CONFLICT (pool) DO UPDATE SET entries = entries + excluded.entries, bytes = bytes + excluded.bytes;
    DELETE FROM cache_pool_totals WHERE entries <= 0 AND pool NOT IN (SELECT root FROM cache_pools);
END;

CREATE TRIGGER cache_entries_pool_update AFTER UPDATE OF size, cache_path ON cache_entries BEGIN
    INSERT INTO cache_pool_totals (pool, entries, bytes)
        VALUES (COALESCE((SELECT root FROM cache_pools WHERE substr(OLD.cache_path, 1, length(root) + 1) = root || '/'
                          ORDER BY length(root) DESC LIMIT 1), ''), -1, -OLD.size)
        ON CONFLICT (pool) DO UPDATE SET entries = entries + excluded.entries, bytes = bytes + excluded.bytes;
    INSERT INTO cache_pool_totals (pool, entries, bytes)
        VALUES (COALESCE((SELECT root FROM cache_pools WHERE substr(NEW.cache_path, 1, length(root) + 1) = root || '/'
                          ORDER BY length(root) DESC LIMIT 1), ''), 1, NEW.size)
        ON CONFLICT (pool) DO UPDATE SET entries = entries + excluded.entries, bytes = bytes + excluded.bytes;
    DELETE FROM cache_pool_totals WHERE entries <= 0 AND pool NOT IN (SELECT root FROM cache_pools);
END;

-- Backfill: no pool is known yet, so every row counts under ''; the store's first set_pools recounts.
INSERT INTO cache_pool_totals (pool, entries, bytes) SELECT '', COUNT(*), COALESCE(SUM(size), 0) FROM cache_entries
    WHERE EXISTS (SELECT 1 FROM cache_entries);
