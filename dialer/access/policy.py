"""Pure access checks on a principal: pages, object actions, organizations, fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Action = Literal["read", "write"]
Level = Literal["full", "read"]
OrgAccess = Literal["all", "own", "list"]


@dataclass(frozen=True)
class FieldRule:
    visible: bool = True
    masked: bool = False


@dataclass(frozen=True)
class RoleGrant:
    role_id: int
    name: str
    preset: str | None
    pages: frozenset[str]
    objects: Mapping[str, Level]
    org_access: OrgAccess
    org_ids: frozenset[int]
    report_access: Literal["all", "list"]
    report_keys: frozenset[str]
    field_rules: Mapping[str, FieldRule] = field(default_factory=dict)


@dataclass(frozen=True)
class Principal:
    user_id: int
    login: str
    full_name: str
    organization_id: int | None
    language: str | None
    must_change_password: bool
    grant: RoleGrant

    def can_page(self, key: str) -> bool:
        return key in self.grant.pages

    def can(self, obj: str, action: Action) -> bool:
        level = self.grant.objects.get(obj)
        if level is None:
            return False
        return action == "read" or level == "full"

    def can_report(self, key: str) -> bool:
        return self.grant.report_access == "all" or key in self.grant.report_keys

    def org_ids(self) -> frozenset[int] | None:
        """Organizations this principal may see; None means all of them."""
        if self.grant.org_access == "all":
            return None
        if self.grant.org_access == "own":
            return frozenset({self.organization_id}) if self.organization_id is not None else frozenset()
        return self.grant.org_ids

    def sees_org(self, org_id: int | None) -> bool:
        allowed = self.org_ids()
        if allowed is None:
            return True
        # Records without an organization belong to everybody (shared reference data).
        return org_id is None or org_id in allowed


def org_condition(principal: Principal, column: str, args: list[Any]) -> str:
    """An SQL condition limiting ``column`` to the principal's organizations.

    Appends its parameter to ``args`` and returns text using the next ``$n``.
    """
    allowed = principal.org_ids()
    if allowed is None:
        return "TRUE"
    args.append(sorted(allowed))
    return f"({column} IS NULL OR {column} = ANY(${len(args)}::int[]))"


def mask_value(value: Any) -> Any:
    """Hide the middle of a value: enough left to recognise it, not to dial it."""
    if value is None:
        return None
    text = str(value)
    if len(text) <= 4:
        return "*" * len(text)
    keep_head = 2 if len(text) < 8 else 4
    keep_tail = 2
    return text[:keep_head] + "*" * (len(text) - keep_head - keep_tail) + text[-keep_tail:]


def apply_field_policy(
    principal: Principal, record: Mapping[str, Any], fields: Iterable[str] | None = None
) -> dict[str, Any]:
    """The one function every contact read path passes records through (R1.3).

    Fields the role may not see are dropped; masked fields keep their shape but not
    their digits. ``fields`` limits the policy to contact attributes when the record
    also carries system columns.
    """
    rules = principal.grant.field_rules
    governed = set(fields) if fields is not None else None
    out: dict[str, Any] = {}
    for name, value in record.items():
        if governed is not None and name not in governed:
            out[name] = value
            continue
        rule = rules.get(name)
        if rule is None:
            out[name] = value
        elif not rule.visible:
            continue
        elif rule.masked:
            out[name] = mask_value(value)
        else:
            out[name] = value
    return out


def require_org(principal: Principal, raw: Any, field: str = "organization_id") -> int | None:
    """The organization id from input, refused unless the principal may see it.

    One rule for every form and API body that places an object in an organization: empty
    means none, a non-number and an organization outside the role's scope are field errors.
    """
    from dialer.errors import InvalidInput

    if raw is None or raw == "":
        return None
    try:
        org_id = int(raw)
    except (TypeError, ValueError):
        raise InvalidInput({field: "must be a number"}) from None
    if not principal.sees_org(org_id):
        raise InvalidInput({field: "you have no access to this organization"})
    return org_id
