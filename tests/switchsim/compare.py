"""Drive the simulated switch with a fixture's own commands and compare per-channel event shapes."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from fs_app.esl import EslClient, Event
from fs_app.esl.events import decode_event, is_event_frame
from fs_app.esl.parser import FrameParser
from fs_app.switchsim import SimSwitch
from tests.esl.fixtures import segments

# Events the simulator produces; in the fixtures recorded with "event json ALL" the rest
# (CHANNEL_STATE, CODEC, CALL_UPDATE, PRIVATE_COMMAND, HEARTBEAT...) are left out of the comparison.
SIM_EVENTS = {
    "CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER", "CHANNEL_PARK",
    "CHANNEL_UNPARK", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE",
    "CHANNEL_HOLD", "CHANNEL_UNHOLD", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY",
    "BACKGROUND_JOB", "DTMF",
}
KEYS = ("Channel-State", "Channel-Call-State", "Answer-State", "Hangup-Cause", "variable_sip_term_status",
        "Application", "Application-Data", "DTMF-Digit")

Shape = tuple[str, ...]


def shape(event: Event) -> Shape:
    if event.name == "BACKGROUND_JOB":
        return ("BACKGROUND_JOB", event.get("Job-UUID"), event.body.split(" ")[0].strip())
    return (event.name, *(f"{k}={event.get(k)}" for k in KEYS if event.get(k)))


def channel_key(event: Event) -> str:
    return event.uuid or ("job:" + event.job_uuid if event.name == "BACKGROUND_JOB" else "")


def real_events(path: Path) -> list[Event]:
    stream = b"".join(b for d, b in segments(path) if d == "<<<")
    return [decode_event(f) for f in FrameParser().feed(stream) if is_event_frame(f)]


def subscribed(path: Path) -> set[str]:
    for d, b in segments(path):
        if d == ">>>" and b.startswith(b"event json"):
            names = set(b.decode().split()[2:])
            return SIM_EVENTS if "ALL" in names else names & SIM_EVENTS
    return set()


def per_channel(events: list[Event], names: set[str], channels: set[str] | None) -> dict[str, list[Shape]]:
    out: dict[str, list[Shape]] = {}
    for ev in events:
        key = channel_key(ev)
        if ev.name in names and (channels is None or key in channels):
            out.setdefault(key, []).append(shape(ev))
    return out


def origination_uuids(path: Path) -> set[str]:
    found: set[str] = set()
    for d, b in segments(path):
        if d == ">>>":
            found.update(re.findall(r"origination_uuid=([0-9a-f-]{36})", b.decode()))
            found.update("job:" + j for j in re.findall(r"Job-UUID: ([0-9a-f-]{36})", b.decode()))
    found.update("job:" + j for j in bgapi_jobs(path))
    return found


def bgapi_jobs(path: Path) -> list[str]:
    """The Job-UUID of each bgapi, from the switch's reply (some recordings let FreeSWITCH pick it)."""
    jobs, script = [], segments(path)
    for i, (d, b) in enumerate(script):
        if d == ">>>" and b.startswith(b"bgapi"):
            reply = next(r for dd, r in script[i + 1 :] if dd == "<<<")
            jobs.append(re.findall(rb"Job-UUID: ([0-9a-f-]{36})", reply)[0].decode())
    return jobs


async def drive(path: Path, switch: SimSwitch, rewrite: dict[str, str] | None = None,
                settle: float = 0.3) -> tuple[list[Event], list[Event]]:
    """Send the fixture's commands in order, each once the simulator has produced as many
    comparable events as FreeSWITCH had produced before that command in the recording."""
    names, ours = subscribed(path), origination_uuids(path)
    script = segments(path)
    event_line = next(b for d, b in script if d == ">>>" and b.startswith(b"event json")).decode()
    client = EslClient("127.0.0.1", switch.port, "ClueCon", events=event_line.split()[2:], reconnect=False)
    await client.connect()
    got: list[Event] = []
    arrived = asyncio.Event()

    def on_event(ev: Event) -> None:
        if ev.name in names and channel_key(ev) in ours:
            got.append(ev)
            arrived.set()

    client.add_event_handler(on_event)
    def comparable(ev: Event) -> bool:
        return ev.name in names and channel_key(ev) in ours

    real = [e for e in real_events(path) if comparable(e)]
    # how many comparable events preceded each command in the recording
    parser, seen, targets = FrameParser(), 0, []
    for d, b in script:
        if d == "<<<":
            seen += sum(1 for f in parser.feed(b) if is_event_frame(f) and comparable(decode_event(f)))
        else:
            targets.append((b.decode(), seen))

    async def wait_for(count: int) -> None:
        async with asyncio.timeout(8.0):
            while len(got) < count:
                arrived.clear()
                await arrived.wait()

    jobs = iter(bgapi_jobs(path))
    for raw, before in targets:
        if raw.startswith(("auth", "event json")):
            continue
        await wait_for(before)
        first, *hdrs = raw.strip("\n").split("\n")
        for old, new in (rewrite or {}).items():
            first = first.replace(old, new)
        verb, _, rest = first.partition(" ")
        if verb == "api":
            await client.api(rest, check=False)
        elif verb == "bgapi":
            await client.bgapi(rest, job_uuid=next(jobs))
        elif verb == "sendmsg":
            await client.sendmsg(rest, dict(h.split(": ", 1) for h in hdrs))
    await wait_for(len(real))
    await asyncio.sleep(settle)  # anything extra would show up as a mismatch
    await client.close()
    return real, got


def dump(seqs: dict[str, list[Shape]]) -> str:
    return json.dumps(seqs, indent=1)
