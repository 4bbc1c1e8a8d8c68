"""Operator sign-in to the workplace: one session per operator, one operator per number (R4.4, R7.1).

The primary keys of ``workplace_sessions`` and ``operator_phone_sessions`` are what refuse a
second login, so two browsers racing each other cannot both win.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import asyncpg

from dialer.campaigns.operators import login_numbers
from dialer.errors import Conflict, InvalidInput

log = logging.getLogger("dialer.workplace")

MODES = ("softphone", "simulated", "phone")


@dataclass(frozen=True)
class Operator:
    id: int
    name: str
    organization_id: int | None
    skills: dict[str, int]
    phones: tuple[str, ...]


@dataclass(frozen=True)
class Session:
    operator_id: int
    mode: str
    number: str

    @property
    def engine_login(self) -> dict[str, Any]:
        """The engine's login fields: the softphone calls ``agent_login`` itself and stays parked;
        a phone (or the simulated switch's auto-answering phone) gets the nailed-up login call."""
        if self.mode == "softphone":
            return {"mode": "nailed"}
        return {"mode": "nailed", "endpoint": f"user/{self.number}"}


async def operator_of_user(conn: asyncpg.Connection, user_id: int) -> Operator | None:
    row = await conn.fetchrow("SELECT id, name, organization_id FROM operators WHERE user_id = $1", user_id)
    if row is None:
        return None
    skills = await conn.fetch(
        "SELECT s.name, k.level FROM operator_skills k JOIN skills s ON s.id = k.skill_id WHERE k.operator_id = $1",
        row["id"],
    )
    phones = await conn.fetch("SELECT number FROM operator_phones WHERE operator_id = $1 ORDER BY number", row["id"])
    return Operator(row["id"], row["name"], row["organization_id"], {r["name"]: r["level"] for r in skills},
                    tuple(r["number"] for r in phones))


async def current(conn: asyncpg.Connection, operator_id: int) -> Session | None:
    row = await conn.fetchrow("SELECT mode, number FROM workplace_sessions WHERE operator_id = $1", operator_id)
    return Session(operator_id, row["mode"], row["number"]) if row else None


async def sign_in(conn: asyncpg.Connection, op: Operator, user_id: int, mode: str, number: str) -> Session:
    if mode not in MODES:
        raise InvalidInput({"mode": "choose softphone, simulated audio or phone"})
    if not number.strip():
        raise InvalidInput({"number": "choose or enter the phone number you work on"})
    async with conn.transaction():
        held = await conn.fetchrow("SELECT since FROM workplace_sessions WHERE operator_id = $1 FOR UPDATE", op.id)
        if held is not None:
            raise Conflict(f"operator {op.name} is already signed in (since {held['since']:%H:%M:%S}); "
                           "sign out there first or ask a supervisor to reset the session")
        sessions = {r["number"]: r["operator_id"] for r in await conn.fetch("SELECT number, operator_id FROM "
                                                                              "operator_phone_sessions")}
        masks = [r["mask"] for r in await conn.fetch("SELECT mask FROM phone_masks")]
        decision = login_numbers(op.id, op.phones, [number], masks, sessions)
        if decision.refused:
            number_refused, why = next(iter(decision.refused.items()))
            raise InvalidInput({"number": f"{number_refused}: {why}"})
        chosen = decision.use[0]
        for new in decision.add:
            await conn.execute("INSERT INTO operator_phones (operator_id, number) VALUES ($1, $2) "
                               "ON CONFLICT DO NOTHING", op.id, new)
        try:
            await conn.execute("INSERT INTO operator_phone_sessions (number, operator_id) VALUES ($1, $2)",
                               chosen, op.id)
            await conn.execute("INSERT INTO workplace_sessions (operator_id, user_id, mode, number) "
                               "VALUES ($1, $2, $3, $4)", op.id, user_id, mode, chosen)
        except asyncpg.UniqueViolationError:
            raise Conflict("signed in from another place a moment ago; reload the page") from None
    log.info("operator %s signed in (%s, %s)", op.id, mode, chosen)
    return Session(op.id, mode, chosen)


async def sign_out(conn: asyncpg.Connection, operator_id: int) -> None:
    async with conn.transaction():
        await conn.execute("DELETE FROM operator_phone_sessions WHERE operator_id = $1", operator_id)
        await conn.execute("DELETE FROM workplace_sessions WHERE operator_id = $1", operator_id)
    log.info("operator %s signed out", operator_id)
