"""The detector's answer for one call."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class VerdictKind(enum.StrEnum):
    HUMAN = "HUMAN"
    MACHINE = "MACHINE"
    ROBOT = "ROBOT"
    SILENCE = "SILENCE"
    SIT = "SIT"
    FAX = "FAX"
    NOTSURE = "NOTSURE"

    @property
    def routes_to_operator(self) -> bool:
        # The engine treats NOTSURE as HUMAN: losing a live person costs more than an operator's second.
        return self in (VerdictKind.HUMAN, VerdictKind.NOTSURE)


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: VerdictKind
    reason: str
    at_s: float
    """Stream time (seconds since the first frame) at which the verdict was reached."""
    sample_id: str | None = None
    confidence: float = 0.0
