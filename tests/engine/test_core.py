"""The pure core: events and ``now`` in, commands out (no sockets)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from fs_app.calls.operator_states import OperatorState
from fs_app.engine.commands import Api, Command, Dial, FetchTargets, RecordResult, SetLive
from fs_app.engine.control import EngineControl
from fs_app.engine.core import EngineCore
from fs_app.esl.events import Event
from tests.engine.rig import config, target


def ev(name: str, uuid: str = "", **headers: str) -> Event:
    return Event(name, {"Event-Name": name, "Unique-ID": uuid, **headers})


def of(cmds: Iterable[Command], kind: type) -> list:  # type: ignore[type-arg]
    return [c for c in cmds if isinstance(c, kind)]


def ready_engine() -> tuple[EngineCore, str]:
    core = EngineCore(seed=1, new_id=iter(f"00000000-0000-0000-0000-{i:012d}" for i in range(1, 999)).__next__)
    core.start_campaign(config(caller_ids=("74950000001",)), 0.0)
    core.login("7", 0.0, ready=True)
    core.on_event(ev("CHANNEL_PARK", "leg-7", variable_dialer_role="agent", variable_dialer_operator="7"), 0.1)
    return core, "leg-7"


def dial_one(core: EngineCore, now: float = 1.0) -> Dial:
    fetch = of(core.tick(now), FetchTargets)
    assert fetch and fetch[0].n == 1
    dials = of(core.deliver(1, [target(5)], (), now), Dial)
    assert len(dials) == 1
    return dials[0]


def test_dial_command_is_the_issue_originate() -> None:
    core, _ = ready_engine()
    d = dial_one(core)
    cmd = d.originate.command()
    assert cmd.startswith("originate {origination_uuid=" + d.call_id)
    for part in ("origination_caller_id_number=74950000001", "originate_timeout=15", "ignore_early_media=consume",
                 "dialer_campaign=1", "dialer_contact=5", f"dialer_call={d.call_id}",
                 "sip_h_X-Dialer-Contact-Id=5", "}sofia/gateway/carrier/79990000005 &park()"):
        assert part in cmd, part
    assert of(core.tick(1.05), FetchTargets) == []  # the one free operator is claimed by a dial


def test_answered_human_is_bridged_to_the_free_nailed_leg() -> None:
    core, leg = ready_engine()
    d = dial_one(core)
    core.on_event(ev("CHANNEL_ANSWER", d.call_id), 2.0)
    out = core.on_event(ev("CHANNEL_PARK", d.call_id), 2.0)
    assert Api(f"uuid_bridge {d.call_id} {leg}") in out
    core.on_event(ev("CHANNEL_BRIDGE", d.call_id), 2.1)
    assert core.st.operators["7"].state is OperatorState.TALKING


def test_busy_before_the_job_result_gives_one_result() -> None:
    core, _ = ready_engine()
    d = dial_one(core)
    core.on_event(ev("CHANNEL_CREATE", d.call_id), 1.1)
    out = core.on_event(ev("CHANNEL_HANGUP_COMPLETE", d.call_id, **{"Hangup-Cause": "USER_BUSY",
                                                                     "variable_sip_term_status": "486"}), 1.2)
    results = of(out, RecordResult)
    assert [r.result.system_code for r in results] == ["busy"]
    late = core.on_event(Event("BACKGROUND_JOB", {"Job-UUID": d.call_id}, "-ERR USER_BUSY\n"), 1.3)
    assert of(late, RecordResult) == []
    assert core.st.connectors["carrier"].backoff_until == 0.0  # a number's failure, not the node's


def test_invalid_gateway_job_backs_the_connector_off() -> None:
    core, _ = ready_engine()
    d = dial_one(core)
    out = core.on_event(Event("BACKGROUND_JOB", {"Job-UUID": d.call_id}, "-ERR INVALID_GATEWAY\n"), 1.1)
    assert [r.result.system_code for r in of(out, RecordResult)] == ["invalid_gateway"]
    live = [c for c in of(out, SetLive) if c.key[:2] == ("engine", "connector")]
    assert live and live[0].value is not None and live[0].value["state"] == "backoff"
    assert of(core.tick(1.5), FetchTargets) == []  # resting: no dial
    assert of(core.tick(2.2), FetchTargets) != []  # 1 s later it tries again


def test_supervisor_not_ready_applies_after_the_call() -> None:
    core, _ = ready_engine()
    d = dial_one(core)
    core.on_event(ev("CHANNEL_ANSWER", d.call_id), 2.0)
    core.on_event(ev("CHANNEL_PARK", d.call_id), 2.0)
    core.on_event(ev("CHANNEL_BRIDGE", d.call_id), 2.1)
    core.set_state("7", "not_ready", 3.0)
    assert core.st.operators["7"].state is OperatorState.TALKING
    core.on_event(ev("CHANNEL_HANGUP_COMPLETE", d.call_id, **{"Hangup-Cause": "NORMAL_CLEARING"}), 4.0)
    out = core.wrap_up("7", "sale", 5.0)
    assert [r.result.operator_code for r in of(out, RecordResult)] == ["sale"]
    assert core.st.operators["7"].state is OperatorState.NOT_READY


def test_unknown_events_are_ignored() -> None:
    core, _ = ready_engine()
    assert core.on_event(ev("CUSTOM", "x"), 1.0) == []
    assert core.on_event(ev("CHANNEL_ANSWER", "someone-elses-call"), 1.0) == []


def test_command_channel_schema() -> None:
    core = EngineCore()
    core.start_campaign(config(), 0.0)
    sent: list[Command] = []
    control = EngineControl(core, sent.extend, lambda: 1.0)
    ok = control.handle(json.dumps({"id": "a", "action": "login", "operator_id": "9", "ready": True,
                                    "skills": {"sales": 2}}))
    assert ok == {"id": "a", "ok": True} and core.st.operators["9"].state is OperatorState.READY
    assert control.handle(json.dumps({"id": "b", "action": "explode"}))["ok"] is False
    bad = control.handle(json.dumps({"id": "c", "action": "hold", "operator_id": "9"}))
    assert bad["ok"] is False and "no call" in bad["error"]
    rate = control.handle(json.dumps({"id": "d", "action": "set_call_rate", "campaign_id": 1, "call_rate": 2.5}))
    assert rate["ok"] and core.st.campaigns[1].config.call_rate == 2.5
    assert control.handle("not json")["ok"] is False


def test_operator_chosen_by_skill_level_and_max_ports_respected() -> None:
    core = EngineCore(seed=1)
    core.start_campaign(config(skill="sales", min_level=2, max_ports=1), 0.0)
    for op, level in (("junior", 1), ("senior", 5), ("middle", 3)):
        core.login(op, 0.0, ready=True, skills={"sales": level})
        core.on_event(ev("CHANNEL_PARK", f"leg-{op}", variable_dialer_role="agent",
                         variable_dialer_operator=op), 0.1)
    fetch = of(core.tick(1.0), FetchTargets)
    assert [f.n for f in fetch] == [1]  # two qualified operators, but one port
    d = of(core.deliver(1, [target(1)], (), 1.0), Dial)[0]
    core.on_event(ev("CHANNEL_ANSWER", d.call_id), 2.0)
    out = core.on_event(ev("CHANNEL_PARK", d.call_id), 2.0)
    assert Api(f"uuid_bridge {d.call_id} leg-senior") in out  # highest level wins; junior never
    assert of(core.tick(2.5), FetchTargets) == []  # the port is in use
