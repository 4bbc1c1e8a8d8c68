"""Request bodies of the REST API; their JSON schemas feed the OpenAPI document."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenIn(_In):
    name: str = Field(min_length=1, max_length=100, description="What the token is for")


class UserIn(_In):
    login: str = Field(min_length=2, max_length=64)
    source: Literal["local", "ldap"] = "local"
    password: str | None = Field(
        default=None, description="Required for local accounts; at least 8 characters"
    )
    full_name: str = ""
    email: str = ""
    organization_id: int | None = None
    position: str = ""
    role_id: int
    language: Literal["ru", "en"] | None = None
    active: bool = True


class UserUpdate(_In):
    password: str | None = None
    full_name: str = ""
    email: str = ""
    organization_id: int | None = None
    position: str = ""
    role_id: int
    language: Literal["ru", "en"] | None = None
    active: bool = True


class FieldRuleIn(_In):
    visible: bool = True
    masked: bool = False


class RoleIn(_In):
    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    pages: list[str] = []
    objects: dict[str, Literal["full", "read", "none"]] = {}
    org_access: Literal["all", "own", "list"] = "own"
    org_ids: list[int] = []
    report_access: Literal["all", "list"] = "list"
    report_keys: list[str] = []
    field_rules: dict[str, FieldRuleIn] = {}


class OrgIn(_In):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""


class MailSettingsIn(_In):
    host: str = ""
    port: int = Field(default=25, ge=1, le=65535)
    username: str = ""
    password: str | None = Field(default=None, description="Empty or absent keeps the stored password")
    sender: str = ""
    auth_type: Literal["none", "plain", "login"] = "none"
    domain: str = ""
    security: Literal["none", "starttls", "tls"] = "none"


class PasswordChangeIn(_In):
    old_password: str
    new_password: str = Field(min_length=8)
