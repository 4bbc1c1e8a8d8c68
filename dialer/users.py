"""User accounts: validation, storage and the principal the access checks work on."""

from __future__ import annotations

import re
from typing import Any

import asyncpg

from dialer.access.policy import Principal
from dialer.access.roles import grant_from_row
from dialer.errors import Conflict, InvalidInput, NotFound
from dialer.passwords import hash_password, password_problem

_LOGIN = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

USER_COLUMNS = (
    "u.id, u.login, u.source, u.full_name, u.email, u.organization_id, u.position, u.role_id, u.language, "
    "u.active, u.must_change_password, u.created_at, u.last_login_at, o.name AS organization, r.name AS role"
)


def validate_user(data: dict[str, Any], creating: bool) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    if creating:
        login = str(data.get("login", "")).strip()
        if not _LOGIN.match(login):
            errors["login"] = "2-64 characters: letters, digits, . _ @ -"
        out["login"] = login
        source = data.get("source", "local")
        if source not in ("local", "ldap"):
            errors["source"] = "local or ldap"
        out["source"] = source
    for key, limit in (("full_name", 200), ("position", 200)):
        value = str(data.get(key, "") or "").strip()
        if len(value) > limit:
            errors[key] = f"at most {limit} characters"
        out[key] = value
    email = str(data.get("email", "") or "").strip()
    if email and not _EMAIL.match(email):
        errors["email"] = "not an e-mail address"
    out["email"] = email
    for key in ("organization_id", "role_id"):
        raw = data.get(key)
        if raw in (None, ""):
            if key == "role_id":
                errors[key] = "required"
            out[key] = None
            continue
        try:
            out[key] = int(raw)
        except (TypeError, ValueError):
            errors[key] = "must be a number"
    language = data.get("language") or None
    if language not in (None, "ru", "en"):
        errors["language"] = "ru or en"
    out["language"] = language
    out["active"] = bool(data.get("active", True))
    password = data.get("password")
    if password:
        problem = password_problem(str(password))
        if problem:
            errors["password"] = problem
        out["password"] = str(password)
    elif creating and out.get("source", "local") == "local":
        errors["password"] = "required for a local account"
    if errors:
        raise InvalidInput(errors)
    return out


async def _check_refs(conn: asyncpg.Connection, data: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if data.get("role_id") is not None and not await conn.fetchval(
        "SELECT 1 FROM roles WHERE id=$1", data["role_id"]
    ):
        errors["role_id"] = "no such role"
    org = data.get("organization_id")
    if org is not None and not await conn.fetchval("SELECT 1 FROM organizations WHERE id=$1", org):
        errors["organization_id"] = "no such organization"
    if errors:
        raise InvalidInput(errors)


async def create_user(conn: asyncpg.Connection, data: dict[str, Any], ldap_dn: str | None = None) -> int:
    clean = validate_user(data, creating=True)
    await _check_refs(conn, clean)
    pw_hash = (
        hash_password(clean["password"]) if clean.get("password") and clean["source"] == "local" else None
    )
    try:
        user_id: int = await conn.fetchval(
            """INSERT INTO users (login, source, password_hash, full_name, email, organization_id, position,
                                  role_id, language, active, ldap_dn, password_changed_at)
               VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11, CASE WHEN $3::text IS NULL THEN NULL ELSE now() END)
               RETURNING id""",
            clean["login"],
            clean["source"],
            pw_hash,
            clean["full_name"],
            clean["email"],
            clean["organization_id"],
            clean["position"],
            clean["role_id"],
            clean["language"],
            clean["active"],
            ldap_dn,
        )
    except asyncpg.UniqueViolationError:
        raise InvalidInput({"login": "this login is taken"}) from None
    return user_id


async def update_user(conn: asyncpg.Connection, user_id: int, data: dict[str, Any]) -> None:
    current = await conn.fetchrow("SELECT id, source FROM users WHERE id=$1", user_id)
    if current is None:
        raise NotFound(f"user {user_id}")
    clean = validate_user(data, creating=False)
    await _check_refs(conn, clean)
    await conn.execute(
        """UPDATE users SET full_name=$2, email=$3, organization_id=$4, position=$5, role_id=$6, language=$7,
                  active=$8, updated_at=now() WHERE id=$1""",
        user_id,
        clean["full_name"],
        clean["email"],
        clean["organization_id"],
        clean["position"],
        clean["role_id"],
        clean["language"],
        clean["active"],
    )
    if clean.get("password") and current["source"] == "local":
        await set_password(conn, user_id, clean["password"])


async def set_password(conn: asyncpg.Connection, user_id: int, password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise InvalidInput({"new_password": problem})
    await conn.execute(
        """UPDATE users SET password_hash=$2, must_change_password=false, temp_password_hash=NULL,
                  temp_password_expires=NULL, password_changed_at=now(), updated_at=now() WHERE id=$1""",
        user_id,
        hash_password(password),
    )


async def delete_user(conn: asyncpg.Connection, user_id: int, acting_user_id: int) -> None:
    if user_id == acting_user_id:
        raise Conflict("you cannot delete your own account")
    row = await conn.fetchrow(
        "SELECT u.id, r.preset FROM users u JOIN roles r ON r.id = u.role_id WHERE u.id=$1", user_id
    )
    if row is None:
        raise NotFound(f"user {user_id}")
    if row["preset"] == "administrator":
        admins = await conn.fetchval(
            "SELECT count(*) FROM users u JOIN roles r ON r.id=u.role_id WHERE r.preset='administrator' AND u.active"
        )
        if admins <= 1:
            raise Conflict("the last administrator cannot be deleted")
    await conn.execute("DELETE FROM users WHERE id=$1", user_id)


async def get_user(conn: asyncpg.Connection, user_id: int) -> dict[str, Any]:
    row = await conn.fetchrow(
        f"SELECT {USER_COLUMNS} FROM users u JOIN roles r ON r.id=u.role_id "
        "LEFT JOIN organizations o ON o.id=u.organization_id WHERE u.id=$1",
        user_id,
    )
    if row is None:
        raise NotFound(f"user {user_id}")
    return dict(row)


async def load_principal(conn: asyncpg.Connection, user_id: int) -> Principal | None:
    row = await conn.fetchrow(
        """SELECT u.id AS uid, u.login, u.full_name, u.organization_id, u.language, u.active,
                  u.must_change_password, r.*
           FROM users u JOIN roles r ON r.id = u.role_id WHERE u.id = $1""",
        user_id,
    )
    if row is None or not row["active"]:
        return None
    return Principal(
        user_id=row["uid"],
        login=row["login"],
        full_name=row["full_name"],
        organization_id=row["organization_id"],
        language=row["language"],
        must_change_password=row["must_change_password"],
        grant=grant_from_row(row),
    )
