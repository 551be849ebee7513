"""Which episodes follow an On Deck episode (pure, table-driven)."""

from __future__ import annotations

import pytest

from cacherr.adapters.plex_convert import Leaf, next_after

LEAVES = [Leaf(f"{s}.{e}", s, e, False, True) for s, e in [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (2, 1)]]


@pytest.mark.parametrize(("current", "count", "expected"), [
    ((1, 1), 3, ["1.2", "2.1"]),  # regular: specials skipped
    ((0, 1), 2, ["0.2", "0.3"]),  # bug: a special on deck led to S01E01 being cached; next is the next special
    ((0, 3), 2, []),  # the last special: nothing
])
def test_next_after(current: tuple[int, int], count: int, expected: list[str]) -> None:
    assert [e.key for e in next_after(LEAVES, current, count)] == expected
