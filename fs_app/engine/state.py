"""The engine's mutable bookkeeping: calls in flight, operators, connectors, campaigns.

Only the core modules change these records; states themselves move through the existing
transition tables (``CALL_TABLE``, ``Operator``), never by assignment of a bare state.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from fs_app.calls.call_states import CALL_TABLE, CallEvent, CallState
from fs_app.calls.operator_states import Operator, OperatorEvent, OperatorState
from fs_app.engine.abandons import CampaignAbandons
from fs_app.engine.ports import CampaignConfig, Connector, DialTarget, OperatorMode
from fs_app.pacing import Pacer, PacingParams


@dataclass
class Call:
    call_id: str  # = origination_uuid of the customer leg
    campaign_id: int
    target: DialTarget
    connector: str
    caller_id: str
    started_at: float
    state: CallState = CallState.DIALING
    since: float = 0.0
    channel_seen: bool = False  # a CHANNEL_CREATE came: a job error is then the number's, not the node's
    answered_at: float | None = None
    ready_at: float | None = None  # answered (AMD off) or AMD verdict: the abandon clock starts here
    connected_at: float | None = None
    ended_at: float | None = None
    operator_id: str | None = None  # claimed (connecting) or talking operator
    preview_operator: str | None = None
    amd_verdict: str | None = None
    hangup_cause: str = ""
    sip_status: str = ""
    code: str | None = None
    greeted: bool = False
    recorded: bool = False  # the result went to the sink

    def move(self, event: CallEvent, now: float) -> CallState:
        self.state = CALL_TABLE.next(self.state, event)
        self.since = now
        return self.state


@dataclass
class OperatorSlot:
    operator_id: str
    op: Operator
    mode: OperatorMode = "nailed"
    endpoint: str = ""  # direct mode: dial string of the phone (user/1001, sofia/...)
    leg: str | None = None  # nailed-up leg uuid (or the current direct-mode leg)
    skills: Mapping[str, int] = field(default_factory=dict)
    campaigns: frozenset[int] = frozenset()  # empty: any running campaign
    call_id: str | None = None  # the call this operator is claimed for / talking to
    wrap_call: str | None = None  # the call whose completion code is awaited
    preview_call: str | None = None
    preview_deadline: float | None = None
    idle_since: float = 0.0

    @property
    def state(self) -> OperatorState:
        return self.op.state

    def apply(self, event: OperatorEvent, now: float, code: str | None = None) -> None:
        self.op = self.op.apply(event, now, code)
        if self.op.state is OperatorState.READY:
            self.idle_since = now

    def free(self) -> bool:
        """Ready, unclaimed and able to take a call now (nailed mode needs its parked leg)."""
        if self.op.state is not OperatorState.READY or self.call_id is not None:
            return False
        return self.leg is not None if self.mode == "nailed" else bool(self.endpoint)

    def serves(self, cfg: CampaignConfig) -> bool:
        if self.campaigns and cfg.campaign_id not in self.campaigns:
            return False
        if cfg.skill is None:
            return True
        return self.skills.get(cfg.skill, -1) >= cfg.min_level


@dataclass
class ConnectorState:
    connector: Connector
    active: int = 0
    tokens: float = 0.0
    refilled_at: float = 0.0
    failures: int = 0  # consecutive node-level failures
    backoff_until: float = 0.0
    last_error: str = ""
    published_state: str = "ok"  # what the console was last told (ok | backoff)

    def refill(self, now: float) -> None:
        cps = self.connector.cps
        self.tokens = min(max(cps, 1.0), self.tokens + (now - self.refilled_at) * cps)
        self.refilled_at = now

    def available(self, now: float) -> int:
        if now < self.backoff_until:
            return 0
        self.refill(now)
        return max(0, min(int(self.tokens), self.connector.capacity - self.active))


@dataclass
class CampaignRun:
    config: CampaignConfig
    pacer: Pacer
    running: bool = True
    fetching: bool = False  # a FetchTargets is outstanding: never ask twice at once
    expected_wait_s: float = 0.0
    last_reason: str = ""
    # The pacer's AMD lever (PacingDecision.amd_hangup) from its last decision; False: machine verdicts are
    # connected to operators instead of hung up on.
    amd_hangup: bool = True
    rng: random.Random = field(default_factory=random.Random)
    pending: list[DialTarget] = field(default_factory=list)  # fetched, not yet dialled (ports ran out)
    pending_preview: list[Call] = field(default_factory=list)  # accepted preview cards waiting for a port
    # Rolling 24-hour / 30-day abandon counts the governor reads every tick: seeded from the stored attempts
    # (``LoadAbandonHistory``) and updated as each attempt of this run ends.
    abandons: CampaignAbandons = field(default_factory=CampaignAbandons)

    def params(self) -> PacingParams:
        return params_for(self.config)


def params_for(c: CampaignConfig) -> PacingParams:
    return PacingParams(
        mode=c.dial_mode, call_rate=c.call_rate, hit_rate=c.hit_rate, intensity=c.intensity,
        max_ports=c.max_ports, min_operators=c.min_operators, max_operators=c.max_operators,
        amd_false_positive_rate=c.amd_false_positive_rate if c.amd else 0.0,
        connect_grace_s=c.connect_grace_s,
    )


def fp_rate_of(c: CampaignConfig) -> float:
    """The AMD false-positive rate the abandon counts assume: none without AMD."""
    return c.amd_false_positive_rate if c.amd else 0.0


@dataclass
class EngineState:
    calls: dict[str, Call] = field(default_factory=dict)
    operators: dict[str, OperatorSlot] = field(default_factory=dict)
    legs: dict[str, str] = field(default_factory=dict)  # operator leg uuid -> operator id
    connectors: dict[str, ConnectorState] = field(default_factory=dict)
    campaigns: dict[int, CampaignRun] = field(default_factory=dict)
    queue: list[str] = field(default_factory=list)  # queued call ids, oldest first
    # Supervisor legs: leg uuid -> (supervisor id, purpose, the call or operator it concerns)
    supervisors: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    direct_legs: dict[str, str] = field(default_factory=dict)  # direct-mode operator leg -> call id
    wrapping: dict[str, Call] = field(default_factory=dict)  # ended calls awaiting the operator's code
    previews: dict[str, Call] = field(default_factory=dict)  # operator id -> the call on their card
    connected: bool = True  # the event socket is up; dialing pauses while it is not
    dials: int = 0

    def connector_for(self, name: str) -> ConnectorState | None:
        return self.connectors.get(name)
