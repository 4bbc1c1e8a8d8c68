"""The workplace's tools around a call: SMS, callback, DNC, today's history, integrations,
and the customer's data from the campaign's external web service (R7.4, R7.6, R7.8-R7.10).

The customer's data is fetched by the server with a short timeout: the service sees real
contact values the operator's browser must not hold, and a slow service costs the card one
empty panel, not the call.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from dialer.access.policy import apply_field_policy
from dialer.workplace import tools
from web.context import ctx
from web.jsonaction import json_action, payload, principal_of, text
from web.views.workplace import _call, _engine_state, _operator

log = logging.getLogger("dialer.web.workplace")

CUSTOMER_TIMEOUT_S = 3.0
CUSTOMER_MAX_BYTES = 256 * 1024


async def _subject(request: web.Request, op_id: int, call_id: str) -> tools.Subject:
    """The operator's current call (the engine's word, also before its attempt row has the operator)
    or one of the operator's calls in the database."""
    engine = await _engine_state(request, op_id)
    if engine and str(engine.get("call_id") or "") == call_id:
        call = await _call(request, call_id)
        if call is not None:
            return tools.subject_of(call)
    async with ctx(request).pool.acquire() as conn:
        return await tools.attempt_of(conn, op_id, call_id)


@json_action
async def options(request: web.Request) -> dict[str, Any]:
    await _operator(request)
    async with ctx(request).pool.acquire() as conn:
        return await tools.options(conn, principal_of(request))


@json_action
async def sms(request: web.Request) -> dict[str, Any]:
    data = await payload(request)
    op = await _operator(request)
    s = await _subject(request, op.id, text(data, "call_id", max_len=64))
    async with ctx(request).pool.acquire() as conn:
        out_id = await tools.send_sms(conn, s, data)
    log.info("operator %s queued SMS %s for contact %s", op.id, out_id, s.contact_id)
    return {"outbox_id": out_id}


@json_action
async def callback(request: web.Request) -> dict[str, Any]:
    data = await payload(request)
    op = await _operator(request)
    s = await _subject(request, op.id, text(data, "call_id", max_len=64))
    async with ctx(request).pool.acquire() as conn:
        cb_id = await tools.add_callback(
            conn, s, op.id, principal_of(request).user_id, data, datetime.now(UTC)
        )
    return {"callback_id": cb_id}


@json_action
async def add_dnc(request: web.Request) -> dict[str, Any]:
    data = await payload(request)
    op = await _operator(request)
    s = await _subject(request, op.id, text(data, "call_id", max_len=64))
    async with ctx(request).pool.acquire() as conn:
        await tools.add_to_dnc(conn, principal_of(request), s, data)
    log.info(
        "operator %s added the number of contact %s to DNC list %s",
        op.id,
        s.contact_id,
        data.get("dnc_list_id"),
    )
    return {}


@json_action
async def history(request: web.Request) -> dict[str, Any]:
    op = await _operator(request)
    async with ctx(request).pool.acquire() as conn:
        return {"calls": await tools.history(conn, principal_of(request), op.id)}


@json_action
async def links(request: web.Request) -> dict[str, Any]:
    op = await _operator(request)
    s = await _subject(request, op.id, request.query.get("call_id", ""))
    async with ctx(request).pool.acquire() as conn:
        return {"links": await tools.links(conn, principal_of(request), s)}


async def _fetch(url: str) -> dict[str, Any]:
    timeout = aiohttp.ClientTimeout(total=CUSTOMER_TIMEOUT_S)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(url, headers={"Accept": "application/json"}) as resp,
    ):
        if resp.status != 200:
            raise ValueError(f"the customer service answered {resp.status}")
        raw = await resp.content.read(CUSTOMER_MAX_BYTES + 1)
    if len(raw) > CUSTOMER_MAX_BYTES:
        raise ValueError("the customer service answered with too much data")
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("the customer service did not answer with an object")
    # Nested values are shown as text: the card is a list of fields, not a tree.
    return {
        str(k): v
        if isinstance(v, str | int | float | bool) or v is None
        else json.dumps(v, ensure_ascii=False)
        for k, v in data.items()
    }


@json_action
async def customer(request: web.Request) -> dict[str, Any]:
    op = await _operator(request)
    s = await _subject(request, op.id, request.query.get("call_id", ""))
    async with ctx(request).pool.acquire() as conn:
        url = await tools.customer_url(conn, s)
    if url is None:
        return {"configured": False, "data": None, "error": ""}
    try:
        data = await _fetch(url)
    except TimeoutError:
        return {
            "configured": True,
            "data": None,
            "error": f"the customer service did not answer in {CUSTOMER_TIMEOUT_S:g} s",
        }
    except (aiohttp.ClientError, ValueError) as exc:
        log.info("customer data for contact %s: %s", s.contact_id, exc)
        return {"configured": True, "data": None, "error": f"the customer service failed: {exc}"}
    # The service may return fields the role hides or masks; the same rules apply to them.
    return {
        "configured": True,
        "data": apply_field_policy(principal_of(request), data),
        "error": "",
        "fetched_at": datetime.now(UTC).isoformat(),
    }
