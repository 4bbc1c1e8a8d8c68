"""Settings → Users pages, including adding users from the domain directory."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dialer import organizations
from dialer.access.policy import org_condition, require_org
from dialer.directory import DirectoryUnavailable
from dialer.errors import Conflict, InvalidInput, NotFound
from dialer.users import create_user, delete_user, get_user, update_user
from web import sessions
from web.context import ctx
from web.forms import flash, form_data, int_param, render
from web.i18n import translate
from web.middleware import language
from web.table import Column, TableParams, TableSpec, fetch_page

USER_TABLE = TableSpec(
    name="users",
    columns=(
        Column("login", "Login", "u.login", searchable=True),
        Column("full_name", "Name", "u.full_name", searchable=True),
        Column("email", "E-mail", "u.email", searchable=True),
        Column("organization", "Organization", "o.name", searchable=True),
        Column("role", "Role", "r.name", searchable=True),
        Column("source", "Account", "u.source"),
        Column("active", "Active", "u.active"),
        Column("last_login_at", "Last sign-in", "u.last_login_at"),
    ),
    from_sql="FROM users u JOIN roles r ON r.id = u.role_id LEFT JOIN organizations o ON o.id = u.organization_id",
    default_sort="login",
    select_extra=("u.id AS id",),
    tiebreak="u.id",
)


async def _choices(request: web.Request) -> dict[str, Any]:
    async with ctx(request).pool.acquire() as conn:
        roles = [(r["id"], r["name"]) for r in await conn.fetch("SELECT id, name FROM roles ORDER BY name")]
        orgs = [(o["id"], o["name"]) for o in await organizations.org_choices(conn)]
    principal = request[sessions.PRINCIPAL]
    orgs = [(i, n) for i, n in orgs if principal.sees_org(i)]
    return {"roles": roles, "orgs": orgs}


async def _visible_user(request: web.Request, user_id: int) -> dict[str, Any]:
    async with ctx(request).pool.acquire() as conn:
        user = await get_user(conn, user_id)
    if not request[sessions.PRINCIPAL].sees_org(user["organization_id"]):
        raise NotFound(f"user {user_id}")
    return user


def _check_org_allowed(request: web.Request, data: dict[str, Any]) -> None:
    require_org(request[sessions.PRINCIPAL], data.get("organization_id"))


async def user_list(request: web.Request) -> web.StreamResponse:
    args: list[Any] = []
    where = [org_condition(request[sessions.PRINCIPAL], "u.organization_id", args)]
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(conn, USER_TABLE, TableParams.parse(USER_TABLE, request.query), where, args)
    return render(request, "settings/user_list.html", {"page": page, "ldap": ctx(request).directory.enabled})


async def user_form(request: web.Request) -> web.StreamResponse:
    values: dict[str, Any] = {"active": True}
    if "id" in request.match_info:
        values = await _visible_user(request, int_param(request))
    return render(
        request, "settings/user_form.html", {"values": values, "errors": {}, **(await _choices(request))}
    )


async def user_save(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    data["active"] = data.get("active") == "on"
    user_id = int_param(request) if "id" in request.match_info else None
    try:
        _check_org_allowed(request, data)
        async with ctx(request).pool.acquire() as conn:
            if user_id is None:
                await create_user(conn, data)
            else:
                await _visible_user(request, user_id)
                await update_user(conn, user_id, data)
    except InvalidInput as exc:
        stored = await _visible_user(request, user_id) if user_id is not None else {}
        context = {"values": {**stored, **data, "id": user_id}, "errors": exc.fields, **(await _choices(request))}
        return render(request, "settings/user_form.html", context, status=422)
    flash(request, "success", translate(language(request), "Saved"))
    raise web.HTTPFound("/settings/users")


async def user_delete(request: web.Request) -> web.StreamResponse:
    user_id = int_param(request)
    await _visible_user(request, user_id)
    try:
        async with ctx(request).pool.acquire() as conn:
            await delete_user(conn, user_id, request[sessions.PRINCIPAL].user_id)
        flash(request, "success", translate(language(request), "Deleted"))
    except Conflict as exc:
        flash(request, "error", translate(language(request), "Not deleted") + f": {exc}")
    raise web.HTTPFound("/settings/users")


async def ldap_browse(request: web.Request) -> web.StreamResponse:
    c = ctx(request)
    query = request.query.get("q", "").strip()[:100]
    found: list[Any] = []
    error = None
    if not c.directory.enabled:
        error = "The domain directory (LDAP) is not configured"
    else:
        try:
            found = await c.directory.browse(query)
        except DirectoryUnavailable:
            error = "The domain directory (LDAP) is not available. Local accounts can still sign in."
    async with c.pool.acquire() as conn:
        existing = {r["l"] for r in await conn.fetch("SELECT lower(login) AS l FROM users")}
    return render(
        request,
        "settings/user_ldap.html",
        {"found": found, "q": query, "error": error, "existing": existing, **(await _choices(request))},
    )


async def ldap_add(request: web.Request) -> web.StreamResponse:
    c = ctx(request)
    data = await form_data(request)
    logins = data.get("logins") or []
    lang = language(request)
    try:
        _check_org_allowed(request, data)
        added = []
        for login in logins:
            entry = await c.directory.find(login)
            if entry is None:
                raise InvalidInput({"logins": f"{login}: not found in the directory"})
            async with c.pool.acquire() as conn:
                await create_user(
                    conn,
                    {
                        "login": entry.login,
                        "source": "ldap",
                        "full_name": entry.full_name,
                        "email": entry.email,
                        "position": entry.position,
                        "role_id": data.get("role_id"),
                        "organization_id": data.get("organization_id"),
                    },
                    ldap_dn=entry.dn,
                )
            added.append(entry.login)
    except DirectoryUnavailable:
        flash(
            request,
            "error",
            translate(
                lang, "The domain directory (LDAP) is not available. Local accounts can still sign in."
            ),
        )
        raise web.HTTPFound("/settings/users/ldap") from None
    except InvalidInput as exc:
        flash(request, "error", "; ".join(f"{k}: {translate(lang, v)}" for k, v in exc.fields.items()))
        raise web.HTTPFound("/settings/users/ldap") from None
    flash(request, "success", translate(lang, "Added from the directory: {n}", n=len(added)))
    raise web.HTTPFound("/settings/users")
