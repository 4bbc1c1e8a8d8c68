"""Giving leased contacts back: after a lease expires (a crashed or slow caller), or when
the restriction check refuses a contact the selector had leased.

A leased row has state 'leased' and remembers the state it came from in ``leased_from``
(migration 051); giving it back restores that state, so the contact is dialed again and
never lost. ``lease_id`` is kept on an expired lease: a result that arrives late for a
contact nobody leased again still applies, and one for a contact leased again is stale
(see ``results``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

# SKIP LOCKED: a row locked now belongs to a result being applied, which settles it anyway;
# waiting for it could also deadlock against a result batch locking in another order.
_RECLAIM_SQL = """
WITH expired AS (
    SELECT contact_id FROM campaign_contacts
    WHERE campaign_id = $1 AND state = 'leased' AND lease_until < $2
    FOR UPDATE SKIP LOCKED
)
UPDATE campaign_contacts cc
SET state = cc.leased_from, leased_from = NULL, lease_until = NULL, lease_owner = NULL
FROM expired WHERE cc.campaign_id = $1 AND cc.contact_id = expired.contact_id
"""


async def reclaim(conn: asyncpg.Connection, campaign_id: int, now: datetime) -> int:
    """Put back the campaign's contacts whose lease has expired; returns how many.

    Runs before each selection over the (campaign_id, lease_until) WHERE state = 'leased'
    index, so it costs an index probe when nothing has expired.
    """
    status = await conn.execute(_RECLAIM_SQL, campaign_id, now)
    return int(status.split()[-1])


async def release(
    conn: asyncpg.Connection, campaign_id: int, contact_ids: Sequence[int], retry_at: datetime
) -> None:
    """Give back contacts just leased by this caller, to be tried again at ``retry_at``.

    A fresh or retry contact becomes a retry (so it is not picked first again at once); a
    contact leased for a callback from another state goes back to that state unchanged.
    """
    await conn.execute(
        "UPDATE campaign_contacts SET lease_id = NULL, lease_until = NULL, lease_owner = NULL, "
        "state = CASE WHEN leased_from IN ('new', 'retry') THEN 'retry' ELSE leased_from END, "
        "next_attempt_at = CASE WHEN leased_from IN ('new', 'retry') THEN $3 ELSE next_attempt_at END, "
        "leased_from = NULL "
        "WHERE campaign_id = $1 AND contact_id = ANY($2::bigint[]) AND state = 'leased'",
        campaign_id, list(contact_ids), retry_at,
    )
