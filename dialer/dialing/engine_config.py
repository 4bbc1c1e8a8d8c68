"""The running campaigns as the call engine sees them: one ``CampaignConfig`` per campaign.

Built from the campaign, its strategy, the connectors (mode, capacity, active) and the
caller-ID group. A campaign that cannot be dialed as configured (no active connector, an
empty caller-ID group) is left out and the reason logged once, while the selector's own
checks (call window, minimum operators) stay with the contact source.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from dialer.contacts.timezones import zone
from dialer.dialing.amd_estimate import model_false_positive_rate, strategy_false_positive_rate
from fs_app.engine.ports import CampaignConfig, Connector
from fs_app.pacing import DialMode

log = logging.getLogger("dialer.dialing")

# The strategy's intensity is a choice; the pacer takes a multiplier on its abandon budget
# (None lets cruise control choose). "normal" is the pacer's neutral gain.
INTENSITY_GAIN: dict[str, float] = {"low": 0.5, "normal": 1.0, "high": 1.5}
DEFAULT_WRAP_UP_S = 30.0
DEFAULT_PREVIEW_S = 30.0
# One connector = one sofia gateway of the same name (freeswitch/conf/sip_profiles/carrier/).
GATEWAY_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")

_CAMPAIGNS_SQL = """
SELECT c.id, c.prefix, c.start_at, c.start_tz, s.dial_mode, s.calls_per_operator, s.intensity, s.ring_timeout,
       s.caller_id_group_id, s.max_ports, s.amd, s.wrapup_seconds, s.preview_seconds, s.quality_percent,
       s.sip_id_type, s.min_operators, s.max_operators, s.amd_false_positive_pct, ci.key AS default_code,
       sk.name AS skill_name,
       q.number AS quality_number
FROM campaigns c
JOIN strategies s ON s.id = c.strategy_id
LEFT JOIN completion_codes ci ON ci.id = s.default_code_id
LEFT JOIN skills sk ON sk.id = s.skill_id
LEFT JOIN ivr_numbers q ON q.id = s.quality_ivr_id
WHERE c.state = 'running'
ORDER BY c.id
"""


@dataclass(frozen=True)
class Loaded:
    """What one load found: the configurations, and why the others are left out."""

    configs: dict[int, CampaignConfig]
    skipped: dict[int, str]
    any_amd: bool


def _started(row: asyncpg.Record, now: datetime) -> bool:
    start_at = row["start_at"]
    return start_at is None or now >= start_at.replace(tzinfo=zone(row["start_tz"]))


async def _connectors(conn: asyncpg.Connection) -> tuple[tuple[Connector, ...], bool]:
    """Active connectors in the system-wide mode's order, and whether to fill them in that order."""
    mode = await conn.fetchval("SELECT mode FROM connector_settings") or "first"
    rows = await conn.fetch(
        "SELECT name, capacity FROM connectors WHERE active ORDER BY position, id"
    )
    usable = []
    for r in rows:
        if GATEWAY_NAME.match(r["name"]):
            usable.append(Connector(r["name"], r["name"], capacity=int(r["capacity"])))
        else:
            log.warning("connector %r is not a valid gateway name (letters, digits, . _ -): not used", r["name"])
    if mode == "last":
        usable.reverse()
    # Round robin spreads calls: the engine's default picks the connector with most room to send.
    return tuple(usable), mode != "round_robin"


async def _caller_ids(conn: asyncpg.Connection) -> dict[int, tuple[str, ...]]:
    rows = await conn.fetch(
        "SELECT m.group_id, c.number FROM caller_id_group_members m JOIN caller_ids c ON c.id = m.caller_id_id "
        "ORDER BY m.group_id, c.number"
    )
    out: dict[int, list[str]] = {}
    for r in rows:
        out.setdefault(r["group_id"], []).append(r["number"].removeprefix("+"))
    return {k: tuple(v) for k, v in out.items()}


def _config(row: asyncpg.Record, connectors: tuple[Connector, ...], in_order: bool,
            caller_ids: tuple[str, ...], measured_fp: float | None = None) -> CampaignConfig:
    mode = DialMode(row["dial_mode"])
    prefix = row["prefix"] or ""
    kw: dict[str, Any] = {
        "campaign_id": row["id"],
        "dial_mode": mode,
        "call_rate": float(row["calls_per_operator"]),
        "intensity": INTENSITY_GAIN.get(row["intensity"] or ""),
        "ring_timeout_s": int(row["ring_timeout"]),
        "caller_ids": caller_ids,
        # The campaign's dial prefix goes on its own view of each connector (the engine keeps
        # capacity per connector name, shared by the campaigns using it).
        "connectors": tuple(Connector(c.name, c.gateway, prefix, c.capacity) for c in connectors),
        "fill_in_order": in_order,
        "max_ports": row["max_ports"],
        "amd": bool(row["amd"]),
        # People AMD hangs up on count as abandons: the pacer budgets for them and, when they alone would
        # break the cap, sends machine verdicts to operators instead (see amd_estimate).
        "amd_false_positive_rate": strategy_false_positive_rate(bool(row["amd"]), row["amd_false_positive_pct"],
                                                                measured_fp),
        "wrap_up_s": float(row["wrapup_seconds"]) if row["wrapup_seconds"] is not None else DEFAULT_WRAP_UP_S,
        "preview_s": float(row["preview_seconds"]) if row["preview_seconds"] is not None else DEFAULT_PREVIEW_S,
        "quality_ivr": row["quality_number"] or "",
        "quality_percent": int(row["quality_percent"]) if row["quality_number"] else 0,
        "sip_id_type": row["sip_id_type"],
        "skill": row["skill_name"],
        "max_operators": row["max_operators"],
    }
    if row["default_code"]:
        kw["default_code"] = row["default_code"]
    if row["min_operators"] is not None:
        kw["min_operators"] = int(row["min_operators"])
    elif mode is DialMode.AGENTLESS:
        kw["min_operators"] = 0  # nobody to wait for: the IVR takes the call
    return CampaignConfig(**kw)


async def load_running(conn: asyncpg.Connection, now: datetime | None = None) -> Loaded:
    """The campaigns that may dial now as far as their lifecycle goes (running, start time passed)."""
    now = now or datetime.now(UTC)
    rows = [r for r in await conn.fetch(_CAMPAIGNS_SQL) if _started(r, now)]
    connectors, in_order = await _connectors(conn)
    groups = await _caller_ids(conn)
    # Read (and, for a model never evaluated, measured once) only when a running campaign relies on it.
    measured_fp = (await model_false_positive_rate(conn)
                   if any(r["amd"] and r["amd_false_positive_pct"] is None for r in rows) else None)
    configs: dict[int, CampaignConfig] = {}
    skipped: dict[int, str] = {}
    for r in rows:
        numbers = groups.get(r["caller_id_group_id"], ()) if r["caller_id_group_id"] is not None else ()
        if not numbers:
            skipped[r["id"]] = "the strategy's caller-ID group is missing or empty"
        elif not connectors:
            skipped[r["id"]] = "no active connector"
        else:
            try:
                configs[r["id"]] = _config(r, connectors, in_order, numbers, measured_fp)
            except ValueError as exc:  # e.g. agentless without an IVR target
                skipped[r["id"]] = str(exc)
    any_amd = bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM strategies WHERE amd)"))
    return Loaded(configs, skipped, any_amd)
