"""Pydantic request and response models of the API; the OpenAPI document is generated from them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- errors ------------------------------------------------------------------------------------
class ErrorOut(_Out):
    error: str = Field(description="What went wrong, for a person.")
    details: list[str] = Field(default_factory=list, description="One line per problem.")
    fields: dict[str, str] = Field(default_factory=dict, description="Problem per setting or field name.")


# --- health ------------------------------------------------------------------------------------
class HealthOut(_Out):
    status: Literal["ok", "degraded", "fail"]
    live: bool
    ready: bool
    database: bool
    scheduler: bool | None = Field(description="Scheduler running; null when there is none.")
    plex: bool | None = Field(description="Plex reachable as last seen; null before the first check.")
    plex_checked_at: str | None
    version: str


# --- status ------------------------------------------------------------------------------------
class CacheUsageOut(_Out):
    path: str
    total_bytes: int
    used_bytes: int
    free_bytes: int
    by_cacherr_bytes: int
    entries: int
    budget_bytes: int | None
    min_free_bytes: int | None


class RunningOpOut(_Out):
    op_id: int
    kind: str
    title: str
    path: str
    bytes_done: int
    bytes_total: int
    percent: float
    bytes_per_second: float
    eta_seconds: float | None


class CycleOut(_Out):
    id: int
    started_at: str
    finished_at: str | None
    trigger: str
    dry_run: bool
    status: str
    error: str | None
    summary: dict[str, Any]


class JobOut(_Out):
    id: int
    kind: str
    started_at: str
    finished_at: str | None
    running: bool
    ok: bool | None
    message: str


class StatusOut(_Out):
    cache: CacheUsageOut
    last_cycle: CycleOut | None
    running_cycle: CycleOut | None
    next_run: str | None
    busy: bool
    job: JobOut | None = Field(description="The last background job started from the web (cycle, restore).")
    operations: list[RunningOpOut]
    scheduler: bool | None
    plex: bool | None
    test_mode: bool
    auth_enabled: bool
    needs_setup: bool = Field(False, description="Plex is not configured yet: the dashboard leads to /setup.")
    integrations: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Health of notifications and Trakt, when configured (no secrets).")


# --- media -------------------------------------------------------------------------------------
class EntryOut(_Out):
    id: int
    title: str
    library: str
    reason: str
    users: list[str]
    size: int
    cached_at: str
    mode: str
    pinned: bool
    pre_existing: bool
    cache_path: str
    last_wanted_at: str | None


class MediaPageOut(_Out):
    items: list[EntryOut]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[str]]
    next_after: str | None = Field(None, description="Pass as `after` to get the next page (fast at any "
                                   "depth); null on the last page.")


class MediaQuery(_In):
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(50, ge=1, le=200)
    user: str = Field("", max_length=200)
    reason: str = Field("", max_length=50)
    library: str = Field("", max_length=200)
    q: str = Field("", max_length=200, description="Search in titles and paths.")
    pinned: bool | None = None
    after: str = Field("", max_length=2000, description="The previous page's `next_after`: the page after it "
                       "(keyset paging; `page` is then only echoed back).")


class PageQuery(_In):
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(20, ge=1, le=200)


class HistoryQuery(PageQuery):
    before: int | None = Field(None, ge=1, le=2**62, description="Keyset paging: rows older than this id "
                               "(the previous answer's next_before). With before or limit, page is ignored.")
    limit: int | None = Field(None, ge=1, le=200, description="Rows per answer with keyset paging.")


# --- plan --------------------------------------------------------------------------------------
class ActionOut(_Out):
    kind: str
    title: str
    size: int
    reason: str
    why: str
    users: list[str]
    cache_path: str


class SkipOut(_Out):
    title: str
    path: str
    why: str
    size: int


class PlanOut(_Out):
    created_at: str
    actions: list[ActionOut]
    skips: list[SkipOut]
    budget_bytes: int
    usage_before: int
    usage_after: int
    bytes_to_cache: int
    bytes_to_restore: int
    notes: list[str]


class LastPlanOut(_Out):
    plan: PlanOut | None


# --- actions -----------------------------------------------------------------------------------
class RunCycleIn(_In):
    dry_run: bool = Field(False, description="Plan and record, touch no file.")


class PinIn(_In):
    pinned: bool = True


class AcceptedOut(_Out):
    accepted: bool
    job: JobOut


class EntryActionOut(_Out):
    ok: bool
    message: str
    entry: EntryOut | None


# --- history -----------------------------------------------------------------------------------
class CyclesPageOut(_Out):
    items: list[CycleOut]
    total: int
    page: int
    per_page: int
    next_before: int | None = Field(None, description="Pass as ?before= for the next (older) rows; null: no more.")


class OperationOut(_Out):
    id: int
    kind: str
    state: str
    path: str
    size: int
    started_at: str | None
    finished_at: str | None
    error: str | None
    title: str = ""
    why: str = ""
    cycle_id: int | None = Field(None, description="The cycle (or restore, real-time top-up) it belongs to.")


class OperationsPageOut(_Out):
    items: list[OperationOut]
    total: int
    page: int
    per_page: int
    next_before: int | None = Field(None, description="Pass as ?before= for the next (older) rows; null: no more.")


class UsageSampleOut(_Out):
    ts: str
    cache_used: int
    cache_total: int
    by_cacherr: int
    bytes_moved: int


class UsageOut(_Out):
    samples: list[UsageSampleOut]


# --- settings ----------------------------------------------------------------------------------
class SettingOut(_Out):
    name: str
    value: Any = Field(description="Effective value; secrets masked (****ab12), never in full.")
    source: Literal["env", "file", "default"]
    locked: bool = Field(description="Set by an environment variable: read-only here.")
    secret: bool
    is_set: bool = Field(description="For secrets: whether a value is set.")
    group: str
    description: str
    advanced: bool
    restart: bool = Field(description="Takes effect after a restart.")
    kind: str = Field(description="Input kind: text, number, bool, choice, list, json, secret.")
    choices: list[str] = Field(default_factory=list)
    label: str = Field("", description="Human label shown on the settings page (the name is the variable).")
    section: str = Field("", description="Section of the settings page (one of SettingsOut.sections).")


class SettingsOut(_Out):
    groups: list[str]
    settings: list[SettingOut]
    sections: list[str] = Field(default_factory=list, description="The settings page's sections, in page order.")


class SettingsPatchIn(RootModel[dict[str, Any]]):
    """Setting name -> new value (strings as in the environment, or JSON values)."""


class SettingsSavedOut(_Out):
    saved: list[str]
    restart_needed: list[str]
    settings: SettingsOut


# --- logs, notifications, webhook ----------------------------------------------------------------
class LogQuery(_In):
    after: int = Field(0, ge=0, description="Only lines with a sequence number above this.")
    limit: int = Field(200, ge=1, le=2000)


class LogLineOut(_Out):
    seq: int
    level: str
    line: str


class LogsOut(_Out):
    lines: list[LogLineOut]
    last_seq: int


class NotifyOut(_Out):
    delivered: bool
    message: str


class WebhookQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    secret: str = Field(..., min_length=1, max_length=500)


class WebhookOut(_Out):
    accepted: bool
    event: str | None
    message: str


class SessionOut(_Out):
    user: str | None
    csrf_token: str = Field(description="Send as header X-CSRF-Token on requests that change something.")
    auth_enabled: bool
