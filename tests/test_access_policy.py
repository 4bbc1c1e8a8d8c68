from __future__ import annotations

from dialer.access.policy import (
    FieldRule,
    Principal,
    RoleGrant,
    apply_field_policy,
    mask_value,
    org_condition,
)


def _principal(**grant: object) -> Principal:
    base: dict[str, object] = dict(role_id=1, name="r", preset=None, pages=frozenset(), objects={},
                                   org_access="own", org_ids=frozenset(), report_access="list",
                                   report_keys=frozenset(), field_rules={})
    base.update(grant)
    return Principal(user_id=1, login="u", full_name="", organization_id=7, language=None,
                     must_change_password=False, grant=RoleGrant(**base))  # type: ignore[arg-type]


def test_masked_phone_keeps_shape_hidden_field_is_dropped() -> None:
    p = _principal(field_rules={"phone": FieldRule(True, True), "passport": FieldRule(False, False)})
    out = apply_field_policy(p, {"phone": "+79161234567", "passport": "4510 123456", "name": "Анна"})
    assert out == {"phone": "+791******67", "name": "Анна"}
    assert "1234" not in out["phone"]


def test_policy_can_be_limited_to_contact_attributes() -> None:
    p = _principal(field_rules={"id": FieldRule(False, False)})
    assert apply_field_policy(p, {"id": 5, "x": 1}, fields=["x"]) == {"id": 5, "x": 1}


def test_mask_short_values_entirely() -> None:
    assert mask_value("123") == "***"
    assert mask_value(None) is None


def test_object_levels_and_org_scope() -> None:
    p = _principal(objects={"users": "read", "roles": "full"})
    assert p.can("users", "read") and not p.can("users", "write")
    assert p.can("roles", "write") and not p.can("audit", "read")
    args: list[object] = []
    assert org_condition(p, "t.org", args) == "(t.org IS NULL OR t.org = ANY($1::int[]))"
    assert args == [[7]]
    assert org_condition(_principal(org_access="all"), "t.org", []) == "TRUE"
    listed = _principal(org_access="list", org_ids=frozenset({3, 4}))
    assert listed.sees_org(3) and not listed.sees_org(7)


def test_require_org_names_the_field_for_bad_or_foreign_organizations() -> None:
    import pytest

    from dialer.access.policy import require_org
    from dialer.errors import InvalidInput

    p = _principal()  # own organization 7
    assert require_org(p, "") is None and require_org(p, None) is None
    assert require_org(p, "7") == 7
    with pytest.raises(InvalidInput) as bad:
        require_org(p, "seven")
    assert bad.value.fields == {"organization_id": "must be a number"}
    with pytest.raises(InvalidInput) as foreign:
        require_org(p, 8, field="org")
    assert foreign.value.fields == {"org": "you have no access to this organization"}
