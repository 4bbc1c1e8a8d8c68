"""REST handlers of the platform: me, tokens, users, roles, organizations, audit, mail, status."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dialer import mailsettings, organizations
from dialer.access import catalog
from dialer.access.policy import org_condition, require_org
from dialer.access.roles import delete_role, get_role, save_role
from dialer.errors import InvalidInput, NotFound
from dialer.passwords import verify_password
from dialer.tokens import create_token, list_tokens, revoke_token
from dialer.users import create_user, delete_user, get_user, set_password, update_user
from web import sessions
from web.api.common import body, int_query, ok
from web.api.schemas import MailSettingsIn, OrgIn, PasswordChangeIn, RoleIn, TokenIn, UserIn, UserUpdate
from web.context import ctx
from web.forms import int_param
from web.table import TableParams, fetch_page
from web.views.reports import AUDIT_TABLE, audit_filters
from web.views.users import USER_TABLE


def _principal(request: web.Request) -> Any:
    return request[sessions.PRINCIPAL]


async def me(request: web.Request) -> web.StreamResponse:
    p = _principal(request)
    return ok(
        {
            "id": p.user_id,
            "login": p.login,
            "full_name": p.full_name,
            "organization_id": p.organization_id,
            "language": p.language,
            "role": p.grant.name,
            "pages": sorted(p.grant.pages),
            "objects": dict(p.grant.objects),
            "must_change_password": p.must_change_password,
        }
    )


async def me_password(request: web.Request) -> web.StreamResponse:
    data = await body(request, PasswordChangeIn)
    p = _principal(request)
    async with ctx(request).pool.acquire() as conn:
        row = await conn.fetchrow("SELECT source, password_hash FROM users WHERE id=$1", p.user_id)
        if row["source"] != "local":
            raise InvalidInput({"__all__": "a domain account's password is changed in the domain"})
        if not verify_password(row["password_hash"], data.old_password):
            raise InvalidInput({"old_password": "wrong password"})
        await set_password(conn, p.user_id, data.new_password)
    return ok({"changed": True})


async def tokens_list(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        return ok({"items": await list_tokens(conn, _principal(request).user_id)})


async def tokens_create(request: web.Request) -> web.StreamResponse:
    data = await body(request, TokenIn)
    async with ctx(request).pool.acquire() as conn:
        token_id, token = await create_token(conn, _principal(request).user_id, data.name)
    return ok({"id": token_id, "token": token, "note": "shown once; store it now"}, status=201)


async def tokens_revoke(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        await revoke_token(conn, _principal(request).user_id, int_param(request), ctx(request).clock())
    return ok({"revoked": True})


def _table_query(request: web.Request, spec: Any) -> TableParams:
    params = TableParams.parse(spec, request.query)
    per = int_query(request, "per", 25, 1, 500)
    return TableParams(params.sort, params.desc, params.q, params.page, per, params.extra)


async def users_list(request: web.Request) -> web.StreamResponse:
    args: list[Any] = []
    where = [org_condition(_principal(request), "u.organization_id", args)]
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(conn, USER_TABLE, _table_query(request, USER_TABLE), where, args)
    return ok({"items": page.rows, "total": page.total, "page": page.params.page, "pages": page.pages})


async def _visible_user(request: web.Request, user_id: int) -> dict[str, Any]:
    async with ctx(request).pool.acquire() as conn:
        user = await get_user(conn, user_id)
    if not _principal(request).sees_org(user["organization_id"]):
        raise NotFound(f"user {user_id}")
    return user


def _org_allowed(request: web.Request, org_id: int | None) -> None:
    require_org(_principal(request), org_id)


async def users_get(request: web.Request) -> web.StreamResponse:
    return ok(await _visible_user(request, int_param(request)))


async def users_create(request: web.Request) -> web.StreamResponse:
    data = await body(request, UserIn)
    _org_allowed(request, data.organization_id)
    async with ctx(request).pool.acquire() as conn:
        user_id = await create_user(conn, data.model_dump())
        return ok(await get_user(conn, user_id), status=201)


async def users_update(request: web.Request) -> web.StreamResponse:
    user_id = int_param(request)
    await _visible_user(request, user_id)
    data = await body(request, UserUpdate)
    _org_allowed(request, data.organization_id)
    async with ctx(request).pool.acquire() as conn:
        await update_user(conn, user_id, data.model_dump())
        return ok(await get_user(conn, user_id))


async def users_delete(request: web.Request) -> web.StreamResponse:
    user_id = int_param(request)
    await _visible_user(request, user_id)
    async with ctx(request).pool.acquire() as conn:
        await delete_user(conn, user_id, _principal(request).user_id)
    return ok({"deleted": True})


async def roles_list(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM roles ORDER BY name")
    items = [{k: v for k, v in dict(r).items() if k not in ("known_pages", "known_objects")} for r in rows]
    return ok({"items": items})


async def roles_catalog(request: web.Request) -> web.StreamResponse:
    return ok(
        {
            "sections": [{"key": k, "title": t} for k, t in catalog.SECTIONS],
            "pages": [{"key": p.key, "section": p.section, "title": p.title} for p in catalog.pages()],
            "objects": [{"key": o.key, "title": o.title} for o in catalog.objects()],
            "reports": [{"key": r.key, "title": r.title} for r in catalog.reports()],
        }
    )


async def roles_get(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        role = await get_role(conn, int_param(request))
    return ok({k: v for k, v in role.items() if k not in ("known_pages", "known_objects")})


async def roles_create(request: web.Request) -> web.StreamResponse:
    data = await body(request, RoleIn)
    async with ctx(request).pool.acquire() as conn:
        role_id = await save_role(conn, data.model_dump())
        role = await get_role(conn, role_id)
    return ok({k: v for k, v in role.items() if k not in ("known_pages", "known_objects")}, status=201)


async def roles_update(request: web.Request) -> web.StreamResponse:
    data = await body(request, RoleIn)
    role_id = int_param(request)
    async with ctx(request).pool.acquire() as conn:
        await save_role(conn, data.model_dump(), role_id)
        role = await get_role(conn, role_id)
    return ok({k: v for k, v in role.items() if k not in ("known_pages", "known_objects")})


async def roles_delete(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        await delete_role(conn, int_param(request))
    return ok({"deleted": True})


async def orgs_list(request: web.Request) -> web.StreamResponse:
    args: list[Any] = []
    cond = org_condition(_principal(request), "o.id", args)
    async with ctx(request).pool.acquire() as conn:
        rows = await conn.fetch(f"SELECT * FROM organizations o WHERE {cond} ORDER BY name", *args)
    return ok({"items": [dict(r) for r in rows]})


async def orgs_get(request: web.Request) -> web.StreamResponse:
    org_id = int_param(request)
    if not _principal(request).sees_org(org_id):
        raise NotFound(f"organization {org_id}")
    async with ctx(request).pool.acquire() as conn:
        return ok(await organizations.get_org(conn, org_id))


async def orgs_create(request: web.Request) -> web.StreamResponse:
    data = await body(request, OrgIn)
    async with ctx(request).pool.acquire() as conn:
        org_id = await organizations.save_org(conn, data.model_dump())
        return ok(await organizations.get_org(conn, org_id), status=201)


async def orgs_update(request: web.Request) -> web.StreamResponse:
    data = await body(request, OrgIn)
    org_id = int_param(request)
    async with ctx(request).pool.acquire() as conn:
        await organizations.save_org(conn, data.model_dump(), org_id)
        return ok(await organizations.get_org(conn, org_id))


async def orgs_delete(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        await organizations.delete_org(conn, int_param(request))
    return ok({"deleted": True})


async def audit_list(request: web.Request) -> web.StreamResponse:
    where, args = audit_filters(request.query)
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(conn, AUDIT_TABLE, _table_query(request, AUDIT_TABLE), where, args)
    return ok({"items": page.rows, "total": page.total, "page": page.params.page, "pages": page.pages})


async def mail_get(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        return ok(await mailsettings.load(conn))


async def mail_put(request: web.Request) -> web.StreamResponse:
    data = await body(request, MailSettingsIn)
    c = ctx(request)
    async with c.pool.acquire() as conn:
        await mailsettings.save(conn, c.box, data.model_dump())
        return ok(await mailsettings.load(conn))
