"""An incomplete snapshot: cached media kept on account of users and shows that could not be read.

When plex.tv is down, a user's token is refused or one show's episodes cannot be listed, the snapshot says
so (``Snapshot.unread``). Everything recorded on the cache for such a user or show is kept as it is this
cycle: not given back, not evicted, so that an outage never makes media churn between cache and array.
Pure; the planner asks ``kept_for_unread`` once per cached item.
"""

from __future__ import annotations

from collections.abc import Sequence

from cacherr.domain.cache import CacheEntry
from cacherr.domain.media import Snapshot


def kept_for_unread(entries: Sequence[CacheEntry], snapshot: Snapshot) -> str | None:
    """Why these cached entries (of one item) must stay as they are, or None when nothing unread
    concerns them."""
    if snapshot.complete:
        return None
    users = frozenset(u for e in entries for u in e.users)
    unread = users & snapshot.unread_users
    if snapshot.users_unlisted:
        unread |= users - frozenset(snapshot.users)
    if unread:
        return "recorded for " + ", ".join(sorted(unread)) + ", who could not be read this cycle"
    key = entries[0].item_key
    item = snapshot.items.get(key) if key is not None else None
    if item is not None and item.show_key is not None and item.show_key in snapshot.unread_shows:
        return f"{item.show_title or 'its show'} could not be read this cycle"
    return None


def kept_note(count: int) -> str:
    return (f"{count} cached item(s) kept as they are: the users or shows they were cached for could not be "
            "read this cycle (incomplete snapshot)")
