-- 0008: each user's watched state stored item by item (adapters/sqlite_plex_cache.py, plex_cache_memory.py).
-- A steady-state snapshot reads every user's state of every cached item once per process, grouped by item:
-- clustered on (rating_key, user), without a rowid, that is one in-order scan, and the rows are stored once
-- (0005's table kept them twice: the table and its (user, rating_key) key).

CREATE TABLE plex_watched_by_item (
    rating_key TEXT NOT NULL,
    user       TEXT NOT NULL,
    view_count INTEGER NOT NULL,
    PRIMARY KEY (rating_key, user)
) WITHOUT ROWID;

INSERT INTO plex_watched_by_item (rating_key, user, view_count)
    SELECT rating_key, user, view_count FROM plex_watched;

DROP TABLE plex_watched;

ALTER TABLE plex_watched_by_item RENAME TO plex_watched;
