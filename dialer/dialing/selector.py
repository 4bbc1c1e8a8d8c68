"""The contact selector (issue #4 item 6): the next numbers a campaign dials, leased.

Order: callbacks that are due (an operator's own callback only while that operator is
free), then retries whose time has come, then fresh contacts in list order. Every
candidate is locked with ``FOR UPDATE SKIP LOCKED`` and leased in the same statement, so
two engine loops or two processes never get the same contact; a lease is a deadline
(``lease_until``), so a crashed caller's contacts come back: each selection first reclaims
the campaign's expired leases (``leases.reclaim``). A leased row has state 'leased', so the
fresh and retry indexes the selector walks hold only rows that may be dialed.

Rows the selector can rule out for good (the number is on a DNC list, the phone is gone)
are finished in the same statement, so the next selection does not scan them again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import asyncpg

from dialer.dialing import clock, leases, lifecycle
from dialer.dialing.config_cache import NO_CACHE, ConfigCache

log = logging.getLogger("dialer.dialing")

LEASE_S = 300  # longer than the longest ring + talk + wrap-up a result waits for
RESTRICTION_RECHECK = timedelta(hours=1)
REPOPULATE = timedelta(minutes=1)
Kind = Literal["callback", "retry", "fresh"]
# A restriction check: (restriction row, contact attrs with "phone") -> may it be dialed?
RestrictionCheck = Callable[[Mapping[str, Any], Mapping[str, Any]], Awaitable[bool]]


@dataclass(frozen=True)
class Target:
    contact_id: int
    phone_field: str
    e164: str
    tz: str | None
    lease_id: str
    kind: Kind
    callback_id: int | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """What one selection needs to know about a campaign, read once per call."""

    campaign: dict[str, Any]
    strategy: asyncpg.Record
    open_zones: list[str]
    dnc_lists: list[int]
    client_field: str | None
    restriction: asyncpg.Record | None

    @property
    def ignore_dnc_callbacks(self) -> bool:
        return bool(self.campaign["dnc_ignore_callbacks"] or self.strategy["ignore_dnc_callbacks"])


async def load_plan(
    conn: asyncpg.Connection, campaign_id: int, now: datetime, operators_ready: int | None = None,
    cache: ConfigCache = NO_CACHE,
) -> Plan | None:
    """The campaign's selection inputs, or None when it may not dial now (the reason is stored)."""
    row = await conn.fetchrow("SELECT * FROM campaigns WHERE id = $1", campaign_id)
    if row is None:
        return None
    campaign = dict(row)
    strategy = None
    if campaign["strategy_id"] is not None:
        strategy = await conn.fetchrow("SELECT * FROM strategies WHERE id = $1", campaign["strategy_id"])
    if await lifecycle.block_reason(conn, campaign, strategy, now, operators_ready) or strategy is None:
        return None
    zones = [r[0] for r in await conn.fetch("SELECT tz FROM campaign_zones WHERE campaign_id = $1", campaign_id)]
    overrides = await cache.overrides(conn)
    open_zones = clock.open_zones(
        zones, now, strategy["window_start"], strategy["window_end"], campaign["call_days"], overrides,
        campaign["campaign_tz"], campaign["tz_mode"],
    )
    dnc = [r[0] for r in await conn.fetch(
        "SELECT dnc_list_id FROM campaign_dnc_lists WHERE campaign_id = $1", campaign_id
    )]
    client_field = await conn.fetchval("SELECT name FROM contact_fields WHERE is_client_id ORDER BY id LIMIT 1")
    restriction = None
    if campaign["restriction_id"] is not None:
        restriction = await conn.fetchrow("SELECT * FROM restrictions WHERE id = $1", campaign["restriction_id"])
    return Plan(campaign, strategy, open_zones, dnc, client_field, restriction)


# Shared pieces of the two statements. $1 campaign, $2 now, $3 n, $4 open zones, $5 DNC lists,
# $6 max attempts, $7 lease seconds, $8 owner, $9 client-id field.
# A LATERAL probe with LIMIT 1 keeps the DNC check an index lookup per candidate; as a plain
# EXISTS the planner may hash the whole DNC list (a million rows) for a 100-row selection.
_DNC_JOIN = """LEFT JOIN LATERAL (
        SELECT true AS hit FROM dnc_entries d
        WHERE (d.kind = 'phone' AND d.value = p.e164 OR $9::text IS NOT NULL AND d.kind = 'account'
               AND d.value = c.attrs ->> $9::text) AND d.dnc_list_id = ANY($5::int[])
        LIMIT 1) dnc ON true"""
_DNC = "coalesce(dnc.hit, false)"
# A leased row leaves the fresh/retry partial indexes (state 'leased'), so later selections
# never walk past it; leased_from (the old value: SET reads the row as it was) is where the
# reclaim step or the result puts it back.
_LEASE = """state = 'leased', leased_from = cc.state, lease_id = gen_random_uuid()::text,
            lease_until = $2::timestamptz + make_interval(secs => $7), lease_owner = $8"""

_CONTACTS_SQL = """
WITH cand AS (
    SELECT cc.contact_id, p.e164, p.tz, {dnc} AS on_dnc
    FROM campaign_contacts cc
    JOIN contacts c ON c.id = cc.contact_id
    LEFT JOIN contact_phones p ON p.contact_id = cc.contact_id AND p.field = cc.phone_field
    {dnc_join}
    WHERE cc.campaign_id = $1 AND cc.state = '{state}' {due}
      AND ($6::int IS NULL OR cc.attempts < $6)
      AND (p.e164 IS NULL OR coalesce(p.tz, '') = ANY($4::text[]))
    ORDER BY {order}
    LIMIT $3
    FOR UPDATE OF cc SKIP LOCKED
), gone AS (
    UPDATE campaign_contacts cc
    SET state = 'done', finish_reason = CASE WHEN cand.e164 IS NULL THEN 'no phone' ELSE 'dnc' END
    FROM cand
    WHERE cc.campaign_id = $1 AND cc.contact_id = cand.contact_id AND (cand.e164 IS NULL OR cand.on_dnc)
)
UPDATE campaign_contacts cc SET {lease}
FROM cand JOIN contacts c ON c.id = cand.contact_id
WHERE cc.campaign_id = $1 AND cc.contact_id = cand.contact_id AND cand.e164 IS NOT NULL AND NOT cand.on_dnc
RETURNING cc.contact_id, cc.phone_field, cand.e164, cand.tz, cc.lease_id, c.attrs, NULL::bigint AS callback_id,
          cc.list_pos, cc.next_attempt_at
"""

_CALLBACKS_SQL = """
WITH locked AS (
    SELECT cb.id, cb.contact_id, cb.phone_field, cb.due_at, p.e164, p.tz
    FROM callbacks cb
    JOIN campaign_contacts cc ON cc.campaign_id = cb.campaign_id AND cc.contact_id = cb.contact_id
    JOIN contacts c ON c.id = cb.contact_id
    JOIN contact_phones p ON p.contact_id = cb.contact_id AND p.field = cb.phone_field
    {dnc_join}
    WHERE cb.campaign_id = $1 AND cb.state = 'planned' AND cb.due_at <= $2 AND cb.due_at >= $10
      AND (cb.operator_id IS NULL OR cb.operator_id = ANY($11::int[]))
      AND cc.state <> 'leased'
      AND ($6::int IS NULL OR cc.attempts < $6)
      AND coalesce(p.tz, '') = ANY($4::text[])
      AND ($12 OR NOT {dnc})
    ORDER BY cb.due_at, cb.id
    LIMIT $3
    FOR UPDATE OF cc, cb SKIP LOCKED
), cand AS (
    SELECT DISTINCT ON (contact_id) * FROM locked ORDER BY contact_id, due_at, id
), leased AS (
    UPDATE campaign_contacts cc SET {lease}, phone_field = cand.phone_field
    FROM cand
    WHERE cc.campaign_id = $1 AND cc.contact_id = cand.contact_id
    RETURNING cc.contact_id, cc.lease_id, cand.id AS callback_id, cand.phone_field, cand.e164, cand.tz, cand.due_at
), marked AS (
    UPDATE callbacks cb SET lease_id = leased.lease_id FROM leased WHERE cb.id = leased.callback_id
)
SELECT l.contact_id, l.phone_field, l.e164, l.tz, l.lease_id, c.attrs, l.callback_id
FROM leased l JOIN contacts c ON c.id = l.contact_id ORDER BY l.due_at, l.callback_id
"""


def _targets(rows: list[asyncpg.Record], kind: Kind) -> list[Target]:
    out = []
    for r in rows:
        attrs = r["attrs"]
        out.append(
            Target(
                r["contact_id"], r["phone_field"], r["e164"], r["tz"], r["lease_id"], kind, r["callback_id"],
                json.loads(attrs) if isinstance(attrs, str) else dict(attrs or {}),
            )
        )
    return out


async def _lease_contacts(
    conn: asyncpg.Connection, plan: Plan, kind: Kind, n: int, now: datetime, owner: str, lease_s: int
) -> list[Target]:
    if kind == "retry":
        sql = _CONTACTS_SQL.format(
            dnc=_DNC, dnc_join=_DNC_JOIN, state="retry", due="AND cc.next_attempt_at <= $2",
            order="cc.next_attempt_at, cc.contact_id", lease=_LEASE,
        )
    else:
        sql = _CONTACTS_SQL.format(
            dnc=_DNC, dnc_join=_DNC_JOIN, state="new", due="", order="cc.list_pos, cc.contact_id", lease=_LEASE
        )
    rows = await conn.fetch(
        sql, plan.campaign["id"], now, n, plan.open_zones, plan.dnc_lists, plan.strategy["max_attempts"],
        lease_s, owner, plan.client_field,
    )
    # UPDATE ... RETURNING does not keep the CTE's order; the engine expects it.
    if kind == "fresh":
        rows = sorted(rows, key=lambda r: (r["list_pos"], r["contact_id"]))
    else:
        rows = sorted(rows, key=lambda r: (r["next_attempt_at"], r["contact_id"]))
    return _targets(rows, kind)


async def _lease_callbacks(
    conn: asyncpg.Connection, plan: Plan, n: int, now: datetime, owner: str, lease_s: int,
    free_operators: Collection[int],
) -> list[Target]:
    hours = plan.campaign["callback_hours"]
    oldest = now - timedelta(hours=hours) if hours else datetime(1970, 1, 1, tzinfo=UTC)
    if hours:
        # A callback older than the callback period is no longer wanted by the customer.
        await conn.execute(
            "UPDATE callbacks SET state = 'expired', done_at = $3 WHERE campaign_id = $1 AND state = 'planned' "
            "AND due_at < $2",
            plan.campaign["id"], oldest, now,
        )
    rows = await conn.fetch(
        _CALLBACKS_SQL.format(dnc=_DNC, dnc_join=_DNC_JOIN, lease=_LEASE), plan.campaign["id"], now, n,
        plan.open_zones,
        plan.dnc_lists, plan.strategy["max_attempts"], lease_s, owner, plan.client_field, oldest,
        list(free_operators), plan.ignore_dnc_callbacks,
    )
    return _targets(rows, "callback")


async def _apply_restriction(
    conn: asyncpg.Connection, plan: Plan, targets: list[Target], now: datetime, check: RestrictionCheck
) -> list[Target]:
    """Release the contacts the restriction web request does not clear (tried again later)."""
    assert plan.restriction is not None
    verdicts = await asyncio.gather(
        *(check(plan.restriction, {**t.attrs, "phone": t.e164, "contact_id": t.contact_id}) for t in targets)
    )
    refused = [t for t, ok in zip(targets, verdicts, strict=True) if not ok]
    if refused:
        await leases.release(conn, plan.campaign["id"], [t.contact_id for t in refused], now + RESTRICTION_RECHECK)
        log.info("campaign %s: restriction refused %d contacts", plan.campaign["id"], len(refused))
    return [t for t, ok in zip(targets, verdicts, strict=True) if ok]


async def select(
    conn: asyncpg.Connection,
    campaign_id: int,
    n: int,
    now: datetime,
    owner: str,
    *,
    lease_s: int = LEASE_S,
    free_operators: Collection[int] = (),
    operators_ready: int | None = None,
    restriction_check: RestrictionCheck | None = None,
    cache: ConfigCache = NO_CACHE,
) -> list[Target]:
    """Up to ``n`` leased targets, callbacks first; [] when the campaign may not dial now.

    ``free_operators``: ids of operators free right now (their own callbacks may be dialed).
    ``operators_ready``: the engine's count of ready operators for the minimum-operators
    rule; None counts signed-in phone sessions instead.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if n <= 0:
        return []
    plan = await load_plan(conn, campaign_id, now, operators_ready, cache)
    if plan is None or not plan.open_zones:
        return []
    out: list[Target] = []
    async with conn.transaction():
        await leases.reclaim(conn, campaign_id, now)
        out += await _lease_callbacks(conn, plan, n, now, owner, lease_s, free_operators)
        kinds: tuple[Kind, ...] = ("retry", "fresh")
        for kind in kinds:
            if len(out) < n:
                out += await _lease_contacts(conn, plan, kind, n - len(out), now, owner, lease_s)
    if plan.restriction is not None and out:
        if restriction_check is None:
            from dialer.dialing.restriction import default_check

            restriction_check = default_check
        out = await _apply_restriction(conn, plan, out, now, restriction_check)
    if not out:
        await _on_empty(conn, plan, now)
    return out


async def _on_empty(conn: asyncpg.Connection, plan: Plan, now: datetime) -> None:
    """Nothing to dial: an infinite campaign looks for new contacts in its lists (at most once
    a minute); a finite one with nothing left, now or later, is finished."""
    if not plan.campaign["finite"]:
        populated = plan.campaign["populated_at"]
        if populated is None or populated < now - REPOPULATE:
            await lifecycle.populate(conn, plan.campaign["id"])
        return
    left = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM campaign_contacts WHERE campaign_id = $1 "
        "AND state IN ('new', 'retry', 'waiting', 'leased')) "
        "OR EXISTS (SELECT 1 FROM callbacks WHERE campaign_id = $1 AND state = 'planned')",
        plan.campaign["id"],
    )
    if not left:
        await conn.execute(
            "UPDATE campaigns SET state = 'finished', stopped_at = now(), state_reason = '' "
            "WHERE id = $1 AND state = 'running'",
            plan.campaign["id"],
        )
        log.info("campaign %s finished: every contact is done", plan.campaign["id"])
