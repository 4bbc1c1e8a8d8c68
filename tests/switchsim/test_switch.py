"""The simulator's own behaviour: population, unicast audio, nailed-up operators, robots, errors."""

from __future__ import annotations

import asyncio
import json
import random
import socket
from pathlib import Path

import pytest

from fs_app.esl import EslClient, Event
from fs_app.esl.commands import customer_originate, uuid_bridge
from fs_app.switchsim import CallPlan, Population, SimSwitch, SwitchConfig, plan_call
from fs_app.switchsim.operators import RobotOperator, RobotProfile
from fs_app.switchsim.population import Distribution


def fast_config(**pop: object) -> SwitchConfig:
    return SwitchConfig(port=0, population=Population(**pop), operator_answer_s=0.01,  # type: ignore[arg-type]
                        progress_s=0.01)


async def connect(switch: SimSwitch) -> EslClient:
    client = EslClient("127.0.0.1", switch.port, reconnect=False)
    await client.connect()
    return client


async def next_event(client: EslClient, name: str, uuid: str = "") -> Event:
    async with asyncio.timeout(5):
        async for event in client.events():
            if event.name == name and (not uuid or event.uuid == uuid):
                return event
    raise AssertionError("stream ended")


def test_population_is_deterministic_and_respects_hours() -> None:
    pop = Population(seed=3)
    a = [plan_call(pop, random.Random(1), 12) for _ in range(200)]
    b = [plan_call(pop, random.Random(1), 12) for _ in range(200)]
    assert a == b
    night = Population(answer_by_hour=(0.0,) * 24, shares={"human": 1.0})
    assert {plan_call(night, random.Random(2), 3).kind for _ in range(50)} == {"no_answer"}


def test_population_loads_from_json(tmp_path: Path) -> None:
    path = tmp_path / "pop.json"
    path.write_text(json.dumps({"shares": {"human": 1, "busy": 1}, "ring": {"median_s": 2.0},
                                "gateways": {"gw1": 5}, "seed": 9}))
    pop = Population.load(path)
    assert pop.ring == Distribution(2.0) and pop.gateways == {"gw1": 5}
    with pytest.raises(ValueError):
        Population.from_mapping({"sharez": {}})


async def test_wrong_password_and_event_plain_refused() -> None:
    async with SimSwitch(fast_config()) as switch:
        from fs_app.esl.errors import AuthError

        with pytest.raises(AuthError):
            await EslClient("127.0.0.1", switch.port, "nope", reconnect=False).connect()
        client = EslClient("127.0.0.1", switch.port, events=[], reconnect=False)
        await client.connect()
        from fs_app.esl.errors import CommandError

        with pytest.raises(CommandError):
            await client._simple("event plain ALL")
        assert "session(s)" in await client.api("status")
        assert await client.api("uuid_exists 00000000-0000-0000-0000-000000000000") == "false"
        await client.close()


async def test_unicast_streams_320_byte_datagrams_every_20ms() -> None:
    recv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    recv.bind(("127.0.0.1", 0))
    recv.setblocking(False)
    port = recv.getsockname()[1]
    async with SimSwitch(fast_config()) as switch:
        client = await connect(switch)
        switch.pin("79990000001", CallPlan("voicemail", 0.01, False, 60, 60, 60))
        cmd = customer_originate(uuid="11111111-1111-1111-1111-111111111111", gateway="carrier",
                                 number="79990000001", caller_id_number="74950000001", ring_timeout_s=20)
        await client.bgapi(cmd.command())
        await next_event(client, "CHANNEL_PARK")
        await client.unicast(cmd.uuid, ("127.0.0.1", 0), ("127.0.0.1", port))
        loop = asyncio.get_running_loop()
        sizes, start = [], loop.time()
        while loop.time() - start < 0.5:
            try:
                sizes.append(len(await asyncio.wait_for(loop.sock_recv(recv, 2048), 0.5)))
            except TimeoutError:
                break
        await client.api(f"uuid_kill {cmd.uuid}")
        await client.close()
    recv.close()
    assert sizes and set(sizes) == {320}
    assert 18 <= len(sizes) <= 27  # ~25 datagrams in 0.5 s


async def test_nailed_up_operator_reparks_and_robot_hangs_up() -> None:
    async with SimSwitch(fast_config()) as switch:
        client = await connect(switch)
        leg = switch.add_nailed_operator("1001", 17)
        await next_event(client, "CHANNEL_PARK", leg)
        robot = RobotOperator(client, leg, RobotProfile(talk=Distribution(0.1, 0), wrap_up=Distribution(0.05, 0)))
        done = asyncio.Event()
        robot.on_wrapped_up = lambda customer, code: done.set()
        for n in range(2):  # two calls through the same nailed-up leg
            number = f"7999000000{n}"
            switch.pin(number, CallPlan("human", 0.01, False, 60, 60, 60))
            cmd = customer_originate(uuid=f"2222222{n}-2222-2222-2222-222222222222", gateway="carrier",
                                     number=number, caller_id_number="74950000001", ring_timeout_s=20)
            await client.bgapi(cmd.command())
            await next_event(client, "CHANNEL_PARK", cmd.uuid)
            await client.api(uuid_bridge(cmd.uuid, leg))
            await next_event(client, "CHANNEL_BRIDGE", cmd.uuid)
            # the recorded order: customer HANGUP, operator PARK, UNBRIDGE, HANGUP_COMPLETE
            reparked = await next_event(client, "CHANNEL_PARK", leg)
            assert reparked.get("Channel-State") == "CS_PARK"
            hc = await next_event(client, "CHANNEL_HANGUP_COMPLETE", cmd.uuid)
            assert hc.get("Hangup-Cause") == "NORMAL_CLEARING"
            async with asyncio.timeout(5):
                await done.wait()
            done.clear()
        assert len(robot.calls) == 2 and await client.api(f"uuid_exists {leg}") == "true"
        await robot.stop()
        await client.close()


async def test_patience_customer_leaves_the_queue() -> None:
    async with SimSwitch(fast_config()) as switch:
        client = await connect(switch)
        switch.pin("79990000009", CallPlan("human", 0.01, False, 60, patience_s=0.1, machine_s=60))
        cmd = customer_originate(uuid="33333333-3333-3333-3333-333333333333", gateway="carrier",
                                 number="79990000009", caller_id_number="74950000001", ring_timeout_s=20)
        await client.bgapi(cmd.command())
        hc = await next_event(client, "CHANNEL_HANGUP_COMPLETE", cmd.uuid)
        assert hc.get("Caller-Channel-Answered-Time") != "0"
        await client.close()


async def test_gateway_capacity_and_sps_errors() -> None:
    async with SimSwitch(fast_config(gateways={"carrier": 1, "other": 10})) as switch:
        client = await connect(switch)
        jobs = []
        for n in range(2):
            cmd = customer_originate(uuid=f"4444444{n}-4444-4444-4444-444444444444", gateway="carrier",
                                     number=f"7999111000{n}", caller_id_number="74950000001", ring_timeout_s=20)
            jobs.append(await client.bgapi(cmd.command()))
        async with asyncio.timeout(5):
            second = await jobs[1].result()
        assert second.text == "NORMAL_CIRCUIT_CONGESTION"
        assert await client.api("fsctl sps 1") == "+OK sessions per second: 1\n"
        cmd = customer_originate(uuid="55555555-5555-5555-5555-555555555555", gateway="other",
                                 number="79992220000", caller_id_number="74950000001", ring_timeout_s=20)
        job = await client.bgapi(cmd.command())
        async with asyncio.timeout(5):
            assert (await job.result()).text == "DESTINATION_OUT_OF_ORDER"
        await client.api("hupall")
        await client.close()


async def test_show_channels_as_json() -> None:
    async with SimSwitch(fast_config()) as switch:
        client = await connect(switch)
        assert json.loads(await client.api("show channels as json")) == {"row_count": 0}
        leg = switch.add_nailed_operator("1002", 5)
        await next_event(client, "CHANNEL_PARK", leg)
        rows = json.loads(await client.api("show channels as json"))["rows"]
        assert [r["uuid"] for r in rows] == [leg]
        await client.close()
