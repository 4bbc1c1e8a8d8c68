"""Per-connector backoff: a gateway that refuses (INVALID_GATEWAY, throttling, out of order) rests.

FreeSWITCH's own rate limit answers DESTINATION_OUT_OF_ORDER with no channel at all, exactly like
a dead gateway, so these are counted per connector (node), never per number, and dialing on the
connector stops until the delay passes: no hot loop of originates.
"""

from __future__ import annotations

import logging

from fs_app.engine.commands import Command, Publish, SetLive
from fs_app.engine.state import ConnectorState

log = logging.getLogger("dialer.engine")

INITIAL_S = 1.0
MAX_S = 60.0


def connector_view(conn: ConnectorState, now: float) -> dict[str, object]:
    c = conn.connector
    return {"name": c.name, "gateway": c.gateway, "capacity": c.capacity, "active": conn.active,
            "backoff_until": conn.backoff_until if conn.backoff_until > now else None,
            "failures": conn.failures, "last_error": conn.last_error,
            "state": "backoff" if conn.backoff_until > now else "ok"}


def connector_failed(conn: ConnectorState, cause: str, now: float, out: list[Command]) -> None:
    conn.failures += 1
    conn.last_error = cause
    delay = min(MAX_S, INITIAL_S * 2 ** (conn.failures - 1))
    # Several originates may already be in flight when the first refusal arrives: they
    # extend the same pause rather than each doubling it.
    if conn.backoff_until <= now:
        conn.backoff_until = now + delay
        log.warning("connector %s: %s, pausing it for %.1f s", conn.connector.name, cause, delay)
    else:
        conn.failures -= 1
    conn.tokens = 0.0
    conn.published_state = "backoff"
    view = connector_view(conn, now)
    out.append(SetLive(("engine", "connector", conn.connector.name), view))
    out.append(Publish("connector", view))


def connector_ok(conn: ConnectorState) -> None:
    conn.failures = 0
    conn.last_error = ""
