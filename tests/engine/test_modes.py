"""Queueing with a greeting, abandon in queue, AMD, preview, agentless, in-call actions."""

from __future__ import annotations

import asyncio

from fs_app.calls.call_states import CallState
from fs_app.calls.operator_states import OperatorState
from fs_app.engine.core import ControlError
from fs_app.pacing import DialMode
from fs_app.switchsim import Population
from tests.engine.rig import HUMAN, config, plan, rig, target


async def test_no_operator_free_greeting_by_sendmsg_then_connected_when_one_frees() -> None:
    async with rig(targets=[target(1), target(2)]) as r:
        r.pin(1, HUMAN)
        r.pin(2, HUMAN)
        broadcasts: list[str] = []
        real_api = r.switch.api

        def spy(command: str) -> str:
            if command.startswith("uuid_broadcast"):
                broadcasts.append(command)
            return real_api(command)

        r.switch.api = spy  # type: ignore[method-assign]
        await r.nailed("7")
        # Progressive dials one per free operator; force the second dial by a rate of 2.
        r.control.set_call_rate(1, 2.0)
        await r.until(lambda: any(c.state is CallState.QUEUED for c in r.core.st.calls.values()))
        queued = next(c for c in r.core.st.calls.values() if c.state is CallState.QUEUED)
        ch = r.switch.core.channels[queued.call_id]
        await r.until(lambda: bool(ch.overlay))  # greeting / hold music running via sendmsg execute
        assert ch.overlay[0][0] == "playback"
        talking = r.operator("7").call_id
        r.switch.core.hangup(talking, "NORMAL_CLEARING")
        await r.until(lambda: r.operator("7").state is OperatorState.WRAP_UP)
        r.control.wrap_up("7", "sale")
        await r.until(lambda: r.core.st.calls.get(queued.call_id) is not None
                      and r.core.st.calls[queued.call_id].state is CallState.TALKING)
        assert r.switch.core.channels[queued.call_id].bridged
        assert broadcasts == []  # never uuid_broadcast to a leg we bridge later
        r.switch.core.hangup(queued.call_id)
        r.control.set_call_rate(1, 1.0)
        await r.until(lambda: r.operator("7").state is OperatorState.WRAP_UP)
        r.control.wrap_up("7", "sale")
        res = await r.result(queued.target.contact_id)
        assert res.wait_to_operator_ms is not None and res.connected_at is not None
        # The wait runs from the moment the call was ready for an operator (with AMD off, the answer as the
        # engine saw it: its own clock read, which can differ from answered_at by a rounding millisecond).
        assert abs(res.wait_to_operator_ms - round((res.connected_at - res.answered_at) * 1000)) <= 1


async def test_customer_hangs_up_in_queue_is_abandoned_queue() -> None:
    async with rig(targets=[target(1), target(2)]) as r:
        r.pin(1, HUMAN)
        r.pin(2, plan("human", patience_s=0.3))
        await r.nailed("7")
        r.control.set_call_rate(1, 2.0)
        res = await r.result(2, within_s=5)
        assert res.system_code == "abandoned_queue" and res.connected_at is None
        assert res.answered_at is not None and res.operator_id is None


async def test_amd_machine_is_hung_up_with_answering_machine_code() -> None:
    async with rig(config(amd=True), targets=[target(1)], amd=True) as r:
        r.pin(1, plan("voicemail", machine_s=20.0))
        await r.nailed("7")
        res = await r.result(1, within_s=12)
        assert res.system_code in ("answering_machine", "robot")
        assert res.amd_verdict in ("machine", "robot") and res.operator_id is None
        assert r.operator("7").state is OperatorState.READY


async def test_amd_lever_sends_machine_verdicts_to_operators_when_false_positives_would_break_the_cap() -> None:
    # 5 % of people hung up on as machines is more than the 3 % cap allows: the pacer turns the lever.
    async with rig(config(amd=True, amd_false_positive_rate=0.05), targets=[target(1)], amd=True) as r:
        r.pin(1, plan("voicemail", machine_s=20.0))
        await r.nailed("7")
        await r.until(lambda: r.operator("7").call_id is not None
                      and r.core.st.calls[r.operator("7").call_id].state is CallState.TALKING, within_s=12)
        call = r.core.st.calls[r.operator("7").call_id]
        assert call.amd_verdict in ("machine", "robot")
        assert not r.core.st.campaigns[1].amd_hangup
        pacer = r.core.st.campaigns[1].pacer
        talk, wrap = pacer.talk.view().mean, pacer.wrap.view().mean
        r.switch.core.hangup(call.call_id)
        await r.until(lambda: r.operator("7").state is OperatorState.WRAP_UP)
        r.control.wrap_up("7", "answering_machine")
        res = await r.result(1)
        assert res.operator_id == "7" and res.connected_at is not None
        # A machine handled in seconds says nothing about how long operators' calls with people last.
        assert (pacer.talk.view().mean, pacer.wrap.view().mean) == (talk, wrap)


async def test_amd_lever_never_sends_dead_air_to_an_operator() -> None:
    # The lever is on (5 % false positives), but SILENCE, like a SIT tone or a fax, is never a misheard person.
    async with rig(config(amd=True, amd_false_positive_rate=0.05), targets=[target(1)], amd=True) as r:
        r.pin(1, plan("silence", machine_s=20.0))
        await r.nailed("7")
        res = await r.result(1, within_s=12)
        assert not r.core.st.campaigns[1].amd_hangup
        assert res.amd_verdict == "silence" and res.operator_id is None and res.connected_at is None
        assert r.operator("7").state is OperatorState.READY


async def test_preview_accept_reject_and_timeout() -> None:
    cfg = config(dial_mode=DialMode.PREVIEW, preview_s=60)
    async with rig(cfg, targets=[target(1), target(2), target(3)]) as r:
        for n in (1, 2, 3):
            r.pin(n, HUMAN)
        await r.nailed("7")
        await r.until(lambda: r.operator("7").state is OperatorState.RESERVED)
        assert not r.originates or all("sofia/gateway" not in o for o in r.originates)  # nothing dialled yet
        r.control.preview_reject("7", "wrong_person")
        res1 = await r.result(1)
        assert (res1.system_code, res1.operator_code) == ("preview_rejected", "wrong_person")
        await r.until(lambda: r.operator("7").state is OperatorState.RESERVED)
        r.control.preview_accept("7")
        await r.until(lambda: r.operator("7").state is OperatorState.TALKING)
        r.switch.core.hangup(r.operator("7").call_id)
        await r.until(lambda: r.operator("7").state is OperatorState.WRAP_UP)
        r.core.update_campaign(1, 0, preview_s=0.3)  # the next card times out = accepted
        r.control.wrap_up("7", "sale")
        assert (await r.result(2)).operator_code == "sale"
        await r.until(lambda: r.operator("7").state is OperatorState.TALKING, within_s=5)
        assert r.core.st.calls[r.operator("7").call_id].target.contact_id == 3
        try:
            r.control.preview_accept("7")
            raise AssertionError("no card to accept while talking")
        except ControlError:
            pass


async def test_agentless_transfers_answered_calls_to_the_ivr_with_the_contact_header() -> None:
    pop = Population(shares={"human": 1.0}, answer_by_hour=(1.0,) * 24, seed=5,
                     dialplan={"reminder": (("answer", ""), ("playback", "silence_stream://300"))})
    cfg = config(dial_mode=DialMode.AGENTLESS, ivr_target="reminder", max_ports=5)
    async with rig(cfg, targets=[target(1)], population=pop) as r:
        r.pin(1, HUMAN)
        res = await r.result(1)
        assert res.system_code == "answered_human" and res.operator_id is None
        assert any("sip_h_X-Dialer-Contact-Id=1" in o for o in r.originates)
        # The result is recorded when the transfer is sent; the switch applies it a moment later.
        def in_ivr() -> bool:
            ch = r.switch.core.channels.get(res.call_id)
            return ch is None or (ch.app is not None and ch.app[0] in ("playback", "answer"))

        await r.until(in_ivr)


async def test_hold_transfer_to_ivr_and_supervisor_modes() -> None:
    pop = Population(shares={"human": 1.0}, answer_by_hour=(1.0,) * 24, seed=5,
                     dialplan={"ivr_survey": (("answer", ""), ("playback", "silence_stream://2000"))})
    async with rig(config(quality_ivr="ivr_survey", quality_percent=100), targets=[target(1)],
                   population=pop) as r:
        r.pin(1, HUMAN)
        await r.nailed("7")
        await r.until(lambda: r.operator("7").state is OperatorState.TALKING)
        call_id = r.operator("7").call_id
        r.control.hold("7", True)
        await r.until(lambda: r.operator("7").state is OperatorState.ON_HOLD)
        r.control.hold("7", False)
        await r.until(lambda: r.operator("7").state is OperatorState.TALKING)
        r.control.eavesdrop("s1", "user/2001", "7", "listen")
        sup = next(iter(r.core.st.supervisors))
        await r.until(lambda: sup in r.switch.core.channels and r.switch.core.channels[sup].app is not None)
        assert r.switch.core.channels[sup].app == ("eavesdrop", r.operator("7").leg)
        dtmf: list[str] = []
        r.driver.client.add_event_handler(lambda e: dtmf.append(e.get("DTMF-Digit")) if e.name == "DTMF" else None)
        r.control.eavesdrop_mode("s1", "whisper")
        r.control.eavesdrop_mode("s1", "barge")
        r.control.eavesdrop_mode("s1", "listen")
        await r.until(lambda: dtmf == ["2", "3", "0"])
        # End by the operator: 100 % go to the quality survey (R5.11), the operator wraps up.
        r.control.end_call("7")
        await r.until(lambda: r.operator("7").state is OperatorState.WRAP_UP)
        await r.until(lambda: r.switch.core.channels[call_id].app is not None
                      and r.switch.core.channels[call_id].app[0] in ("answer", "playback"))
        r.control.wrap_up("7", "sale")
        res = await r.result(1)
        assert (res.system_code, res.operator_code) == ("answered_human", "sale")
        await asyncio.sleep(0)


async def test_direct_mode_rings_the_operator_phone_per_call() -> None:
    async with rig(targets=[target(1)]) as r:
        r.pin(1, plan("human", talk_s=0.3))
        r.control.login("5", mode="direct", endpoint="user/1005", ready=True)
        await r.until(lambda: r.operator("5").state is OperatorState.TALKING)
        assert any("dialer_role=agent_direct" in o and "sip_auto_answer=true" in o for o in r.originates)
        await r.until(lambda: r.operator("5").state is OperatorState.WRAP_UP)
        assert r.operator("5").leg is None  # the phone leg ended with the call
        r.control.wrap_up("5", "sale")
        res = await r.result(1)
        assert (res.operator_id, res.operator_code) == ("5", "sale")


async def test_transfer_to_another_operator_and_supervisor_take_over() -> None:
    async with rig(targets=[target(1)]) as r:
        r.pin(1, HUMAN)
        leg7 = await r.nailed("7")
        await r.until(lambda: r.operator("7").state is OperatorState.TALKING)
        call_id = r.operator("7").call_id
        await r.nailed("8")
        r.control.transfer("7", to_operator="8")
        await r.until(lambda: r.operator("8").state is OperatorState.TALKING)
        assert r.operator("7").state is OperatorState.WRAP_UP
        await r.until(lambda: r.switch.core.channels[leg7].state_parked)  # operator 7 is free of the call
        r.control.wrap_up("7", "transferred")
        assert r.results.by_contact(1) == []  # the call goes on: no result yet
        r.control.take_over("s1", "user/2001", "8")
        await r.until(lambda: r.operator("8").state is OperatorState.WRAP_UP)
        sup = next(iter(r.core.st.supervisors))
        await r.until(lambda: r.switch.core.channels[sup].bridged)
        r.control.wrap_up("8", "escalated")
        r.switch.core.hangup(call_id)
        res = await r.result(1)
        assert res.operator_id == "supervisor:s1" and res.system_code == "answered_human"


async def test_the_pacer_learns_talk_times_from_connected_calls() -> None:
    async with rig(config(), targets=[target(1)]) as r:
        r.pin(1, HUMAN)
        pacer = r.core.st.campaigns[1].pacer
        prior = pacer.talk.view().mean
        await r.nailed("7")
        await r.until(lambda: r.operator("7").state is OperatorState.TALKING)
        r.switch.core.hangup(r.operator("7").call_id)  # a call of a second or less, against a 2-minute prior
        await r.until(lambda: r.operator("7").state is OperatorState.WRAP_UP)
        assert pacer.talk.view().mean < prior * 0.9
