"""The operator workplace (R7): sign-in with a phone number, state, the call card, wrap-up.

The page renders empty and asks ``/workplace/state`` for everything, on load and after every
reconnect of its WebSocket, so a reload or a dropped link restores the call and the wrap-up
from the server instead of from the browser's memory.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any

from aiohttp import web

from dialer.errors import Conflict, InvalidInput
from dialer.workplace import card, sessions
from web.console_bridge import BRIDGE
from web.context import ctx
from web.engine_client import EngineRefused, client_of
from web.forms import render
from web.jsonaction import json_action, payload, principal_of, text

log = logging.getLogger("dialer.web.workplace")


async def _operator(request: web.Request) -> sessions.Operator:
    async with ctx(request).pool.acquire() as conn:
        op = await sessions.operator_of_user(conn, principal_of(request).user_id)
    if op is None:
        raise Conflict("your user is not an operator; ask an administrator to create one for you")
    return op


def sip_password(secret: str, operator_id: int) -> str:
    """The softphone's SIP password: derived, so the directory generator and the page agree."""
    return hmac.new(secret.encode(), f"sip:{operator_id}".encode(), hashlib.sha256).hexdigest()[:24]


async def page(request: web.Request) -> web.StreamResponse:
    op = None
    async with ctx(request).pool.acquire() as conn:
        op = await sessions.operator_of_user(conn, principal_of(request).user_id)
    return render(request, "workplace/page.html", {"operator": op, "simulated": ctx(request).settings.switch ==
                                                    "simulated"})


async def _engine_state(request: web.Request, operator_id: int) -> dict[str, Any] | None:
    raw = await ctx(request).live.get("engine", "operator", operator_id)
    return json.loads(raw) if raw else None


async def _call(request: web.Request, call_id: str) -> dict[str, Any] | None:
    """The call as the engine knows it; ended calls (wrap-up after a reload) from their attempt row."""
    bridge = request.config_dict[BRIDGE]
    if call_id in bridge.calls:
        return bridge.calls[call_id]
    async with ctx(request).pool.acquire() as conn:
        row = await conn.fetchrow("SELECT uuid::text AS call_id, campaign_id, contact_id, phone FROM call_attempts "
                                  "WHERE uuid::text = $1", call_id)
    if row is not None:
        return dict(row)
    preview = bridge.previews_by_call.get(call_id)
    return dict(preview) if preview else None


@json_action
async def state(request: web.Request) -> dict[str, Any]:
    op = await _operator(request)
    async with ctx(request).pool.acquire() as conn:
        session = await sessions.current(conn, op.id)
        messages = await conn.fetch(
            "SELECT m.body, m.created_at, u.login AS sender FROM supervisor_messages m LEFT JOIN users u "
            "ON u.id = m.sender_id WHERE m.operator_id = $1 AND m.created_at > now() - interval '1 day' "
            "ORDER BY m.id DESC LIMIT 20", op.id)
    engine = await _engine_state(request, op.id) if session else None
    call_card = None
    if engine and engine.get("call_id"):
        call = await _call(request, str(engine["call_id"]))
        if call is not None:
            async with ctx(request).pool.acquire() as conn:
                call_card = await card.call_card(conn, principal_of(request), call)
    preview = request.config_dict[BRIDGE].previews.get(str(op.id)) if engine and engine.get("state") == "reserved" \
        else None
    return {
        "operator": {"id": op.id, "name": op.name, "phones": list(op.phones), "skills": op.skills},
        "session": {"mode": session.mode, "number": session.number} if session else None,
        "engine": engine, "call": call_card, "preview": preview, "now": time.time(),
        "messages": [{"body": m["body"], "at": m["created_at"].isoformat(), "sender": m["sender"]} for m in messages],
        "sip": {"user": str(op.id), "password": sip_password(ctx(request).settings.effective_secret_key(), op.id)}
        if session and session.mode == "softphone" else None,
    }


@json_action
async def login(request: web.Request) -> dict[str, Any]:
    data = await payload(request)
    op = await _operator(request)
    mode = text(data, "mode")
    number = text(data, "number", max_len=25)
    async with ctx(request).pool.acquire() as conn:
        session = await sessions.sign_in(conn, op, principal_of(request).user_id, mode, number)
    try:
        await client_of(request).request("login", operator_id=str(op.id), skills=op.skills, ready=False,
                                         **session.engine_login)
    except Conflict:
        async with ctx(request).pool.acquire() as conn:
            await sessions.sign_out(conn, op.id)  # not signed in anywhere if the engine refused
        raise
    request.config_dict[BRIDGE].forget_directory()
    return {"session": {"mode": session.mode, "number": session.number}}


@json_action
async def signout(request: web.Request) -> dict[str, Any]:
    op = await _operator(request)
    try:
        await client_of(request).request("logout", operator_id=str(op.id))
    except EngineRefused as exc:
        log.info("operator %s: engine logout refused (%s); signing out anyway", op.id, exc)
    async with ctx(request).pool.acquire() as conn:
        await sessions.sign_out(conn, op.id)
    return {}


_ACTIONS = {"ready", "not_ready", "hold", "resume", "end", "transfer", "preview_accept", "preview_reject"}


@json_action
async def action(request: web.Request) -> dict[str, Any]:
    data = await payload(request)
    op = await _operator(request)
    name = text(data, "action")
    if name not in _ACTIONS:
        raise InvalidInput({"action": "unknown action"})
    fields: dict[str, Any] = {"operator_id": str(op.id)}
    if name == "transfer":
        target = text(data, "to", max_len=40)
        fields["to_ivr" if data.get("kind") == "ivr" else "to_operator"] = target
    if name == "preview_reject":
        fields["code"] = text(data, "code", required=False) or "preview_rejected"
    await client_of(request).request(name, **fields)
    return {}


@json_action
async def answers(request: web.Request) -> dict[str, Any]:
    data = await payload(request)
    await _operator(request)
    given = data.get("answers") or {}
    if not isinstance(given, dict):
        raise InvalidInput({"answers": "an object of question -> answer"})
    async with ctx(request).pool.acquire() as conn:
        await card.submit_answers(conn, text(data, "call_id"), int(data.get("campaign_id") or 0),
                                  {str(k): str(v) for k, v in given.items()}, final=False)
    return {}


@json_action
async def wrapup(request: web.Request) -> dict[str, Any]:
    data = await payload(request)
    op = await _operator(request)
    code = text(data, "code", required=False)
    if not code:
        raise InvalidInput({"code": "choose a completion code"})
    call_id = text(data, "call_id")
    campaign_id = int(data.get("campaign_id") or 0)
    given = data.get("answers") or {}
    async with ctx(request).pool.acquire() as conn:
        camp = await conn.fetchval("SELECT code_group_id FROM campaigns WHERE id = $1", campaign_id)
        allowed = {c["key"] for c in await card.codes_for(conn, camp)}
        if code not in allowed:
            raise InvalidInput({"code": "not a code of this campaign"})
        await card.submit_answers(conn, call_id, campaign_id, {str(k): str(v) for k, v in dict(given).items()},
                                  final=True)
    await client_of(request).request("wrap_up", operator_id=str(op.id), code=code)
    return {}
