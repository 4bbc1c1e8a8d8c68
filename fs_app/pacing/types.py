"""Inputs and outputs of the pacer: frozen, I/O-free value objects."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class DialMode(StrEnum):
    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"
    AGENTLESS = "agentless"


class OperatorStatus(StrEnum):
    READY = "ready"
    RESERVED = "reserved"
    TALKING = "talking"
    WRAP_UP = "wrap_up"
    NOT_READY = "not_ready"


@dataclass(frozen=True, slots=True)
class AbandonCounts:
    """Live answers and abandons in one window, as computed by :mod:`fs_app.pacing.abandon`.

    Counts are floats because estimated AMD false positives are fractional.
    """

    live: float = 0.0
    abandoned: float = 0.0

    @property
    def rate(self) -> float:
        return self.abandoned / self.live if self.live > 0 else 0.0


@dataclass(frozen=True, slots=True)
class PacingParams:
    """The strategy's pacing settings; the engine passes the current ones on every call, so a
    supervisor's live edit (``call_rate``, ``intensity``) takes effect at the next decision."""

    mode: DialMode = DialMode.PREDICTIVE
    # Initial calls per free operator ("CallRate"); used by progressive and during warm-up.
    call_rate: float = 1.0
    # Prior probability that a dial reaches a person (Hit Rate, 0..1) until measured.
    hit_rate: float = 0.3
    # Share of answered customers who must find a free operator within the grace (Service Level).
    service_level: float = 0.97
    abandon_cap: float = 0.03
    # Least distance from the cap; small teams keep more (see governor.abandon_target).
    abandon_margin: float = 0.005
    # Length of the short rolling window (24 h); the benchmark compresses a day of dialing.
    abandon_window_s: float = 86_400.0
    # None: automatic (cruise control); otherwise a manual multiplier on aggressiveness.
    intensity: float | None = None
    cruise_control: bool = True
    max_ports: int | None = None
    min_operators: int = 1
    max_operators: int | None = None
    # Seconds after answer within which a person must reach an operator (FCC-style 2 s).
    connect_grace_s: float = 2.0
    # Estimated share of human answers that AMD hangs up on as machines; they count as abandons.
    amd_false_positive_rate: float = 0.0
    # When those estimated false positives alone would exceed what the abandon governor allows, stop
    # hanging up on machine verdicts (they go to operators like people) until the windows recover: an AMD
    # too inaccurate for the cap (95 % against 3 %) then costs operator time instead of breaking the law.
    amd_fallback: bool = True
    # Live answers to observe before the predictive model replaces the warm-up ratio.
    warmup_answers: int = 30
    max_call_rate: float = 30.0
    # Upper bound on dials per decision, to spread bursts over ticks.
    max_calls_per_decision: int | None = None


@dataclass(frozen=True, slots=True)
class PacingSnapshot:
    """What the engine knows at ``now``; all durations are seconds.

    Operators are given by state: ``ready_operator_ids`` lists ready, unreserved operators longest-idle
    first; ``talk_elapsed_s`` / ``wrap_elapsed_s`` give time in the current call / wrap-up for each busy
    operator (operators who will log out after the call are counted in ``not_ready`` instead).
    ``ringing_ages_s``: dials not yet resolved (ringing or under AMD), age since dial.
    ``queued_waits_s``: customers answered and waiting for an operator (hearing the greeting).
    """

    ready_operator_ids: tuple[str, ...] = ()
    talk_elapsed_s: tuple[float, ...] = ()
    wrap_elapsed_s: tuple[float, ...] = ()
    reserved: int = 0
    not_ready: int = 0
    ringing_ages_s: tuple[float, ...] = ()
    queued_waits_s: tuple[float, ...] = ()
    # Calls bridged to something other than an operator (agentless IVR legs) holding a port.
    other_active_calls: int = 0
    # Free channels on the connector/trunk; None when the switch imposes no limit.
    channels_available: int | None = None
    abandon_24h: AbandonCounts = field(default_factory=AbandonCounts)
    abandon_30d: AbandonCounts = field(default_factory=AbandonCounts)

    @property
    def ready(self) -> int:
        return len(self.ready_operator_ids)

    @property
    def busy(self) -> int:
        return len(self.talk_elapsed_s) + len(self.wrap_elapsed_s)

    @property
    def logged_in(self) -> int:
        return self.ready + self.busy + self.reserved + self.not_ready

    @property
    def active_calls(self) -> int:
        """Ports in use: dials in progress, customers queued, calls bridged to operators or IVR."""
        return len(self.ringing_ages_s) + len(self.queued_waits_s) + len(self.talk_elapsed_s) + (
            self.other_active_calls
        )

    @classmethod
    def from_views(
        cls,
        operators: Iterable[OperatorView],
        calls: Iterable[CallView],
        *,
        channels_available: int | None = None,
        abandon_24h: AbandonCounts | None = None,
        abandon_30d: AbandonCounts | None = None,
    ) -> PacingSnapshot:
        """Build a snapshot from per-operator and per-call views (the engine's natural shape)."""
        ready: list[tuple[float, str]] = []
        talk: list[float] = []
        wrap: list[float] = []
        reserved = not_ready = 0
        for op in operators:
            if op.leaving or op.status is OperatorStatus.NOT_READY:
                not_ready += 1
            elif op.status is OperatorStatus.READY:
                ready.append((-op.state_elapsed_s, op.operator_id))
            elif op.status is OperatorStatus.RESERVED:
                reserved += 1
            elif op.status is OperatorStatus.TALKING:
                talk.append(op.state_elapsed_s)
            else:
                wrap.append(op.state_elapsed_s)
        ringing: list[float] = []
        queued: list[float] = []
        other = 0
        for call in calls:
            if call.state is CallState.RINGING:
                ringing.append(call.age_s)
            elif call.state is CallState.QUEUED:
                queued.append(call.state_elapsed_s)
            elif call.state is CallState.OTHER:
                other += 1
        ready.sort()
        return cls(
            ready_operator_ids=tuple(op_id for _, op_id in ready),
            talk_elapsed_s=tuple(talk),
            wrap_elapsed_s=tuple(wrap),
            reserved=reserved,
            not_ready=not_ready,
            ringing_ages_s=tuple(ringing),
            queued_waits_s=tuple(queued),
            other_active_calls=other,
            channels_available=channels_available,
            abandon_24h=abandon_24h or AbandonCounts(),
            abandon_30d=abandon_30d or AbandonCounts(),
        )


@dataclass(frozen=True, slots=True)
class OperatorView:
    operator_id: str
    status: OperatorStatus
    state_elapsed_s: float = 0.0
    leaving: bool = False


class CallState(StrEnum):
    RINGING = "ringing"
    QUEUED = "queued"
    # Bridged to an operator: counted through the operator's talk time, not here.
    CONNECTED = "connected"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class CallView:
    state: CallState
    age_s: float
    state_elapsed_s: float = 0.0


@dataclass(frozen=True, slots=True)
class PacingDecision:
    calls_to_place: int
    # Preview: operators to reserve, one per contact card to show (then dial after accept).
    reserve_operator_ids: tuple[str, ...] = ()
    # Expected wait for a customer who answers now (the engine announces it in the greeting).
    expected_wait_s: float = 0.0
    reason: str = ""
    # Effective calls per free operator, for supervisors' displays.
    call_rate: float = 0.0
    # False: connect calls AMD labels as machines to operators instead of hanging up (see
    # ``PacingParams.amd_fallback``); the engine applies it to every verdict until the next decision.
    amd_hangup: bool = True

    @property
    def reserve_operator_id(self) -> str | None:
        return self.reserve_operator_ids[0] if self.reserve_operator_ids else None
