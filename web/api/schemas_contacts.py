"""Request bodies of the contacts and directories API (they feed /api/v1/openapi.json)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldIn(_In):
    name: str = Field(description="Latin letters, digits and _; the key in contact attributes")
    type: Literal["phone", "email", "text", "number", "date", "boolean"]
    title: str = ""
    description: str = ""
    mask: str = ""
    is_client_id: bool = False


class ListIn(_In):
    name: str
    description: str = ""
    organization_id: int | None = None
    field_ids: list[int] = Field(default_factory=list)


class CopyFieldsIn(_In):
    from_list: int


class ContactIn(_In):
    attrs: dict[str, Any] = Field(description="Field name -> value; phones in any common format")


class ContactsDeleteIn(_In):
    ids: list[int] | None = Field(default=None, description="Contacts to delete; omit with all=true")
    all: bool = False


class ImportBatchIn(_In):
    contacts: list[dict[str, Any]] = Field(max_length=100_000, description="Rows: field name -> value")
    dedupe: bool = Field(default=False, description="Skip rows whose phone is already in the list")
    clear_before: bool = False
    wait: bool = Field(default=True, description="Answer when the job is done, with per-row results")


class DncListIn(_In):
    name: str
    description: str = ""
    organization_id: int | None = None


class DncEntryIn(_In):
    kind: Literal["phone", "email", "account"] = "phone"
    value: str


class DncEntriesDeleteIn(_In):
    kind: Literal["phone", "email", "account"] = "phone"
    values: list[str]


class DncCheckIn(_In):
    kind: Literal["phone", "email", "account"] = "phone"
    values: list[str] = Field(max_length=100_000)
    dnc_list_ids: list[int] | None = None


class Condition(_In):
    field: str
    op: Literal["eq", "ne", "contains", "starts", "gt", "gte", "lt", "lte", "empty", "not_empty"] = "eq"
    value: str = ""


class FilterIn(_In):
    name: str
    list_id: int | None = None
    organization_id: int | None = None
    conditions: list[Condition] = Field(default_factory=list)


class FilterPreviewIn(_In):
    list_id: int | None = None
    conditions: list[Condition] = Field(default_factory=list)


class PhoneCodeIn(_In):
    code: str = Field(description="Digits of the E.164 prefix, e.g. 7495")
    name: str = ""
    description: str = ""
    utc_offset_min: int = Field(ge=-720, le=840)
    tz: str | None = Field(default=None, description="IANA zone; unset: the fixed offset is used")


class CalendarOverrideIn(_In):
    day: date
    working: bool
    note: str = ""


class TzMethodIn(_In):
    tz_method: Literal["range", "code", "range_code"]


class NumberRangesDeleteIn(_In):
    code: str | None = Field(default=None, description="Delete the ranges of this ABC/DEF code (e.g. 916)")
    all: bool = Field(default=False, description="Delete every range (when no code is given)")


class ScheduleIn(_In):
    kind: Literal["manual", "daily", "monthly", "quarterly", "every"] = "manual"
    at: str = Field(default="06:00", description="HH:MM (daily, monthly, quarterly)")
    day: int = Field(default=1, ge=1, le=31, description="Day of the month (monthly, quarterly)")
    every_minutes: int = Field(default=60, ge=1, le=60 * 24 * 31)
    tz: str = "Europe/Moscow"


class DataSourceIn(_In):
    name: str
    kind: Literal["postgres", "mssql", "folder", "sftp", "ftp"]
    list_id: int
    host: str = ""
    port: int | None = Field(default=None, ge=1, le=65535, description="Unset: the kind's default port")
    user: str = ""
    password: str | None = Field(
        default=None, description="Write-only; omitted or empty on update: the stored password is kept"
    )
    database: str = ""
    query: str = Field(default="", description="postgres, mssql: the query whose rows are loaded")
    path: str = Field(default="", description="folder, sftp, ftp: the folder to pick the newest file from")
    pattern: str = Field(default="*", description="File name pattern, e.g. list-*.csv")
    host_key: str | None = Field(
        default=None,
        description="sftp: the server's host key (a known_hosts line or SHA256:... fingerprint); "
        "empty: the key seen at the first successful connection is recorded and trusted; "
        "omitted on update: the stored key is kept",
    )
    mapping: dict[str, str] = Field(default_factory=dict, description="File column -> field name")
    clear_before: bool = False
    dedupe: bool = False
    schedule: ScheduleIn = Field(default_factory=ScheduleIn)
