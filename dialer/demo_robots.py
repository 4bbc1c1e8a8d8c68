"""The demo's robot operators: real operator records, signed in and taking calls by themselves.

Each robot is signed in to the workplace (so the supervisor console lists it), logged in to
the engine through its control interface, and given a nailed-up leg on the simulated switch,
as a person's phone would be; a ``RobotOperator`` then talks, hangs up and wraps up.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

import asyncpg

from dialer.errors import Conflict, InvalidInput
from dialer.workplace import sessions
from fs_app.engine.core import ControlError
from fs_app.engine.service import Engine

log = logging.getLogger("dialer.demo")


async def _sign_in(pool: asyncpg.Pool, operator_id: int) -> str:
    """A workplace session on the robot's own number; one left by an earlier run is ended first."""
    async with pool.acquire() as conn:
        user_id = await conn.fetchval("SELECT user_id FROM operators WHERE id = $1", operator_id)
        op = await sessions.operator_of_user(conn, user_id)
        if op is None or not op.phones:
            raise InvalidInput({"operator": f"demo operator {operator_id} has no phone"})
        await sessions.sign_out(conn, operator_id)
        session = await sessions.sign_in(conn, op, user_id, "simulated", op.phones[0])
    return session.number


def robots_starter(pool: asyncpg.Pool, operator_ids: Sequence[int]) -> Callable[[Engine], Awaitable[None]]:
    """The engine's ``on_started`` hook that brings the robots in (only on the simulated switch)."""
    # The client and its robots must be held here: asyncio keeps only weak references to the
    # client's reader task, so once ``start`` returned they were collected and the robots went deaf.
    held: list[object] = []

    async def start(engine: Engine) -> None:
        from fs_app.esl import EslClient
        from fs_app.switchsim.operators import RobotOperator, RobotProfile
        from fs_app.switchsim.population import Distribution

        if engine.switch is None:
            return  # a real switch: real people sign in through the workplace
        client = EslClient("127.0.0.1", engine.switch.port, engine.switch.config.password,
                           events=["CHANNEL_BRIDGE"], queue_events=False)
        await client.connect()
        engine.closers.append(client.close)
        profile = RobotProfile(talk=Distribution(15.0, 0.5, 3.0, 90.0), wrap_up=Distribution(4.0, 0.4, 1.0, 15.0))
        for i, op_id in enumerate(operator_ids):
            try:
                number = await _sign_in(pool, op_id)
            except (Conflict, InvalidInput) as exc:
                log.warning("demo: operator %s not signed in: %s", op_id, exc)
                continue
            key = str(op_id)
            engine.control.login(key, ready=True)
            leg = engine.switch.add_nailed_operator(number, key)

            def wrapped(customer: str, code: str, key: str = key) -> None:
                with contextlib.suppress(ControlError):  # the wrap-up limit may have run out first
                    engine.control.wrap_up(key, code)

            held.append(RobotOperator(client, leg, profile, seed=i, on_wrapped_up=wrapped))
        held.append(client)
        log.info("demo: %d robot operators logged in", len(operator_ids))

    return start
