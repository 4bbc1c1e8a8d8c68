"""Who answers the simulated phone: a frozen, seedable description of a customer population."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

# Outcome kinds and what the simulated carrier does for each (cause, SIP status).
FAILURES: dict[str, tuple[str, str]] = {
    "busy": ("USER_BUSY", "486"),
    "unallocated": ("UNALLOCATED_NUMBER", "404"),
    "rejected": ("CALL_REJECTED", "603"),
    "no_user_response": ("NO_USER_RESPONSE", "480"),
    "temp_failure": ("NORMAL_TEMPORARY_FAILURE", "503"),
}
ANSWERED = ("human", "voicemail", "robot", "silence")
KINDS = (*FAILURES, "no_answer", *ANSWERED)


@dataclass(frozen=True)
class Distribution:
    """Log-normal-ish durations: a median and a spread, clipped to [low, high] seconds."""

    median_s: float
    spread: float = 0.4
    low_s: float = 0.0
    high_s: float = 3600.0

    def sample(self, rng: random.Random) -> float:
        value = self.median_s * rng.lognormvariate(0.0, self.spread) if self.spread else self.median_s
        return min(self.high_s, max(self.low_s, value))


@dataclass(frozen=True)
class Population:
    """Shares are relative weights over KINDS; ``answer_by_hour`` scales the answered kinds."""

    shares: Mapping[str, float] = field(default_factory=lambda: {
        "human": 0.45, "voicemail": 0.12, "robot": 0.05, "silence": 0.02, "no_answer": 0.18,
        "busy": 0.08, "unallocated": 0.04, "rejected": 0.02, "no_user_response": 0.02, "temp_failure": 0.02,
    })
    # Probability (0..1) that an answerable call is answered at each local hour; unanswered
    # calls ring out (no_answer). Default: quiet at night, best in the evening.
    answer_by_hour: tuple[float, ...] = (
        0.3, 0.2, 0.2, 0.2, 0.2, 0.3, 0.5, 0.7, 0.8, 0.85, 0.85, 0.85,
        0.8, 0.8, 0.85, 0.85, 0.85, 0.9, 0.95, 0.95, 0.9, 0.8, 0.6, 0.4,
    )
    early_media_share: float = 0.1  # carrier sends 183 with SDP before the outcome
    ring: Distribution = Distribution(6.0, 0.5, 0.5, 60.0)
    failure_delay: Distribution = Distribution(0.3, 0.5, 0.02, 5.0)
    talk: Distribution = Distribution(90.0, 0.6, 5.0, 1800.0)  # customer's own hang-up once bridged
    patience: Distribution = Distribution(8.0, 0.5, 1.0, 120.0)  # waiting parked for an operator
    machine_length: Distribution = Distribution(25.0, 0.3, 5.0, 120.0)  # voicemail / robot hang-up
    gateways: Mapping[str, int] = field(default_factory=lambda: {"carrier": 1000})  # name -> capacity
    invalid_gateways: tuple[str, ...] = ()
    accept_any_gateway: bool = False  # unknown gateways get the default capacity instead of an error
    sps: int = 1000  # like FreeSWITCH's sessions-per-second throttle (fsctl sps changes it)
    dialplan: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=lambda: {
        "ivr_survey": (("answer", ""), ("playback", "tone_stream://%(200,100,600);loops=3")),
    })
    playback_s: float = 2.0  # duration of a playback whose length cannot be derived
    seed: int = 1

    def __post_init__(self) -> None:
        unknown = set(self.shares) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown outcome kinds {sorted(unknown)}; known: {KINDS}")
        if any(v < 0 for v in self.shares.values()) or sum(self.shares.values()) <= 0:
            raise ValueError("shares must be non-negative and not all zero")
        if len(self.answer_by_hour) != 24 or not all(0 <= p <= 1 for p in self.answer_by_hour):
            raise ValueError("answer_by_hour needs 24 probabilities in [0, 1]")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Population:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown population keys {sorted(unknown)}")
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key in ("ring", "failure_delay", "talk", "patience", "machine_length"):
                kwargs[key] = Distribution(**value) if isinstance(value, Mapping) else value
            elif key in ("answer_by_hour", "invalid_gateways"):
                kwargs[key] = tuple(value)
            elif key == "dialplan":
                kwargs[key] = {ext: tuple((str(a), str(b)) for a, b in apps) for ext, apps in value.items()}
            else:
                kwargs[key] = value
        return cls(**kwargs)

    @classmethod
    def load(cls, path: str | Path) -> Population:
        text = Path(path).read_text(encoding="utf-8")
        if str(path).endswith((".yaml", ".yml")):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            data = json.loads(text)
        return cls.from_mapping(data)


@dataclass(frozen=True)
class CallPlan:
    """What will happen to one dialled number."""

    kind: str
    ring_s: float  # until answer, failure or (for no_answer) forever
    early_media: bool
    talk_s: float
    patience_s: float
    machine_s: float


def plan_call(pop: Population, rng: random.Random, hour: int) -> CallPlan:
    kinds = list(pop.shares)
    kind = rng.choices(kinds, weights=[pop.shares[k] for k in kinds])[0]
    if kind in ANSWERED and rng.random() > pop.answer_by_hour[hour % 24]:
        kind = "no_answer"
    ring = pop.failure_delay.sample(rng) if kind in FAILURES else pop.ring.sample(rng)
    return CallPlan(
        kind=kind,
        ring_s=ring,
        early_media=rng.random() < pop.early_media_share,
        talk_s=pop.talk.sample(rng),
        patience_s=pop.patience.sample(rng),
        machine_s=pop.machine_length.sample(rng),
    )
