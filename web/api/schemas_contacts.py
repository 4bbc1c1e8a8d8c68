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
