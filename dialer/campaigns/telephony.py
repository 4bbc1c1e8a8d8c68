"""Telephony directories (R2.1-R2.4) and the per-call choices of caller ID and connector.

``pick_caller_id`` and ``pick_connector`` are pure: the dialer passes its own random
generator, the connectors' calls in progress and the round-robin position, so the choice
is reproducible in tests and free of shared state.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg

from dialer.campaigns.operators import normalize_number
from dialer.campaigns.refs import Field, RefKind
from dialer.errors import InvalidInput

log = logging.getLogger("dialer.campaigns")

ConnectorMode = Literal["first", "last", "round_robin"]
CONNECTOR_MODES: tuple[tuple[str, str], ...] = (
    ("first", "From the first"),
    ("last", "From the last"),
    ("round_robin", "Round robin"),
)


@dataclass(frozen=True)
class Connector:
    id: int
    address: str
    position: int
    capacity: int
    active: bool = True


def pick_caller_id(group_numbers: Sequence[str], rng: random.Random) -> str | None:
    """A random number of the strategy's caller-ID group; None when the group is empty."""
    if not group_numbers:
        return None
    return group_numbers[rng.randrange(len(group_numbers))]


def pick_connector(
    connectors: Sequence[Connector], in_use: Mapping[int, int], mode: ConnectorMode, rr_state: int | None
) -> Connector | None:
    """The connector for the next call, or None when every active one is full.

    "first" fills connectors in ascending order, "last" in descending order; "round robin"
    takes the next connector after ``rr_state`` (the id of the last one picked) that has
    room, so calls spread over all of them.
    """
    ordered = sorted((c for c in connectors if c.active), key=lambda c: (c.position, c.id))
    free = [c for c in ordered if in_use.get(c.id, 0) < c.capacity]
    if not free:
        return None
    if mode == "first":
        return free[0]
    if mode == "last":
        return free[-1]
    ids = [c.id for c in ordered]
    start = ids.index(rr_state) + 1 if rr_state in ids else 0
    for step in range(len(ordered)):
        candidate = ordered[(start + step) % len(ordered)]
        if in_use.get(candidate.id, 0) < candidate.capacity:
            return candidate
    return None  # unreachable: free is not empty


def parse_caller_ids(text: str) -> list[tuple[str, str]]:
    """Batch import lines ``number;description`` (``,`` or a tab also separate)."""
    out: dict[str, str] = {}
    errors = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("\t", ";").replace(",", ";").split(";", 1)]
        try:
            number = normalize_number(parts[0])
        except ValueError:
            errors.append(str(lineno))
            continue
        out[number] = parts[1] if len(parts) > 1 else ""
    if errors:
        raise InvalidInput({"numbers": "lines that are not phone numbers: " + ", ".join(errors[:20])})
    if not out:
        raise InvalidInput({"numbers": "required"})
    return list(out.items())


async def import_caller_ids(conn: asyncpg.Connection, text: str) -> int:
    """Adds new numbers, updates descriptions of known ones; returns how many lines were stored."""
    rows = parse_caller_ids(text)
    await conn.executemany(
        "INSERT INTO caller_ids (number, description) VALUES ($1, $2) "
        "ON CONFLICT (number) DO UPDATE SET description = EXCLUDED.description",
        rows,
    )
    log.info("caller ids imported: %d", len(rows))
    return len(rows)


async def delete_caller_ids(conn: asyncpg.Connection, ids: Sequence[int] | None) -> int:
    """Deletes the selected numbers, or all of them when ``ids`` is None."""
    if ids is None:
        result = await conn.execute("DELETE FROM caller_ids")
    else:
        result = await conn.execute("DELETE FROM caller_ids WHERE id = ANY($1::int[])", list(ids))
    count = int(result.split()[-1])
    log.info("caller ids deleted: %d", count)
    return count


async def group_numbers(conn: asyncpg.Connection, group_id: int) -> list[str]:
    rows = await conn.fetch(
        "SELECT c.number FROM caller_ids c JOIN caller_id_group_members m ON m.caller_id_id = c.id "
        "WHERE m.group_id = $1 ORDER BY c.number",
        group_id,
    )
    return [r["number"] for r in rows]


async def load_connectors(conn: asyncpg.Connection) -> tuple[list[Connector], ConnectorMode]:
    rows = await conn.fetch("SELECT id, address, position, capacity, active FROM connectors")
    mode = await conn.fetchval("SELECT mode FROM connector_settings")
    return [Connector(**dict(r)) for r in rows], mode


async def set_connector_mode(conn: asyncpg.Connection, mode: str) -> None:
    if mode not in {m for m, _ in CONNECTOR_MODES}:
        raise InvalidInput({"mode": "not one of the choices"})
    await conn.execute("UPDATE connector_settings SET mode = $1", mode)


async def _members(conn: asyncpg.Connection, group_id: int) -> dict[str, Any]:
    rows = await conn.fetch("SELECT caller_id_id FROM caller_id_group_members WHERE group_id = $1", group_id)
    return {"caller_id_ids": sorted(r["caller_id_id"] for r in rows)}


async def _save_members(conn: asyncpg.Connection, group_id: int, values: dict[str, Any]) -> None:
    await conn.execute("DELETE FROM caller_id_group_members WHERE group_id = $1", group_id)
    await conn.executemany(
        "INSERT INTO caller_id_group_members (group_id, caller_id_id) VALUES ($1, $2)",
        [(group_id, i) for i in values["caller_id_ids"]],
    )


def _check_number(values: dict[str, Any]) -> dict[str, str]:
    try:
        values["number"] = normalize_number(values["number"])
    except ValueError:
        return {"number": "not a phone number"}
    return {}


CALLER_IDS = RefKind(
    key="caller_ids",
    table="caller_ids",
    title="Caller IDs",
    singular="Caller ID",
    fields=(
        Field("number", "Number", required=True, max_len=25),
        Field("description", "Description", max_len=500),
    ),
    check=_check_number,
    order_by="number",
)

CALLER_ID_GROUPS = RefKind(
    key="caller_id_groups",
    table="caller_id_groups",
    title="Caller ID groups",
    singular="Caller ID group",
    fields=(
        Field("name", "Name", required=True),
        Field("description", "Description", "textarea", max_len=2000),
        Field("caller_id_ids", "Numbers", "multi", ref="caller_ids", ref_label="number", column=False),
    ),
    save_extra=_save_members,
    load_extra=_members,
)

CONNECTORS = RefKind(
    key="connectors",
    table="connectors",
    title="Connectors",
    singular="Connector",
    fields=(
        Field("name", "Name", required=True),
        Field("address", "Address", required=True, max_len=500, help="IP address or URL"),
        Field("position", "Order", "int", required=True, lo=0, hi=10000),
        Field("capacity", "Capacity", "int", required=True, lo=1, hi=100000, help="Concurrent calls"),
        Field("active", "Active", "bool"),
        Field("description", "Description", "textarea", max_len=2000),
    ),
    order_by="position",
)

IVR_NUMBERS = RefKind(
    key="ivr_numbers",
    table="ivr_numbers",
    title="IVR numbers",
    singular="IVR number",
    fields=(
        Field("name", "Name", required=True),
        Field("number", "Number", required=True, max_len=40),
        Field("description", "Description", "textarea", max_len=2000),
    ),
)

QUEUES = RefKind(
    key="queues",
    table="queues",
    title="Queues",
    singular="Queue",
    fields=(
        Field("name", "Name", required=True),
        Field("number", "Number", required=True, max_len=40),
        Field("password", "Password", "password", max_len=100, help="Empty keeps the stored password"),
        Field("identifier", "Identifier", required=True, max_len=100),
        Field("organization_id", "Organization", "ref", ref="organizations"),
    ),
    org_column="organization_id",
)
