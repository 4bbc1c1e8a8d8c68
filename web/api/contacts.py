"""REST handlers of contacts: fields, lists, contacts, import jobs, DNC, filters (R3)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from dialer.access.policy import org_condition, require_org
from dialer.contacts import dnc, fields, jobs, lists, records
from dialer.contacts.fields import list_fields
from dialer.contacts.importer import auto_mapping
from dialer.contacts.readers import save_jsonl
from dialer.errors import InvalidInput, NotFound
from web.api.common import body, int_query, ok
from web.api.schemas_contacts import (
    ContactIn,
    ContactsDeleteIn,
    CopyFieldsIn,
    DncCheckIn,
    DncEntriesDeleteIn,
    DncEntryIn,
    DncListIn,
    FieldIn,
    ImportBatchIn,
    ListIn,
)
from web.context import ctx
from web.forms import int_param
from web.table import TableParams, fetch_page
from web.views.contacts.common import policy, principal, region, scoped_dnc, scoped_list
from web.views.contacts.imports import save_upload, upload_dir
from web.views.contacts.lists import LIST_TABLE


async def fields_list(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        return ok(await fields.all_fields(conn))


async def fields_create(request: web.Request) -> web.StreamResponse:
    data = await body(request, FieldIn)
    async with ctx(request).pool.acquire() as conn:
        fid = await fields.save_field(conn, data.model_dump())
        return ok(await fields.get_field(conn, fid), 201)


async def fields_get(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        return ok(await fields.get_field(conn, int_param(request)))


async def fields_update(request: web.Request) -> web.StreamResponse:
    data = await body(request, FieldIn)
    async with ctx(request).pool.acquire() as conn:
        fid = await fields.save_field(conn, data.model_dump(), int_param(request))
        return ok(await fields.get_field(conn, fid))


async def fields_delete(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        await fields.delete_field(conn, int_param(request))
    return ok({"deleted": True})


async def lists_list(request: web.Request) -> web.StreamResponse:
    args: list[Any] = []
    cond = org_condition(principal(request), "l.organization_id", args)
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(conn, LIST_TABLE, TableParams.parse(LIST_TABLE, request.query), [cond], args)
    return ok({"total": page.total, "page": page.params.page, "items": page.rows})


def _check_org(request: web.Request, org_id: int | None) -> None:
    require_org(principal(request), org_id)


async def lists_create(request: web.Request) -> web.StreamResponse:
    data = await body(request, ListIn)
    _check_org(request, data.organization_id)
    async with ctx(request).pool.acquire() as conn:
        lid = await lists.save_list(conn, data.model_dump())
        return ok(await lists.get_list(conn, lid), 201)


async def lists_get(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        return ok(await scoped_list(conn, request, int_param(request)))


async def lists_update(request: web.Request) -> web.StreamResponse:
    data = await body(request, ListIn)
    _check_org(request, data.organization_id)
    async with ctx(request).pool.acquire() as conn:
        lid = await lists.save_list(
            conn, data.model_dump(), (await scoped_list(conn, request, int_param(request)))["id"]
        )
        return ok(await lists.get_list(conn, lid))


async def lists_delete(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        await scoped_list(conn, request, int_param(request))
        await lists.delete_list(conn, int_param(request))
    return ok({"deleted": True})


async def lists_copy_fields(request: web.Request) -> web.StreamResponse:
    data = await body(request, CopyFieldsIn)
    lid = int_param(request)
    async with ctx(request).pool.acquire() as conn:
        await scoped_list(conn, request, lid)
        await scoped_list(conn, request, data.from_list)
        return ok({"added": await lists.copy_fields(conn, data.from_list, lid)})


async def contacts_list(request: web.Request) -> web.StreamResponse:
    lid = int_param(request)
    per = int_query(request, "per", 100, 1, 1000)
    after = int_query(request, "after", 0, 0, 2**62)
    show = policy(request)
    async with ctx(request).pool.acquire() as conn:
        info = await scoped_list(conn, request, lid)
        rows = await conn.fetch(
            "SELECT id, attrs, created_at FROM contacts WHERE list_id=$1 AND id > $2 ORDER BY id LIMIT $3",
            lid,
            after,
            per,
        )
    items = [{"id": r["id"], "created_at": r["created_at"], "attrs": show(r["attrs"])} for r in rows]
    return ok(
        {
            "total": info["contacts"],
            "items": items,
            "next_after": items[-1]["id"] if len(items) == per else None,
        }
    )


async def contacts_create(request: web.Request) -> web.StreamResponse:
    data = await body(request, ContactIn)
    lid = int_param(request)
    async with ctx(request).pool.acquire() as conn:
        await scoped_list(conn, request, lid)
        cid = await records.save_contact(conn, lid, data.attrs, None, region(request))
        found = await records.get_contact(conn, lid, cid)
    found["attrs"] = policy(request)(found["attrs"])
    return ok(found, 201)


async def contacts_get(request: web.Request) -> web.StreamResponse:
    lid = int_param(request)
    async with ctx(request).pool.acquire() as conn:
        await scoped_list(conn, request, lid)
        found = await records.get_contact(conn, lid, int_param(request, "cid"))
    show = policy(request)
    found["attrs"] = show(found["attrs"])
    hidden = set(show({p["field"]: p["e164"] for p in found["phones"]}))
    found["phones"] = [p for p in found["phones"] if p["field"] in hidden]
    for p in found["phones"]:
        p["e164"] = show({p["field"]: p["e164"]})[p["field"]]
    return ok(found)


async def contacts_update(request: web.Request) -> web.StreamResponse:
    data = await body(request, ContactIn)
    lid, cid = int_param(request), int_param(request, "cid")
    async with ctx(request).pool.acquire() as conn:
        await scoped_list(conn, request, lid)
        await records.save_contact(conn, lid, data.attrs, cid, region(request))
        found = await records.get_contact(conn, lid, cid)
    found["attrs"] = policy(request)(found["attrs"])
    return ok(found)


async def contacts_delete_one(request: web.Request) -> web.StreamResponse:
    lid, cid = int_param(request), int_param(request, "cid")
    async with ctx(request).pool.acquire() as conn:
        await scoped_list(conn, request, lid)
        n = await records.delete_contacts(conn, lid, [cid])
    if not n:
        raise NotFound(f"contact {cid}")
    return ok({"deleted": n})


async def contacts_delete(request: web.Request) -> web.StreamResponse:
    data = await body(request, ContactsDeleteIn)
    if data.ids is None and not data.all:
        raise InvalidInput({"ids": "give ids, or all=true"})
    lid = int_param(request)
    async with ctx(request).pool.acquire() as conn:
        await scoped_list(conn, request, lid)
        n = await records.delete_contacts(conn, lid, None if data.all else data.ids)
    return ok({"deleted": n})


async def import_contacts(request: web.Request) -> web.StreamResponse:
    """A JSON batch (keys are field names) or a multipart file upload with optional mapping."""
    import json

    lid = int_param(request)
    pool = ctx(request).pool
    who = principal(request)
    wait = True
    async with pool.acquire() as conn:
        await scoped_list(conn, request, lid)
        bound = await list_fields(conn, lid)
        if request.content_type == "multipart/form-data":
            form = await request.post()
            upload = form.get("file")
            if not isinstance(upload, web.FileField):
                raise InvalidInput({"file": "send the file in the field 'file'"})
            path = await save_upload(request, upload)
            from dialer.contacts.readers import FileProblem, preview

            try:
                header, _, _ = await asyncio.to_thread(preview, path)
            except FileProblem as exc:
                raise InvalidInput({"file": str(exc)}) from None
            raw_map = form.get("mapping")
            try:
                mapping = (
                    json.loads(raw_map)
                    if isinstance(raw_map, str) and raw_map
                    else auto_mapping(header, bound)
                )
            except json.JSONDecodeError:
                raise InvalidInput({"mapping": "a JSON object: file column -> field name"}) from None
            options = {
                "mapping": mapping,
                "dedupe": form.get("dedupe") in ("1", "true", "on"),
                "clear_before": form.get("clear_before") in ("1", "true", "on"),
                "region": region(request),
            }
            source = str(upload.filename)
            wait = form.get("wait") in ("1", "true")
        else:
            data = await body(request, ImportBatchIn)
            path = upload_dir(request) / f"api-{lid}-{asyncio.get_running_loop().time():.0f}-{id(data)}.jsonl"
            header = await asyncio.to_thread(save_jsonl, path, data.contacts)
            options = {
                "mapping": {h: h for h in header},
                "dedupe": data.dedupe,
                "clear_before": data.clear_before,
                "region": region(request),
            }
            source = "API batch"
            wait = data.wait
        job_id = await jobs.create_job(
            conn,
            target="contacts",
            file_path=path,
            source_name=source,
            list_id=lid,
            options=options,
            user_id=who.user_id,
            status="queued",
        )
    task = jobs.start(pool, job_id)
    if wait:
        await asyncio.shield(task)
    async with pool.acquire() as conn:
        job = jobs.job_public(await jobs.get_job(conn, job_id))
        if wait:
            job["rows"] = await jobs.job_rows(conn, job_id, 10_000)
    return ok(job, 200 if wait else 202)


async def job_get(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        job = await _scoped_job(request, conn)
    return ok(jobs.job_public(job))


async def _scoped_job(request: web.Request, conn: Any) -> dict[str, Any]:
    job = await jobs.get_job(conn, int_param(request))
    if job["target"] not in ("contacts", "dnc"):  # directory imports have their own routes and rights
        raise NotFound(f"import job {job['id']}")
    if job["list_id"] is not None:
        await scoped_list(conn, request, job["list_id"])
    if job["dnc_list_id"] is not None:
        await scoped_dnc(conn, request, job["dnc_list_id"])
    return job


async def job_rows(request: web.Request) -> web.StreamResponse:
    limit = int_query(request, "limit", 1000, 1, 10_000)
    offset = int_query(request, "offset", 0, 0, 2**31)
    async with ctx(request).pool.acquire() as conn:
        job = await _scoped_job(request, conn)
        return ok({"job": jobs.job_public(job), "rows": await jobs.job_rows(conn, job["id"], limit, offset)})


async def dnc_lists(request: web.Request) -> web.StreamResponse:
    args: list[Any] = []
    cond = org_condition(principal(request), "d.organization_id", args)
    async with ctx(request).pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT d.id, d.name, d.description, d.organization_id, (SELECT count(*) FROM dnc_entries e "
            f"WHERE e.dnc_list_id = d.id) AS entries FROM dnc_lists d WHERE {cond} ORDER BY d.name",
            *args,
        )
    return ok([dict(r) for r in rows])


async def dnc_create(request: web.Request) -> web.StreamResponse:
    data = await body(request, DncListIn)
    _check_org(request, data.organization_id)
    async with ctx(request).pool.acquire() as conn:
        did = await dnc.save_dnc_list(conn, data.model_dump())
        return ok(await dnc.get_dnc_list(conn, did), 201)


async def dnc_get(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        return ok(await scoped_dnc(conn, request, int_param(request)))


async def dnc_delete(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        await scoped_dnc(conn, request, int_param(request))
        await dnc.delete_dnc_list(conn, int_param(request))
    return ok({"deleted": True})


async def dnc_add(request: web.Request) -> web.StreamResponse:
    data = await body(request, DncEntryIn)
    async with ctx(request).pool.acquire() as conn:
        await scoped_dnc(conn, request, int_param(request))
        value = await dnc.add_entry(conn, int_param(request), data.kind, data.value, region(request))
    return ok({"kind": data.kind, "value": value}, 201)


async def dnc_remove(request: web.Request) -> web.StreamResponse:
    data = await body(request, DncEntriesDeleteIn)
    async with ctx(request).pool.acquire() as conn:
        await scoped_dnc(conn, request, int_param(request))
        values = [dnc.clean_entry(data.kind, v, region(request)) for v in data.values]
        return ok({"deleted": await dnc.delete_entries(conn, int_param(request), data.kind, values)})


async def dnc_check(request: web.Request) -> web.StreamResponse:
    data = await body(request, DncCheckIn)
    cleaned: dict[str, str] = {}
    for raw in data.values:
        try:
            cleaned[raw] = dnc.clean_entry(data.kind, raw, region(request))
        except InvalidInput:
            continue
    async with ctx(request).pool.acquire() as conn:
        hits = await dnc.lookup(conn, cleaned.values(), data.kind, data.dnc_list_ids)
    return ok({"listed": sorted(raw for raw, v in cleaned.items() if v in hits)})
