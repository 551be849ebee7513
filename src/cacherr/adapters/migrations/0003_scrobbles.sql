-- 0003: items a user finished (Plex webhook media.scrobble), given back at the next cycle.
CREATE TABLE scrobbles (
    item_key TEXT NOT NULL,
    user     TEXT NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (item_key, user)
);
