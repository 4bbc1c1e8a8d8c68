"""Export of a list's contacts to CSV or XLSX (portal and API share this handler)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from aiohttp import web

from dialer.contacts.export import XlsxWriter, csv_chunk, export_rows
from dialer.contacts.fields import list_fields
from dialer.errors import InvalidInput
from web.context import ctx
from web.forms import int_param
from web.views.contacts.common import policy, principal, scoped_list


async def export_list(request: web.Request) -> web.StreamResponse:
    lid = int_param(request)
    fmt = request.query.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput({"format": "csv or xlsx"})
    rules = principal(request).grant.field_rules
    pool = ctx(request).pool
    async with pool.acquire() as conn:
        info = await scoped_list(conn, request, lid)
        bound = await list_fields(conn, lid)
        columns = [f.name for f in bound if rules.get(f.name) is None or rules[f.name].visible]
        header = ["id", *columns]
        name = f"list-{lid}.{fmt}"
        show = policy(request)
        if fmt == "csv":
            resp = web.StreamResponse(
                headers={
                    "Content-Type": "text/csv; charset=utf-8",
                    "Content-Disposition": f'attachment; filename="{name}"',
                }
            )
            await resp.prepare(request)
            await resp.write("\ufeff".encode() + csv_chunk([header]))
            async for chunk in export_rows(conn, info["id"], columns, show):
                await resp.write(csv_chunk(chunk))
            await resp.write_eof()
            return resp
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            book = XlsxWriter(path, header)
            async for chunk in export_rows(conn, info["id"], columns, show):
                await asyncio.to_thread(book.add, chunk)
            await asyncio.to_thread(book.close)
            resp = web.StreamResponse(
                headers={
                    "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "Content-Disposition": f'attachment; filename="{name}"',
                }
            )
            await resp.prepare(request)
            with path.open("rb") as fh:
                while block := await asyncio.to_thread(fh.read, 1 << 20):
                    await resp.write(block)
            await resp.write_eof()
            return resp
