"""The planner's fates and the copy failure reasons are enums whose values never change (issue 12 item 7): the
journal, cycle records, the API and stored history read these strings."""

from __future__ import annotations

from cacherr.domain.fates import CopyFailure, Fate


def test_fate_values_are_the_strings_they_always_were() -> None:
    assert {f.name: f.value for f in Fate} == {"BACK": "back", "IDLE": "idle", "FOUND": "found", "KEPT": "kept"}
    assert Fate("kept") is Fate.KEPT and f"{Fate.BACK}" == "back"


def test_copy_failure_values_are_the_strings_they_always_were() -> None:
    assert sorted(CopyFailure) == sorted(["source_gone", "source_changed", "verify_failed", "no_space",
                                          "permission", "io", "not_regular", "stopping"])


def test_only_a_moved_source_or_a_stop_rolls_a_copy_back() -> None:
    assert {r for r in CopyFailure if r.rolls_back} == {CopyFailure.SOURCE_GONE, CopyFailure.SOURCE_CHANGED,
                                                        CopyFailure.STOPPING}
