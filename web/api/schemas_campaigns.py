"""Request bodies of the campaign-configuration API; the domain validates them again in depth."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_HHMM = r"^([01]?\d|2[0-3]):[0-5]\d$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CodeIn(_In):
    name: str = Field(min_length=1, max_length=200)
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$", description="Rules refer to the code by its key")
    used_by: Literal["operator", "system"] = "operator"
    description: str = ""


class CodeGroupIn(_In):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    code_ids: list[int] = []


class QuestionIn(_In):
    identifier: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
    text: str = Field(min_length=1)
    mandatory: bool = False
    links: list[str] = []


class ScriptIn(_In):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    questions: list[QuestionIn] = []


class NamedIn(_In):
    """Skills."""

    name: str = Field(min_length=1, max_length=200)
    description: str = ""


class OperatorSkillIn(_In):
    skill_id: int
    level: int = Field(ge=1, le=100)
    wrapup_seconds: int | None = Field(default=None, ge=0, le=3600, description="Overrides the strategy's")


class OperatorIn(_In):
    name: str = Field(min_length=1, max_length=200)
    user_id: int = Field(description="The portal user this operator signs in as")
    organization_id: int | None = None
    description: str = ""
    phones: list[str] = []
    skills: list[OperatorSkillIn] = []


class PhoneMaskIn(_In):
    mask: str = Field(pattern=r"^\+?[0-9X*]+$", description="X: any digit, *: any digits")
    description: str = ""


class IntegrationIn(_In):
    name: str = Field(min_length=1, max_length=200)
    url_template: str = Field(description="Contact fields in braces: https://crm/?phone={phone}")
    description: str = ""
    active: bool = True
    open_by_default: bool = False


class RestrictionIn(_In):
    name: str = Field(min_length=1, max_length=200)
    method: Literal["GET", "POST"] = "GET"
    url_template: str
    expected_result: str = Field(min_length=1)
    description: str = ""


class TemplateIn(_In):
    name: str = Field(min_length=1, max_length=200)
    channel: Literal["sms", "email"]
    subject: str = ""
    body: str = Field(min_length=1, description="Contact fields as @field")
    description: str = ""


class CallerIdIn(_In):
    number: str
    description: str = ""


class CallerIdImportIn(_In):
    text: str = Field(description="Lines number;description")


class CallerIdDeleteIn(_In):
    ids: list[int] | None = Field(default=None, description="Absent or null deletes every caller ID")


class CallerIdGroupIn(_In):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    caller_id_ids: list[int] = []


class ConnectorIn(_In):
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, description="IP address or URL")
    position: int = Field(ge=0, le=10000)
    capacity: int = Field(ge=1, le=100000)
    active: bool = True
    description: str = ""


class ConnectorModeIn(_In):
    mode: Literal["first", "last", "round_robin"]


class IvrNumberIn(_In):
    name: str = Field(min_length=1, max_length=200)
    number: str = Field(min_length=1)
    description: str = ""


class QueueIn(_In):
    name: str = Field(min_length=1, max_length=200)
    number: str = Field(min_length=1)
    password: str = ""
    identifier: str = Field(min_length=1)
    organization_id: int | None = None


class StrategyIn(_In):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    dial_mode: Literal["preview", "progressive", "predictive", "agentless"] = "progressive"
    calls_per_operator: float = Field(default=1.0, gt=0, le=50)
    intensity: Literal["low", "normal", "high"] | None = Field(default=None, description="Predictive only")
    sip_id_type: Literal["contact", "call"] = "contact"
    skill_id: int | None = None
    default_code_id: int | None = None
    window_start: str = Field(default="09:00", pattern=_HHMM, description="Customer's local time")
    window_end: str = Field(default="21:00", pattern=_HHMM, description="Before the start: crosses midnight")
    ring_timeout: int = Field(default=30, ge=15, le=300)
    caller_id_group_id: int | None = None
    max_attempts: int | None = Field(default=None, ge=1, le=1000)
    min_operators: int | None = Field(default=None, ge=0)
    max_operators: int | None = Field(default=None, ge=0)
    wrapup_seconds: int | None = Field(default=None, ge=0, le=3600)
    max_ports: int | None = Field(default=None, ge=1)
    amd: bool = False
    amd_false_positive_pct: float | None = Field(
        default=None, ge=0, le=50,
        description="Share of people AMD hangs up on as machines, %, counted as abandons by the pacing; "
                    "null: measured on the active AMD model's evaluation set",
    )
    quality_ivr_id: int | None = None
    quality_percent: int = Field(default=0, ge=0, le=100)
    preview_seconds: int | None = Field(default=None, ge=1, le=3600)
    ignore_dnc_callbacks: bool = False
    script_id: int | None = None
    rules: dict[str, Any] = Field(
        default={}, description="Call-result rule chains; see dialer.campaigns.rules"
    )
