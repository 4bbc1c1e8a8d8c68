"""Completion codes (R4.1) and completion-code groups (R4.2).

System codes are seeded by the migration with stable keys: the call engine maps hangup
causes to these keys, and rule chains refer to codes by key, so renaming a code never
breaks a strategy.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from dialer.campaigns.refs import Field, RefKind, Usage

# Keys the call engine sets (R5.10); the migration seeds them with Russian names.
SYSTEM_CODES: tuple[str, ...] = (
    "answered_human",
    "busy",
    "no_answer",
    "rejected",
    "unallocated",
    "network_failure",
    "answering_machine",
    "robot",
    "silence",
    "abandoned_queue",
    "preview_rejected",
    "wrapup_timeout",
    "invalid_gateway",
    "sit_tone",
    "fax",
)

_RULE_USES_CODE = (
    "SELECT s.name FROM strategies s JOIN completion_codes c ON c.id = $1 "
    "WHERE jsonb_path_exists(s.rules, '$.**.code ? (@ == $k)', jsonb_build_object('k', c.key)) ORDER BY 1"
)

CODES = RefKind(
    key="completion_codes",
    table="completion_codes",
    title="Completion codes",
    singular="Completion code",
    fields=(
        Field("name", "Name", required=True),
        Field(
            "key",
            "Key",
            required=True,
            max_len=63,
            help="Latin letters, digits and _; rules refer to the code by it",
            pattern=r"[a-z][a-z0-9_]{0,62}",
            pattern_message="use small Latin letters, digits and _",
            editable=lambda row: not row.get("system"),
        ),
        Field(
            "used_by",
            "Used by",
            "choice",
            required=True,
            choices=(("operator", "Operator"), ("system", "System")),
            editable=lambda row: not row.get("system"),
        ),
        Field("description", "Description", "textarea", max_len=2000),
    ),
    usages=(
        Usage("strategy rules", _RULE_USES_CODE),
        Usage(
            "code group",
            "SELECT g.name FROM code_groups g JOIN code_group_members m ON m.group_id = g.id "
            "WHERE m.code_id = $1 ORDER BY 1",
        ),
    ),
    protected="system",
    protected_message="a system code cannot be deleted",
)


async def _group_members(conn: asyncpg.Connection, group_id: int) -> dict[str, Any]:
    rows = await conn.fetch("SELECT code_id FROM code_group_members WHERE group_id = $1", group_id)
    return {"code_ids": sorted(r["code_id"] for r in rows)}


async def _save_members(conn: asyncpg.Connection, group_id: int, values: dict[str, Any]) -> None:
    await conn.execute("DELETE FROM code_group_members WHERE group_id = $1", group_id)
    await conn.executemany(
        "INSERT INTO code_group_members (group_id, code_id) VALUES ($1, $2)",
        [(group_id, code_id) for code_id in values["code_ids"]],
    )


CODE_GROUPS = RefKind(
    key="code_groups",
    table="code_groups",
    title="Completion code groups",
    singular="Completion code group",
    fields=(
        Field("name", "Name", required=True),
        Field("description", "Description", "textarea", max_len=2000),
        Field("code_ids", "Codes", "multi", ref="completion_codes", column=False),
    ),
    save_extra=_save_members,
    load_extra=_group_members,
)


async def code_keys(conn: asyncpg.Connection) -> set[str]:
    return {r["key"] for r in await conn.fetch("SELECT key FROM completion_codes")}


async def group_code_keys(conn: asyncpg.Connection, group_id: int) -> set[str]:
    """Codes an operator may set in a campaign using this group (R4.2)."""
    rows = await conn.fetch(
        "SELECT c.key FROM completion_codes c JOIN code_group_members m ON m.code_id = c.id "
        "WHERE m.group_id = $1",
        group_id,
    )
    return {r["key"] for r in rows}
