"""Property tests (issue #4 item 10): over random configurations, clocks and concurrent
callers, the selector never returns a DNC contact, a contact outside its window or on the
wrong day type, one over its maximum attempts, or one already leased.

The oracle below recomputes local time and day type with zoneinfo and the holidays
package directly, not through ``dialer.dialing.clock``.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from hypothesis import HealthCheck, event, given, settings, target
from hypothesis import strategies as st

from dialer.db import create_pool
from dialer.dialing import lifecycle, selector
from tests.dialing.helpers import make_campaign, make_dnc, make_list, make_strategy

ZONES = ["Europe/Moscow", "Asia/Tokyo", "America/New_York", "Asia/Kolkata", None]
BASE = datetime(2025, 1, 1, tzinfo=UTC)

contact_st = st.tuples(
    st.sampled_from(ZONES),  # phone zone
    st.booleans(),  # on the DNC list
    st.integers(0, 4),  # attempts already made
    st.sampled_from(["none", "live", "expired"]),  # someone else's lease on it
    st.booleans(),  # has a due callback
    st.sampled_from(["new", "retry_due", "retry_later"]),  # dial state before the lease
)
config_st = st.fixed_dictionaries(
    {
        "contacts": st.lists(contact_st, min_size=1, max_size=10),
        "start": st.integers(0, 23),
        "end": st.integers(0, 23),
        "call_days": st.sampled_from(["all", "working", "holiday"]),
        "tz_mode": st.sampled_from(["customer", "campaign"]),
        "max_attempts": st.one_of(st.none(), st.integers(1, 4)),
        "minutes": st.integers(0, 60 * 24 * 400),
        "override": st.booleans(),
        "callers": st.lists(st.integers(1, 6), min_size=1, max_size=4),
    }
)


def _oracle_open(now: datetime, tz: str, start: int, end: int, call_days: str, override: date | None) -> bool:
    local = now.astimezone(ZoneInfo(tz))
    t = local.time()
    s, e = time(start), time(end)
    if s == e:
        inside = True
    elif s < e:
        inside = s <= t < e
    else:
        inside = t >= s or t < e
    d = local.date()
    if override is not None and d == override:
        working = True  # the override marks that day working
    else:
        working = d.weekday() < 5 and d not in holidays.country_holidays("RU", years=d.year)
    return inside and (call_days == "all" or (call_days == "working") == working)


def _eligible(c: tuple[Any, ...], cfg: dict[str, Any], now: datetime, override: date | None) -> bool:
    zone_name, on_dnc, attempts, _lease, callback, state = c
    tz = zone_name if cfg["tz_mode"] == "customer" and zone_name else "Europe/Moscow"
    return (
        not on_dnc
        and (cfg["max_attempts"] is None or attempts < cfg["max_attempts"])
        and (state != "retry_later" or callback)  # a due callback calls a retry early
        and _oracle_open(now, tz, cfg["start"], cfg["end"], cfg["call_days"], override)
    )


async def _example(dsn: str, cfg: dict[str, Any]) -> int:
    """Check one configuration; returns how many contacts the concurrent callers got."""
    pool = await create_pool(dsn, 1, 6)
    tag = secrets.token_hex(4)
    now = BASE + timedelta(minutes=cfg["minutes"])
    try:
        async with pool.acquire() as conn:
            override = None
            if cfg["override"]:
                override = now.astimezone(ZoneInfo("Europe/Moscow")).date()
                await conn.execute(
                    "INSERT INTO calendar_overrides (day, working) VALUES ($1, true) "
                    "ON CONFLICT (day) DO UPDATE SET working = true", override,
                )
            sid = await make_strategy(conn, f"S{tag}", time(cfg["start"]), time(cfg["end"]), cfg["max_attempts"])
            prefix = int(tag, 16) % 10_000
            phones = [[("phone", f"+7900{prefix:04d}{i:03d}", c[0])] for i, c in enumerate(cfg["contacts"])]
            lid, ids = await make_list(conn, f"L{tag}", phones)
            dnc_numbers = [p[0][1] for p, c in zip(phones, cfg["contacts"], strict=True) if c[1]]
            dnc = await make_dnc(conn, f"D{tag}", dnc_numbers)
            cid = await make_campaign(conn, f"C{tag}", strategy_id=sid, lists=[lid], dnc_lists=[dnc],
                                      call_days=cfg["call_days"], tz_mode=cfg["tz_mode"], campaign_tz="Europe/Moscow")
            await lifecycle.change_state(conn, cid, "start")
            leased = set()
            for contact_id, (_z, _d, attempts, lease, callback, state) in zip(ids, cfg["contacts"], strict=True):
                await conn.execute(
                    "UPDATE campaign_contacts SET attempts = $3, state = $4, next_attempt_at = $5 "
                    "WHERE campaign_id = $1 AND contact_id = $2",
                    cid, contact_id, attempts, "new" if state == "new" else "retry",
                    now + timedelta(minutes=10 if state == "retry_later" else -10),
                )
                if lease != "none":
                    # As the selector leases: state 'leased', the old state kept in leased_from.
                    await conn.execute(
                        "UPDATE campaign_contacts SET leased_from = state, state = 'leased', lease_id = 'x', "
                        "lease_until = $3 WHERE campaign_id = $1 AND contact_id = $2",
                        cid, contact_id, now + timedelta(minutes=1 if lease == "live" else -1),
                    )
                if lease == "live":
                    leased.add(contact_id)
                if callback:
                    await conn.execute(
                        "INSERT INTO callbacks (campaign_id, contact_id, phone_field, due_at) "
                        "VALUES ($1, $2, 'phone', $3)",
                        cid, contact_id, now - timedelta(minutes=5),
                    )

        async def call(n: int, i: int) -> list[selector.Target]:
            async with pool.acquire() as c:
                return await selector.select(c, cid, n, now, f"caller{i}")

        batches = await asyncio.gather(*(call(n, i) for i, n in enumerate(cfg["callers"])))
        got = [t for b in batches for t in b]
        by_id = dict(zip(ids, cfg["contacts"], strict=True))
        assert len({t.contact_id for t in got}) == len(got), "a contact leased twice"
        for t in got:
            zone_name, on_dnc, attempts, _lease, _cb, _state = by_id[t.contact_id]
            assert not on_dnc, f"DNC contact {t.contact_id}"
            assert t.contact_id not in leased, f"already leased {t.contact_id}"
            assert cfg["max_attempts"] is None or attempts < cfg["max_attempts"]
            tz = zone_name if cfg["tz_mode"] == "customer" and zone_name else "Europe/Moscow"
            assert _oracle_open(now, tz, cfg["start"], cfg["end"], cfg["call_days"], override), (
                f"contact {t.contact_id} in {tz} outside its window/day at {now}"
            )
        # Completeness: what the concurrent callers left, one more caller gets; together they
        # got exactly the contacts the oracle allows (none lost, expired leases came back).
        async with pool.acquire() as c:
            rest = await selector.select(c, cid, 100, now, "last")
        assert not {t.contact_id for t in rest} & {t.contact_id for t in got}, "leased twice"
        expected = {cid_ for cid_, c in by_id.items() if _eligible(c, cfg, now, override) and cid_ not in leased}
        assert {t.contact_id for t in got + rest} == expected
        return len(got)
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM calendar_overrides")
        await pool.close()


MIN_NON_EMPTY = 0.3  # measured 0.57 over 40 examples (set by the strategies above); less means the test went weak


def test_selector_never_breaks_the_rules(db_dsn: str) -> None:
    runs: list[int] = []

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(cfg=config_st)
    def check(cfg: dict[str, Any]) -> None:
        got = asyncio.run(_example(db_dsn, cfg))
        event("selection non-empty" if got else "selection empty")
        target(float(got), label="contacts selected")
        runs.append(got)

    check()
    # An example whose selection is empty proves little about what is returned; make sure
    # the generated configurations keep producing real selections.
    share = sum(1 for n in runs if n) / len(runs)
    assert share >= MIN_NON_EMPTY, f"only {share:.0%} of {len(runs)} examples selected anything"
