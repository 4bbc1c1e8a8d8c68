"""What the engine needs from the rest of the system, as narrow Protocols.

The campaigns engineer implements these over the database (contact selector, result
processing, strategy configuration); the engine never imports the campaigns code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from fs_app.pacing import DialMode

OperatorMode = Literal["nailed", "direct"]
SipIdType = Literal["contact", "call"]


@dataclass(frozen=True)
class DialTarget:
    """One number to dial, leased by the contact selector until its result comes back."""

    contact_id: int
    phone_field: str
    number_e164: str
    lease_id: str
    attrs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Connector:
    """A carrier gateway: ``gateway`` is the sofia gateway name, ``prefix`` goes before the number.

    ``capacity`` caps concurrent calls on it; ``cps`` caps new calls per second (carriers and
    FreeSWITCH's own ``sps`` refuse the excess with DESTINATION_OUT_OF_ORDER).
    """

    name: str
    gateway: str
    prefix: str = ""
    capacity: int = 30
    cps: float = 10.0
    strip_plus: bool = True  # most carriers want 7916..., not +7916...


@dataclass(frozen=True)
class CampaignConfig:
    """The strategy fields the engine acts on; a new value (live call-rate edit) replaces the old."""

    campaign_id: int
    dial_mode: DialMode = DialMode.PROGRESSIVE
    call_rate: float = 1.0
    intensity: float | None = None
    ring_timeout_s: int = 30
    caller_ids: tuple[str, ...] = ("74950000000",)
    connectors: tuple[Connector, ...] = (Connector("carrier", "carrier"),)
    max_ports: int | None = None
    fill_in_order: bool = False  # True: the first connector with room (carrier priority); False: spread
    amd: bool = False
    # Estimated share of people AMD labels machines (1 - accuracy); 0: unknown. The pacer counts these false
    # positives as abandons and, when they alone would break the cap, has machine verdicts sent to operators.
    amd_false_positive_rate: float = 0.0
    # A person not bridged to an operator within this many seconds of being ready is an abandon (FCC: 2 s);
    # the same rule counts the campaign's 24-hour and 30-day windows the pacer's governor keeps under the cap.
    connect_grace_s: float = 2.0
    greeting_sound: str = "ivr/ivr-please_hold.wav"  # played once to a customer queued for an operator
    wait_sound: str = "dialer/expected_wait.wav"  # "ожидаемое время соединения" before the minutes
    hold_music: str = "local_stream://moh"
    wrap_up_s: float = 30.0
    default_code: str = "wrapup_timeout"
    preview_s: float = 30.0
    ivr_target: str = ""  # agentless: dialplan extension in the `dialer` context (or an IVR number)
    quality_ivr: str = ""  # survey extension; "" = off
    quality_percent: int = 0
    sip_id_type: SipIdType = "contact"
    skill: str | None = None  # operators need this skill ...
    min_level: int = 0  # ... at least at this level
    hit_rate: float = 0.3
    min_operators: int = 1
    max_operators: int | None = None
    context: str = "dialer"

    def __post_init__(self) -> None:
        if not self.caller_ids:
            raise ValueError("a campaign needs at least one caller id")
        if not self.connectors:
            raise ValueError("a campaign needs at least one connector")
        if self.dial_mode is DialMode.AGENTLESS and not self.ivr_target:
            raise ValueError("agentless mode needs an IVR target")
        if not 0 <= self.quality_percent <= 100:
            raise ValueError("quality_percent must be 0..100")


@dataclass(frozen=True)
class AttemptResult:
    """The outcome of one attempt, handed to result processing (call-result rules, callbacks)."""

    call_id: str  # the customer leg's uuid
    campaign_id: int
    contact_id: int
    lease_id: str
    phone: str
    phone_field: str
    system_code: str  # fs_app.calls.causes.SystemCode value
    operator_code: str | None = None  # the operator's completion code after wrap-up
    operator_id: str | None = None
    connector: str = ""
    hangup_cause: str = ""
    sip_status: str = ""
    amd_verdict: str | None = None
    started_at: float = 0.0
    answered_at: float | None = None
    connected_at: float | None = None
    ended_at: float | None = None
    wait_to_operator_ms: int | None = None


class ContactSource(Protocol):
    async def next_targets(self, campaign_id: int, n: int, now: float) -> list[DialTarget]:
        """Up to ``n`` numbers to dial now (fewer, or none, when the lists run dry)."""
        ...


class ResultSink(Protocol):
    async def record_result(self, attempt: AttemptResult) -> None: ...
