"""The demo's dialing: an in-memory sample campaign, generated numbers and robot operators.

``dialer demo`` calls :func:`wire_demo` before the service starts, so the simulated switch
dials with nobody at the keyboard; the DB-backed campaign replaces this later.
"""

from __future__ import annotations

import contextlib
import logging

from fs_app.engine.core import ControlError
from fs_app.engine.memory import MemoryContacts, MemoryResults
from fs_app.engine.ports import CampaignConfig, Connector
from fs_app.engine.service import WIRING, Engine
from fs_app.pacing import DialMode

log = logging.getLogger("dialer.engine")

DEMO_OPERATORS = ("1", "2", "3", "4", "5")
DEMO_CAMPAIGN = 1


def wire_demo(numbers: int = 5000) -> MemoryResults:
    from fs_app.switchsim import Population
    from fs_app.switchsim.population import Distribution

    results = MemoryResults()
    WIRING.source = MemoryContacts(MemoryContacts.generate(numbers, seed=1), campaign_id=DEMO_CAMPAIGN)
    WIRING.sink = results
    WIRING.campaigns = [CampaignConfig(
        campaign_id=DEMO_CAMPAIGN, dial_mode=DialMode.PREDICTIVE, ring_timeout_s=20,
        caller_ids=("74951234567", "74951234568"), connectors=(Connector("carrier", "carrier", capacity=30, cps=5.0),),
        max_ports=20, wrap_up_s=20.0, greeting_sound="ivr/ivr-please_hold.wav",
    )]
    # Shorter conversations than the default population so the console changes while one watches.
    WIRING.population = Population(talk=Distribution(20.0, 0.5, 5.0, 120.0), ring=Distribution(4.0, 0.5, 0.5, 20.0))
    WIRING.on_started = _start_robots
    return results


async def _start_robots(engine: Engine) -> None:
    from fs_app.esl import EslClient
    from fs_app.switchsim.operators import RobotOperator, RobotProfile
    from fs_app.switchsim.population import Distribution

    if engine.switch is None:
        return  # a real switch: real people log in through the workplace
    robots_client = EslClient("127.0.0.1", engine.switch.port, engine.switch.config.password, events=["CHANNEL_BRIDGE"],
                              queue_events=False)
    await robots_client.connect()
    profile = RobotProfile(talk=Distribution(15.0, 0.5, 3.0, 90.0), wrap_up=Distribution(4.0, 0.4, 1.0, 15.0))
    for i, op_id in enumerate(DEMO_OPERATORS):
        engine.control.login(op_id, ready=True)
        leg = engine.switch.add_nailed_operator(f"10{op_id}", op_id)

        def wrapped(customer: str, code: str, op_id: str = op_id) -> None:
            with contextlib.suppress(ControlError):  # the wrap-up limit may have run out first
                engine.control.wrap_up(op_id, code)

        RobotOperator(robots_client, leg, profile, seed=i, on_wrapped_up=wrapped)
    log.info("demo: %d robot operators logged in, campaign %d dialing", len(DEMO_OPERATORS), DEMO_CAMPAIGN)
