"""Request bodies of the dialing API (campaigns, lifecycle, callbacks)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class CampaignFilterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filter_id: int
    percent: int = Field(100, ge=1, le=100)


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    organization_id: int | None = None
    strategy_id: int | None = None
    code_group_id: int | None = None
    lists: list[int] = []
    list_order: Literal["any", "ordered"] = "any"
    dnc_lists: list[int] = []
    dnc_ignore_callbacks: bool = False
    finite: bool = True
    weight: int = Field(1, ge=1, le=100)
    start_at: datetime | None = None
    start_tz: str = "Europe/Moscow"
    tz_mode: Literal["customer", "campaign"] = "customer"
    campaign_tz: str = "Europe/Moscow"
    call_days: Literal["all", "working", "holiday"] = "all"
    callback_hours: int | None = Field(None, ge=1, le=8760)
    restriction_id: int | None = None
    prefix: str = ""
    integration_id: int | None = None
    filters: list[CampaignFilterIn] = Field([], max_length=4)


class CampaignStateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["start", "pause", "resume", "stop"]


class CallbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contact_id: int
    due_at: datetime
    phone_field: str = ""
    operator_id: int | None = None
    note: str = ""


class CallbackImportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    csv: str = Field(min_length=1, max_length=10_000_000)
