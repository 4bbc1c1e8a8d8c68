"""Roles in the database: presets kept in step with the catalog, grants loaded for checks."""

from __future__ import annotations

from typing import Any

import asyncpg

from dialer.access import catalog
from dialer.access.policy import FieldRule, Level, RoleGrant
from dialer.errors import Conflict, InvalidInput, NotFound

PRESETS: dict[str, tuple[str, str]] = {
    "administrator": ("Администратор", "Полный доступ ко всем разделам"),
    "supervisor": ("Супервизор", "Контакт-листы, кампании, мониторинг, отчёты"),
    "specialist": ("Специалист", "Только рабочее место оператора"),
    "auditor": ("Аудитор безопасности", "Отчёт о действиях пользователей"),
}


def preset_pages(preset: str) -> set[str]:
    if preset == "administrator":
        return {p.key for p in catalog.pages()}
    return {p.key for p in catalog.pages() if preset in p.presets}


def preset_objects(preset: str) -> dict[str, Level]:
    if preset == "administrator":
        return {o.key: "full" for o in catalog.objects()}
    out: dict[str, Level] = {}
    for o in catalog.objects():
        if preset in o.presets_full:
            out[o.key] = "full"
        elif preset in o.presets_read:
            out[o.key] = "read"
    return out


async def sync_presets(conn: asyncpg.Connection) -> None:
    """Create missing presets and grant them pages and objects that are new since last sync."""
    all_pages = [p.key for p in catalog.pages()]
    all_objects = [o.key for o in catalog.objects()]
    for preset, (name, description) in PRESETS.items():
        row = await conn.fetchrow("SELECT * FROM roles WHERE preset = $1", preset)
        pages = preset_pages(preset)
        objects = preset_objects(preset)
        org_access = "all" if preset in ("administrator", "auditor") else "own"
        reports = "all" if preset in ("administrator", "supervisor") else "list"
        report_keys = ["user_actions"] if preset == "auditor" else []
        if row is None:
            await conn.execute(
                """INSERT INTO roles (name, description, preset, pages, objects, org_access, report_access,
                                      report_keys, known_pages, known_objects)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
                name,
                description,
                preset,
                sorted(pages),
                objects,
                org_access,
                reports,
                report_keys,
                all_pages,
                all_objects,
            )
            continue
        if preset == "administrator":
            # The administrator must never be locked out of anything.
            new_pages, new_objects = sorted(pages), objects
        else:
            known_p, known_o = set(row["known_pages"]), set(row["known_objects"])
            new_pages = sorted(set(row["pages"]) | {p for p in pages if p not in known_p})
            new_objects = dict(row["objects"])
            for key, level in objects.items():
                if key not in known_o:
                    new_objects[key] = level
        await conn.execute(
            "UPDATE roles SET pages = $2, objects = $3, known_pages = $4, known_objects = $5 WHERE id = $1",
            row["id"],
            new_pages,
            new_objects,
            all_pages,
            all_objects,
        )


def grant_from_row(row: asyncpg.Record | dict[str, Any]) -> RoleGrant:
    known_pages = {p.key for p in catalog.pages()}
    return RoleGrant(
        role_id=row["id"],
        name=row["name"],
        preset=row["preset"],
        pages=frozenset(p for p in row["pages"] if p in known_pages),
        objects={k: v for k, v in row["objects"].items() if v in ("full", "read")},
        org_access=row["org_access"],
        org_ids=frozenset(row["org_ids"]),
        report_access=row["report_access"],
        report_keys=frozenset(row["report_keys"]),
        field_rules={
            k: FieldRule(bool(v.get("visible", True)), bool(v.get("masked", False)))
            for k, v in row["field_rules"].items()
        },
    )


def validate_role(data: dict[str, Any]) -> dict[str, Any]:
    """Normalise role input; unknown pages, objects or levels are named in the error."""
    errors: dict[str, str] = {}
    name = str(data.get("name", "")).strip()
    if not name:
        errors["name"] = "required"
    elif len(name) > 100:
        errors["name"] = "at most 100 characters"
    pages = list(data.get("pages") or [])
    known_pages = {p.key for p in catalog.pages()}
    bad = [p for p in pages if p not in known_pages]
    if bad:
        errors["pages"] = "unknown pages: " + ", ".join(map(str, bad))
    objects = dict(data.get("objects") or {})
    known_objects = {o.key for o in catalog.objects()}
    bad = [k for k, v in objects.items() if k not in known_objects or v not in ("full", "read", "none")]
    if bad:
        errors["objects"] = "unknown objects or levels: " + ", ".join(map(str, bad))
    org_access = data.get("org_access", "own")
    if org_access not in ("all", "own", "list"):
        errors["org_access"] = "one of all, own, list"
    report_access = data.get("report_access", "list")
    if report_access not in ("all", "list"):
        errors["report_access"] = "one of all, list"
    report_keys = list(data.get("report_keys") or [])
    known_reports = {r.key for r in catalog.reports()}
    bad = [r for r in report_keys if r not in known_reports]
    if bad:
        errors["report_keys"] = "unknown reports: " + ", ".join(map(str, bad))
    field_rules = dict(data.get("field_rules") or {})
    rules: dict[str, dict[str, bool]] = {}
    for fname, rule in field_rules.items():
        if not isinstance(rule, dict):
            errors["field_rules"] = f"{fname}: expected an object with visible and masked"
            continue
        rules[str(fname)] = {
            "visible": bool(rule.get("visible", True)),
            "masked": bool(rule.get("masked", False)),
        }
    try:
        org_ids = sorted({int(x) for x in data.get("org_ids") or []})
    except (TypeError, ValueError):
        errors["org_ids"] = "a list of organization ids"
        org_ids = []
    if errors:
        raise InvalidInput(errors)
    return {
        "name": name,
        "description": str(data.get("description", "")).strip(),
        "pages": sorted(set(pages)),
        "objects": {k: v for k, v in objects.items() if v != "none"},
        "org_access": org_access,
        "org_ids": org_ids,
        "report_access": report_access,
        "report_keys": sorted(set(report_keys)),
        "field_rules": rules,
    }


async def get_role(conn: asyncpg.Connection, role_id: int) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM roles WHERE id = $1", role_id)
    if row is None:
        raise NotFound(f"role {role_id}")
    return dict(row)


_ROLE_COLUMNS = (
    "name",
    "description",
    "pages",
    "objects",
    "org_access",
    "org_ids",
    "report_access",
    "report_keys",
    "field_rules",
    "known_pages",
    "known_objects",
)


async def save_role(conn: asyncpg.Connection, data: dict[str, Any], role_id: int | None = None) -> int:
    clean = validate_role(data)
    clean["known_pages"] = [p.key for p in catalog.pages()]
    clean["known_objects"] = [o.key for o in catalog.objects()]
    values = [clean[c] for c in _ROLE_COLUMNS]
    try:
        if role_id is None:
            placeholders = ", ".join(f"${i}" for i in range(1, len(values) + 1))
            new_id: int = await conn.fetchval(
                f"INSERT INTO roles ({', '.join(_ROLE_COLUMNS)}) VALUES ({placeholders}) RETURNING id",
                *values,
            )
            return new_id
        existing = await get_role(conn, role_id)
        if existing["preset"] == "administrator":
            raise InvalidInput({"__all__": "the Administrator preset cannot be changed"})
        assignments = ", ".join(f"{c}=${i}" for i, c in enumerate(_ROLE_COLUMNS, start=2))
        await conn.execute(f"UPDATE roles SET {assignments} WHERE id=$1", role_id, *values)
        return role_id
    except asyncpg.UniqueViolationError:
        raise InvalidInput({"name": "a role with this name exists"}) from None


async def delete_role(conn: asyncpg.Connection, role_id: int) -> None:
    role = await get_role(conn, role_id)
    if role["preset"]:
        raise Conflict("a preset role cannot be deleted")
    users = await conn.fetch("SELECT login FROM users WHERE role_id = $1 ORDER BY login LIMIT 5", role_id)
    if users:
        names = ", ".join(r["login"] for r in users)
        raise Conflict(f"the role is assigned to users: {names}")
    await conn.execute("DELETE FROM roles WHERE id = $1", role_id)
