"""Each recorded carrier behaviour, replayed against the simulator through our own client."""

from __future__ import annotations

import pytest

from fs_app.switchsim import CallPlan, Population, SimSwitch, SwitchConfig
from tests.esl.fixtures import FIXTURES
from tests.switchsim.compare import drive, origination_uuids, per_channel, subscribed


def plan(kind: str, *, ring: float = 0.05, early: bool = False) -> CallPlan:
    return CallPlan(kind, ring, early, talk_s=600.0, patience_s=600.0, machine_s=600.0)


CASES: dict[str, dict[str, CallPlan]] = {
    "busy_486": {"79990000001": plan("busy")},
    "unallocated_404": {"79990000001": plan("unallocated")},
    "no_user_response_480": {"79990000001": plan("no_user_response")},
    "rejected_603": {"79990000001": plan("rejected")},
    "temp_failure_503": {"79990000001": plan("temp_failure")},
    "no_answer_timeout": {"79990000001": plan("no_answer")},
    "answered_then_killed": {"79990000001": plan("human")},
    "early_media_consume_then_answer": {"79990000001": plan("human", early=True)},
    "early_media_default_parks_before_answer": {"79990000001": plan("human", early=True)},
    "invalid_gateway": {},
    "throttled": {},
    "bridge_nailed_up_agent_all_events": {"79990000002": plan("human")},
    "bridge_after_sendmsg_playback_and_break": {"79990000002": plan("human")},
    "bridge_during_sendmsg_playback": {"79990000002": plan("human")},
    "bridge_after_uuid_broadcast_hangs": {"79990000002": plan("human")},
    "transfer_to_ivr": {"79990000003": plan("human")},
    "eavesdrop_whisper_barge": {"79990000003": plan("human")},
    "unicast_human": {},
    "unicast_machine": {},
}
# The recording waited 5 s for no answer; the simulator honours originate_timeout, so the
# test asks for 1 s instead of sleeping through the real value.
REWRITES = {"no_answer_timeout": {"originate_timeout=5": "originate_timeout=1"}}


@pytest.mark.parametrize("name", sorted(CASES))
async def test_simulator_matches_recording(name: str) -> None:
    path = FIXTURES / f"{name}.esl"
    config = SwitchConfig(port=0, population=Population(seed=7), operator_answer_s=0.02, progress_s=0.01)
    async with SimSwitch(config) as switch:
        for number, p in CASES[name].items():
            switch.pin(number, p)
        real, sim = await drive(path, switch, REWRITES.get(name))
    names = subscribed(path)
    ours = origination_uuids(path)
    expected = per_channel(real, names, ours)
    assert expected, "fixture has channels to compare"
    assert per_channel(sim, names, ours) == expected
