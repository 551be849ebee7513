"""Response models of the health-check and *arr-style endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel


class CheckOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: str
    ok: bool
    detail: str
    fix: str = Field("", description="What to do about a failed check, in words.")


class ChecksOut(BaseModel):
    needs_setup: bool
    checks: list[CheckOut]


class HealthItemOut(BaseModel):
    """One problem, shaped like Sonarr's and Radarr's ``/api/v3/health``."""

    source: str
    type: Literal["ok", "notice", "warning", "error"]
    message: str
    wikiUrl: str


class HealthListOut(RootModel[list[HealthItemOut]]):
    pass


class SystemStatusOut(BaseModel):
    """Shaped like the *arr ``/api/v3/system/status`` (the fields that apply)."""

    appName: str
    version: str
    startTime: str
    appData: str
    osName: str
    osVersion: str
    runtimeName: str
    runtimeVersion: str
    isDocker: bool
    needsSetup: bool
