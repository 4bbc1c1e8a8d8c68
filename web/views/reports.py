"""Reports → User actions (R1.6): the audit trail with filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from web.context import ctx
from web.forms import render
from web.table import Column, TableParams, TableSpec, fetch_page

AUDIT_TABLE = TableSpec(
    name="audit",
    columns=(
        Column("at", "Time", "a.at"),
        Column("login", "User", "a.login", searchable=True),
        Column("action", "Action", "a.action", searchable=True),
        Column("method", "Method", "a.method"),
        Column("path", "Path", "a.path", searchable=True),
        Column("status", "Response code", "a.status"),
        Column("ip", "Address", "a.ip", searchable=True),
        Column("input", "Input", "a.input::text", sortable=False, searchable=True),
    ),
    from_sql="FROM audit_log a",
    default_sort="at",
    default_desc=True,
    select_extra=("a.id AS id",),
    tiebreak="a.id",
)


def parse_time(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name}: expected a date and time like 2026-11-25T10:00") from None
    if value.tzinfo is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return value


def audit_filters(query: Any) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    start, end = parse_time(query.get("from"), "from"), parse_time(query.get("to"), "to")
    if start:
        args.append(start)
        where.append(f"a.at >= ${len(args)}")
    if end:
        args.append(end)
        where.append(f"a.at < ${len(args)}")
    if query.get("user"):
        args.append(query["user"])
        where.append(f"lower(a.login) = lower(${len(args)})")
    if query.get("action"):
        args.append(query["action"] + "%")
        where.append(f"a.action LIKE ${len(args)}")
    return where, args


async def user_actions(request: web.Request) -> web.StreamResponse:
    where, args = audit_filters(request.query)
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(conn, AUDIT_TABLE, TableParams.parse(AUDIT_TABLE, request.query), where, args)
    return render(request, "reports/user_actions.html", {"page": page, "filters": dict(request.query)})
