"""The supervisor console (R8.1, R8.2): campaigns with live counters, operators, actions.

The page loads a snapshot from ``/supervisor/console/snapshot`` and then follows
``supervisor.events`` (engine events, batched) and ``supervisor.campaigns`` (counters) over
its WebSocket. Actions go to the engine as commands and wait for its reply, so the
supervisor sees the engine's own refusal ("no call", "the call has ended") at once.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from dialer.dialing import lifecycle
from dialer.errors import InvalidInput, NotFound
from dialer.workplace import sessions
from web.console_bridge import BRIDGE
from web.context import ctx
from web.engine_client import EngineRefused, client_of
from web.forms import render
from web.i18n import translate
from web.jsonaction import json_action, payload, principal_of, text
from web.live import publish
from web.middleware import language

log = logging.getLogger("dialer.web.supervisor")

ACTION_LABELS = {
    "ready": "Ready (after the call)", "not_ready": "Not ready (after the call)", "logout": "Log out (after the call)",
    "reset": "Reset the state", "move": "Move to a campaign", "message": "Send a message", "end": "End the call",
    "set_code": "Set the completion code", "listen": "Listen", "whisper": "Whisper", "barge": "Barge in",
    "take_over": "Take over the call",
}
OPERATOR_ACTIONS = tuple(ACTION_LABELS)


async def console(request: web.Request) -> web.StreamResponse:
    lang = language(request)
    labels = [(a, translate(lang, ACTION_LABELS[a])) for a in OPERATOR_ACTIONS]
    return render(request, "supervisor/console.html", {"actions": labels})


async def operators_view(request: web.Request) -> list[dict[str, Any]]:
    """Every operator known to the directory or the engine, with the engine's live state."""
    bridge = request.config_dict[BRIDGE]
    directory = await bridge.directory()
    principal = principal_of(request)
    out = []
    for op_id in sorted(set(directory) | set(bridge.operators), key=lambda k: (len(k), k)):
        entry = directory.get(op_id, {})
        if entry and not principal.sees_org(entry.get("organization_id")):
            continue
        live = bridge.operators.get(op_id, {})
        call = bridge.calls.get(str(live.get("call_id"))) if live.get("call_id") else None
        out.append({
            "operator_id": op_id, "name": entry.get("name") or f"#{op_id}", "number": entry.get("number", ""),
            "skills": entry.get("skills", ""), "state": live.get("state", "logged_out"), "since": live.get("since"),
            "pending": live.get("pending"), "call_id": live.get("call_id"),
            "call_state": call.get("state") if call else None,
            "campaign_id": call.get("campaign_id") if call else None,
        })
    return out


@json_action
async def snapshot(request: web.Request) -> dict[str, Any]:
    bridge = request.config_dict[BRIDGE]
    return {"campaigns": await bridge.counters(), "operators": await operators_view(request)}


@json_action
async def campaign_action(request: web.Request) -> dict[str, Any]:
    data = await payload(request)
    action = text(data, "action")
    try:
        campaign_id = int(data.get("campaign_id") or 0)
    except (TypeError, ValueError):
        raise InvalidInput({"campaign_id": "a campaign id"}) from None
    if action == "call_rate":
        try:
            rate = float(data.get("call_rate") or 0)
        except (TypeError, ValueError):
            raise InvalidInput({"call_rate": "a number"}) from None
        if not 0 < rate <= 30:
            raise InvalidInput({"call_rate": "between 0 and 30 calls per operator"})
        await client_of(request).request("set_call_rate", campaign_id=campaign_id, call_rate=rate)
        return {"call_rate": rate}
    if action not in ("pause", "resume", "stop"):
        raise InvalidInput({"action": "pause, resume, stop or call_rate"})
    async with ctx(request).pool.acquire() as conn:
        org = await conn.fetchval("SELECT organization_id FROM campaigns WHERE id = $1", campaign_id)
        if not principal_of(request).sees_org(org):
            raise NotFound(f"campaign {campaign_id}")
        new_state = await lifecycle.change_state(conn, campaign_id, action)
    return {"state": new_state}


async def _engine_op(request: web.Request, action: str, **fields: Any) -> None:
    await client_of(request).request(action, **fields)


@json_action
async def operator_action(request: web.Request) -> dict[str, Any]:
    data = await payload(request)
    action = text(data, "action")
    if action not in OPERATOR_ACTIONS:
        raise InvalidInput({"action": "unknown action"})
    op_id = text(data, "operator_id", max_len=20)
    bridge = request.config_dict[BRIDGE]
    directory = await bridge.directory()
    entry = directory.get(op_id)
    if entry is not None and not principal_of(request).sees_org(entry.get("organization_id")):
        raise NotFound(f"operator {op_id}")
    sup = str(principal_of(request).user_id)
    if action in ("ready", "not_ready", "logout"):
        # The engine applies it after the current call (R8.2); the reason goes to the audit log.
        text(data, "reason", required=action != "ready", max_len=500)
        await _engine_op(request, action, operator_id=op_id)
    elif action == "reset":
        text(data, "reason", max_len=500)
        try:
            await _engine_op(request, "logout", operator_id=op_id)
        except EngineRefused as exc:
            log.info("reset of operator %s: engine says %s", op_id, exc)
        if op_id.isdigit():
            async with ctx(request).pool.acquire() as conn:
                await sessions.sign_out(conn, int(op_id))
        bridge.forget_directory()
    elif action == "move":
        try:
            campaign = int(data.get("campaign_id") or 0)
        except (TypeError, ValueError):
            campaign = 0
        if campaign <= 0:
            raise InvalidInput({"campaign_id": "choose a campaign"})
        live = bridge.operators.get(op_id)
        if not live or live.get("state") == "logged_out":
            raise InvalidInput({"operator_id": "the operator is not signed in"})
        await _engine_op(request, "login", operator_id=op_id, mode=live.get("mode") or "nailed", campaigns=[campaign])
    elif action == "message":
        body = text(data, "text", max_len=2000)
        if entry is None:
            raise NotFound(f"operator {op_id}")
        async with ctx(request).pool.acquire() as conn:
            await conn.execute("INSERT INTO supervisor_messages (operator_id, sender_id, body) VALUES ($1, $2, $3)",
                               int(op_id), principal_of(request).user_id, body)
        await publish(ctx(request).live, f"user.{entry['user_id']}",
                      {"kind": "message", "body": body, "sender": principal_of(request).login})
    elif action == "end":
        await _engine_op(request, "end", operator_id=op_id)
    elif action == "set_code":
        await _engine_op(request, "wrap_up", operator_id=op_id, code=text(data, "code", max_len=63))
    elif action in ("listen", "whisper", "barge"):
        await _engine_op(request, "eavesdrop", supervisor_id=sup, endpoint=text(data, "endpoint", max_len=100),
                         operator_id=op_id, mode=action)
    else:
        await _engine_op(request, "take_over", supervisor_id=sup, endpoint=text(data, "endpoint", max_len=100),
                         operator_id=op_id)
    log.info("supervisor %s: %s on operator %s (%s)", sup, action, op_id, json.dumps(data, default=str)[:300])
    return {}
