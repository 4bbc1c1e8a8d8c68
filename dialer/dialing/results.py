"""Result processing (R4.9, R5.10): a completion code runs the strategy's chain for the day type.

Every processed attempt is written to ``dial_results`` with its times. Messages and web
requests go to ``outbox`` (delivery belongs to the channels issue). A result whose lease
is no longer the contact's (it expired and the contact was leased again) is recorded as
stale and changes nothing: the newer lease owns the contact.

``process_many`` applies a batch in one transaction with a fixed number of round trips
(lock the rows, close callbacks, write contacts, results and messages), whatever the batch
size: per-result statements capped result processing at about 1,400/s.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from dialer.campaigns.integrations import render_url
from dialer.campaigns.rules import (
    Action,
    AttemptState,
    Finish,
    MoveToList,
    Retry,
    SendMessage,
    WebRequest,
    action_to_json,
    next_actions,
)
from dialer.dialing import clock
from dialer.dialing.config_cache import NO_CACHE, CampaignRules, ConfigCache

log = logging.getLogger("dialer.dialing")


@dataclass(frozen=True)
class Result:
    campaign_id: int
    contact_id: int
    lease_id: str
    system_code: str
    operator_code: str | None = None
    operator_id: str | None = None
    call_id: str = ""
    phone: str = ""
    phone_field: str = ""
    started_at: datetime | None = None
    answered_at: datetime | None = None
    connected_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def code(self) -> str:
        return self.operator_code or self.system_code


@dataclass(frozen=True)
class Outcome:
    actions: tuple[Action, ...]
    state: str  # the contact's state afterwards
    stale: bool = False


# The rows a batch changes, locked in key order so two batches never wait on each other in
# a cycle. ``phones`` (field -> number) answers "is there a phone in that field" and the SMS
# recipient without a query per result.
_CONTEXT_SQL = """
SELECT cc.*, p.tz AS phone_tz, ct.attrs,
       (SELECT jsonb_object_agg(q.field, q.e164) FROM contact_phones q WHERE q.contact_id = cc.contact_id)::text
           AS phones
FROM unnest($1::int[], $2::bigint[]) AS k(campaign_id, contact_id)
JOIN campaign_contacts cc ON cc.campaign_id = k.campaign_id AND cc.contact_id = k.contact_id
JOIN contacts ct ON ct.id = cc.contact_id
LEFT JOIN contact_phones p ON p.contact_id = cc.contact_id AND p.field = cc.phone_field
ORDER BY cc.campaign_id, cc.contact_id
FOR UPDATE OF cc
"""
_CALLBACKS_DONE_SQL = """
UPDATE callbacks cb SET state = 'done', done_at = u.done_at
FROM unnest($1::int[], $2::text[], $3::timestamptz[]) AS u(campaign_id, lease_id, done_at)
WHERE cb.campaign_id = u.campaign_id AND cb.lease_id = u.lease_id AND cb.state = 'planned'
RETURNING cb.id, cb.lease_id
"""
# Every column a result may change; the ones it leaves alone are written back unchanged.
_UPDATE_SQL = """
UPDATE campaign_contacts cc
SET state = u.state, attempts = u.attempts, last_code = u.last_code, last_attempt_at = u.last_attempt_at,
    phone_field = u.phone_field, next_attempt_at = u.next_attempt_at, attempts_on_number = u.attempts_on_number,
    chain_step = u.chain_step, list_pos = u.list_pos, finish_reason = u.finish_reason,
    lease_id = NULL, lease_until = NULL, lease_owner = NULL, leased_from = NULL
FROM unnest($1::int[], $2::bigint[], $3::text[], $4::int[], $5::text[], $6::timestamptz[], $7::text[],
            $8::timestamptz[], $9::int[], $10::int[], $11::int[], $12::text[])
     AS u(campaign_id, contact_id, state, attempts, last_code, last_attempt_at, phone_field, next_attempt_at,
          attempts_on_number, chain_step, list_pos, finish_reason)
WHERE cc.campaign_id = u.campaign_id AND cc.contact_id = u.contact_id
"""
_UPDATE_COLUMNS = ("state", "attempts", "last_code", "last_attempt_at", "phone_field", "next_attempt_at",
                   "attempts_on_number", "chain_step", "list_pos", "finish_reason")
_RESULT_SQL = (
    "INSERT INTO dial_results (campaign_id, contact_id, callback_id, call_id, lease_id, phone, phone_field, "
    "system_code, operator_code, code, operator_id, day_type, actions, stale, started_at, answered_at, "
    "connected_at, ended_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)"
)
_OUTBOX_SQL = (
    "INSERT INTO outbox (kind, campaign_id, contact_id, template_id, recipient, url, method, payload, wait_reply) "
    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
)


@dataclass(frozen=True)
class _Context:
    """A locked campaign_contacts row with what the chain's actions read."""

    row: asyncpg.Record
    attrs: dict[str, Any]
    phones: dict[str, str] = field(default_factory=dict)

    @property
    def e164(self) -> str:
        return self.phones.get(self.row["phone_field"]) or ""


def _context(row: asyncpg.Record) -> _Context:
    attrs = row["attrs"]
    return _Context(row, json.loads(attrs) if isinstance(attrs, str) else dict(attrs or {}),
                    json.loads(row["phones"]) if row["phones"] else {})


def _result_row(
    r: Result, day_type: str, actions: Sequence[Action], stale: bool, callback_id: int | None
) -> tuple[Any, ...]:
    return (
        r.campaign_id, r.contact_id, callback_id, r.call_id, r.lease_id, r.phone, r.phone_field, r.system_code,
        r.operator_code, r.code, r.operator_id, day_type, [action_to_json(a) for a in actions],
        stale, r.started_at, r.answered_at, r.connected_at, r.ended_at,
    )


def _message(ctx: _Context, a: SendMessage | WebRequest) -> tuple[Any, ...]:
    row, attrs = ctx.row, ctx.attrs
    if isinstance(a, WebRequest):
        url = render_url(a.url, {**attrs, "phone": ctx.e164, "contact_id": row["contact_id"]})
        return ("web", row["campaign_id"], row["contact_id"], None, "", url, a.method, attrs, False)
    recipient = attrs.get(a.field) or ""
    if a.channel == "sms":
        recipient = ctx.phones.get(a.field) or recipient
    return (a.channel, row["campaign_id"], row["contact_id"], a.template_id, str(recipient), "", "", attrs,
            a.wait_reply)


async def _final(
    conn: asyncpg.Connection, ctx: _Context, config: CampaignRules, last: Action, step: int, now: datetime
) -> tuple[str, dict[str, Any]]:
    """The contact's new state and the columns that change, for the chain's stopping action."""
    row = ctx.row
    if isinstance(last, Retry):
        target = last.field or row["phone_field"]
        if target != row["phone_field"] and target not in ctx.phones:
            return "done", {"finish_reason": f"no phone in {target}"}
        same = target == row["phone_field"]
        return "retry", {
            "phone_field": target,
            "next_attempt_at": now + timedelta(seconds=last.after_seconds or 0),
            "attempts_on_number": row["attempts_on_number"] + 1 if same else 0,
            "chain_step": step,
        }
    if isinstance(last, SendMessage) and last.wait_reply:
        return "waiting", {"chain_step": step}
    if isinstance(last, MoveToList):
        # Rare (a rule's last resort): plain statements, not worth batching.
        await conn.execute("UPDATE contacts SET list_id = $2, updated_at = now() WHERE id = $1", row["contact_id"],
                           last.list_id)
        await conn.execute("UPDATE contact_phones SET list_id = $2 WHERE contact_id = $1", row["contact_id"],
                           last.list_id)
        pos = await conn.fetchval(
            "SELECT position FROM campaign_lists WHERE campaign_id = $1 AND list_id = $2",
            row["campaign_id"], last.list_id,
        )
        if pos is None:
            return "done", {"finish_reason": f"moved to list {last.list_id}"}
        return "new", {
            "list_pos": pos if config.list_order == "ordered" else 0, "chain_step": 0, "attempts_on_number": 0,
        }
    reason = last.reason if isinstance(last, Finish) else "chain done"
    return "done", {"finish_reason": reason}


def _day(now: datetime, ctx: _Context, config: CampaignRules, overrides: dict[date, bool]) -> clock.DayType:
    tz = ctx.row["phone_tz"] if config.tz_mode == "customer" and ctx.row["phone_tz"] else config.campaign_tz
    try:
        return clock.day_type(clock.local_now(now, tz).date(), overrides)
    except Exception:  # an unparsable stored zone: the campaign's zone decides
        return clock.day_type(clock.local_now(now, config.campaign_tz).date(), overrides)


async def process_many(
    conn: asyncpg.Connection, batch: Sequence[tuple[Result, datetime]], cache: ConfigCache = NO_CACHE
) -> list[Outcome]:
    """Apply attempts' results, each at its own time, in one transaction; outcomes in batch order.

    Two results for one contact in a batch: the first settles the lease, the second is stale,
    as if they had come one after the other.
    """
    if not batch:
        return []
    outcomes: list[Outcome] = []
    async with conn.transaction():
        keys = sorted({(r.campaign_id, r.contact_id) for r, _ in batch})
        rows = await conn.fetch(_CONTEXT_SQL, [k[0] for k in keys], [k[1] for k in keys])
        contexts = {(row["campaign_id"], row["contact_id"]): _context(row) for row in rows}
        with_lease = [(r, now) for r, now in batch if r.lease_id]
        callbacks: dict[str, int] = {}
        if with_lease:
            callbacks = {rec["lease_id"]: rec["id"] for rec in await conn.fetch(
                _CALLBACKS_DONE_SQL, [r.campaign_id for r, _ in with_lease], [r.lease_id for r, _ in with_lease],
                [now for _, now in with_lease],
            )}
        overrides = await cache.overrides(conn)
        configs: dict[int, CampaignRules | None] = {}
        settled: dict[tuple[int, int], str] = {}  # contact -> its state after this batch
        changes: list[tuple[Any, ...]] = []
        result_rows: list[tuple[Any, ...]] = []
        messages: list[tuple[Any, ...]] = []
        for r, now in batch:
            key = (r.campaign_id, r.contact_id)
            ctx = contexts.get(key)
            callback_id = callbacks.get(r.lease_id) if r.lease_id else None
            if r.campaign_id not in configs:
                configs[r.campaign_id] = await cache.campaign(conn, r.campaign_id)
            config = configs[r.campaign_id]
            if ctx is None or config is None or ctx.row["lease_id"] != r.lease_id or key in settled:
                result_rows.append(_result_row(r, "working", (), True, callback_id))
                log.warning("campaign %s contact %s: stale result (lease %s)", r.campaign_id, r.contact_id, r.lease_id)
                now_state = settled.get(key) or (ctx.row["state"] if ctx else "unknown")
                outcomes.append(Outcome((), now_state, stale=True))
                continue
            row = ctx.row
            day = _day(now, ctx, config, overrides)
            state_in = AttemptState(
                step=row["chain_step"],
                attempts_on_number=row["attempts_on_number"] + 1,
                total_attempts=row["attempts"] + 1,
                max_attempts=config.max_attempts,
                phone_field=row["phone_field"],
            )
            actions = next_actions(config.rules, r.code, day, state_in)
            messages += [_message(ctx, a) for a in actions[:-1] if isinstance(a, SendMessage | WebRequest)]
            last = actions[-1]
            if isinstance(last, SendMessage):
                messages.append(_message(ctx, last))
            step = max(a.step for a in actions) + 1
            state, cols = await _final(conn, ctx, config, last, max(step, 0), now)
            cols |= {"state": state, "attempts": row["attempts"] + 1, "last_code": r.code, "last_attempt_at": now}
            changes.append((r.campaign_id, r.contact_id, *[cols.get(c, row[c]) for c in _UPDATE_COLUMNS]))
            result_rows.append(_result_row(r, day, actions, False, callback_id))
            outcomes.append(Outcome(tuple(actions), state))
            settled[key] = state
        if changes:
            await conn.execute(_UPDATE_SQL, *[list(col) for col in zip(*changes, strict=True)])
        if messages:
            await conn.executemany(_OUTBOX_SQL, messages)
        await conn.executemany(_RESULT_SQL, result_rows)
    return outcomes


async def process(conn: asyncpg.Connection, r: Result, now: datetime, cache: ConfigCache = NO_CACHE) -> Outcome:
    """Apply one attempt's result; runs in its own transaction."""
    [out] = await process_many(conn, [(r, now)], cache)
    return out
