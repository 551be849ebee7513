"""API models of the restore exclusions, the cache hit rate and one cycle's detail."""

from __future__ import annotations

from pydantic import Field

from cacherr.web.schemas import CycleOut, OperationOut, _In, _Out


class RestoreIn(_In):
    keep_off: bool = Field(False, description="Also keep the item off the cache: no cycle copies it back until "
                           "it is let back in (DELETE /exclusions/{id}).")


class ExclusionOut(_Out):
    id: int
    item_key: str | None
    array_path: str
    title: str
    excluded_at: str


class ExclusionsOut(_Out):
    items: list[ExclusionOut]


class LetBackInOut(_Out):
    ok: bool
    message: str


class UserHitsOut(_Out):
    user: str
    plays: int
    from_cache: int
    percent: float


class HitRateOut(_Out):
    since: str = Field(description="Start of the window (ISO time).")
    days: int
    plays: int = Field(description="Plays that started in the window (sessions and webhooks seen by Cacherr).")
    from_cache: int = Field(description="Of those, plays whose file was on the cache when play started.")
    percent: float
    users: list[UserHitsOut]


class HitRateQuery(_In):
    days: int = Field(7, ge=1, le=365)


class CycleDetailOut(_Out):
    cycle: CycleOut
    operations: list[OperationOut]
