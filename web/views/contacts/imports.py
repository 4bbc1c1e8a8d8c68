"""Contacts → Import: upload, map columns, run as a job, watch progress, read row results."""

from __future__ import annotations

import asyncio
import secrets
import shutil
from pathlib import Path
from typing import Any

from aiohttp import web

from dialer.contacts import jobs
from dialer.contacts.fields import list_fields
from dialer.contacts.importer import auto_mapping
from dialer.contacts.readers import FileProblem, preview
from dialer.errors import InvalidInput, NotFound
from web.context import ctx
from web.forms import flash, form_data, int_param, render
from web.i18n import translate
from web.middleware import language
from web.table import Column, TableParams, TableSpec, fetch_page
from web.views.contacts.common import principal, region, scoped_dnc, scoped_list

JOB_TABLE = TableSpec(
    name="import_jobs",
    columns=(
        Column("id", "ID", "j.id"),
        Column("target", "Target", "coalesce(l.name, d.name)", searchable=True),
        Column("source_name", "File", "j.source_name", searchable=True),
        Column("status", "Status", "j.status"),
        Column("rows_done", "Rows done", "j.rows_done"),
        Column("rows_ok", "Loaded", "j.rows_ok"),
        Column("rows_failed", "Errors", "j.rows_failed"),
        Column("created_at", "Created", "j.created_at"),
    ),
    from_sql="FROM import_jobs j LEFT JOIN contact_lists l ON l.id = j.list_id "
    "LEFT JOIN dnc_lists d ON d.id = j.dnc_list_id",
    default_sort="id",
    default_desc=True,
    select_extra=("j.id AS jid",),
)


def upload_dir(request: web.Request) -> Path:
    folder = Path(ctx(request).settings.data_dir) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def save_upload(request: web.Request, field: Any) -> Path:
    """Copy an uploaded file (aiohttp spooled it to a temporary file) under the data dir."""
    name = Path(str(getattr(field, "filename", "") or "upload")).name
    target = upload_dir(request) / f"{secrets.token_hex(8)}-{name}"

    def copy() -> None:
        with target.open("wb") as out:
            shutil.copyfileobj(field.file, out, 1 << 20)

    await asyncio.to_thread(copy)
    return target


async def job_index(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(
            conn, JOB_TABLE, TableParams.parse(JOB_TABLE, request.query), ["j.target IN ('contacts', 'dnc')"]
        )
    return render(
        request,
        "contacts/index.html",
        {
            "title": "Import jobs",
            "page": page,
            "obj": "contacts",
            "add_url": None,
            "row_url": "/contacts/imports/{jid}",
            "delete_url": None,
            "links": [],
        },
    )


def _upload_form(
    request: web.Request, action: str, back: str, errors: dict[str, str], extra: list[Any], status: int = 200
) -> web.Response:
    return render(
        request,
        "contacts/form.html",
        {
            "title": "Import",
            "heading": "",
            "form": [{"name": "file", "label": "File (CSV, XLS, XLSX)", "kind": "file"}, *extra],
            "values": {},
            "errors": errors,
            "obj": "contacts",
            "back": back,
            "multipart": True,
            "submit": "Upload",
            "action": action,
        },
        status=status,
    )


async def upload_page(request: web.Request) -> web.StreamResponse:
    lid = int_param(request)
    async with ctx(request).pool.acquire() as conn:
        await scoped_list(conn, request, lid)
    return _upload_form(request, f"/contacts/lists/{lid}/import", f"/contacts/lists/{lid}", {}, [])


async def upload_submit(request: web.Request) -> web.StreamResponse:
    lid = int_param(request)
    form = await request.post()
    field = form.get("file")
    if not isinstance(field, web.FileField) or not field.filename:
        return _upload_form(
            request,
            f"/contacts/lists/{lid}/import",
            f"/contacts/lists/{lid}",
            {"file": "choose a file"},
            [],
            422,
        )
    async with ctx(request).pool.acquire() as conn:
        await scoped_list(conn, request, lid)
        path = await save_upload(request, field)
        job_id = await jobs.create_job(
            conn,
            target="contacts",
            file_path=path,
            source_name=field.filename,
            list_id=lid,
            user_id=principal(request).user_id,
        )
    raise web.HTTPFound(f"/contacts/imports/{job_id}")


async def _scoped_job(conn: Any, request: web.Request, job_id: int) -> dict[str, Any]:
    job = await jobs.get_job(conn, job_id)
    if job["list_id"] is not None:
        await scoped_list(conn, request, job["list_id"])
    elif job["dnc_list_id"] is not None:
        await scoped_dnc(conn, request, job["dnc_list_id"])
    else:
        raise NotFound(f"import job {job_id}")
    return job


async def job_page(request: web.Request) -> web.StreamResponse:
    job_id = int_param(request)
    ctx_data: dict[str, Any] = {"errors": {}}
    async with ctx(request).pool.acquire() as conn:
        job = await _scoped_job(conn, request, job_id)
        if job["status"] == "draft" and job["target"] == "contacts":
            fields = await list_fields(conn, job["list_id"])
            templates = [
                dict(r)
                for r in await conn.fetch("SELECT id, name, mapping FROM import_templates ORDER BY name")
            ]
            try:
                header, sample, notes = await asyncio.to_thread(preview, Path(job["file_path"]))
            except FileProblem as exc:
                await conn.execute(
                    "UPDATE import_jobs SET status='failed', message=$2 WHERE id=$1", job_id, str(exc)
                )
                job = await jobs.get_job(conn, job_id)
                header, sample, notes = (), [], ()
            chosen = request.query.get("template")
            mapping = auto_mapping(header, fields)
            for t in templates:
                if str(t["id"]) == chosen:
                    mapping = {k: v for k, v in t["mapping"].items() if k in header}
            ctx_data |= {
                "fields": fields,
                "templates": templates,
                "header": header,
                "sample": sample,
                "notes": notes,
                "mapping": mapping,
            }
        rows = await jobs.job_rows(conn, job_id, 200)
    return render(request, "contacts/job.html", {"job": job, "rows": rows, **ctx_data})


async def job_start(request: web.Request) -> web.StreamResponse:
    job_id = int_param(request)
    data = await form_data(request)
    pool = ctx(request).pool
    async with pool.acquire() as conn:
        job = await _scoped_job(conn, request, job_id)
        header = [k[4:] for k in data if k.startswith("map:")]
        mapping = {h: data[f"map:{h}"] for h in header if data.get(f"map:{h}")}
        if not mapping:
            flash(request, "error", translate(language(request), "Map at least one column to a field"))
            raise web.HTTPFound(f"/contacts/imports/{job_id}")
        name = str(data.get("template_name") or "").strip()
        if name:
            await conn.execute(
                "INSERT INTO import_templates (name, mapping) VALUES ($1, $2::jsonb) "
                "ON CONFLICT (name) DO UPDATE SET mapping = EXCLUDED.mapping",
                name,
                mapping,
            )
        options = {
            "mapping": mapping,
            "dedupe": data.get("dedupe") == "on",
            "clear_before": data.get("clear_before") == "on",
            "region": region(request),
        }
        await jobs.queue_job(conn, job["id"], options)
    jobs.start(pool, job_id)
    raise web.HTTPFound(f"/contacts/imports/{job_id}")


async def job_resume(request: web.Request) -> web.StreamResponse:
    job_id = int_param(request)
    pool = ctx(request).pool
    async with pool.acquire() as conn:
        job = await _scoped_job(conn, request, job_id)
        if job["status"] != "failed":
            raise InvalidInput({"__all__": "only a failed job can be resumed"})
        await conn.execute("UPDATE import_jobs SET status='queued', message='' WHERE id=$1", job_id)
    jobs.start(pool, job_id)
    raise web.HTTPFound(f"/contacts/imports/{job_id}")


async def job_rows_csv(request: web.Request) -> web.StreamResponse:
    """All row results of a job as CSV (row;status;message), streamed."""
    import csv
    import io

    job_id = int_param(request)
    resp = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="import-{job_id}-rows.csv"',
        }
    )
    async with ctx(request).pool.acquire() as conn:
        await _scoped_job(conn, request, job_id)
        await resp.prepare(request)
        await resp.write("\ufeffrow;status;message\r\n".encode())
        async with conn.transaction():
            cursor = await conn.cursor(
                "SELECT row_no, status, message FROM import_job_rows WHERE job_id=$1 ORDER BY row_no", job_id
            )
            while chunk := await cursor.fetch(5000):
                buf = io.StringIO()
                csv.writer(buf, delimiter=";").writerows([tuple(r) for r in chunk])
                await resp.write(buf.getvalue().encode())
    await resp.write_eof()
    return resp
