"""Pacing: how many calls to place now. A pure core with no I/O.

Interface for the call engine
-----------------------------
Build a :class:`PacingSnapshot` of the campaign at ``now`` (``PacingSnapshot.from_views`` takes
per-operator :class:`OperatorView` and per-call :class:`CallView` objects), take the strategy's
current :class:`PacingParams` (a supervisor's live edit of ``call_rate`` or ``intensity`` is simply
the next params), and call::

    pacer = Pacer(params)                      # one per campaign; keeps running estimates
    decision = pacer.decide(snapshot, now, params)
    decision.calls_to_place                    # dials to start now (never past max ports/channels)
    decision.reserve_operator_ids              # preview: operators to reserve, one card each
    decision.reserve_operator_id               # the first of them, or None
    decision.expected_wait_s                   # for the greeting of a customer who answers now
    decision.reason                            # "warm-up (progressive)", "governor braking",
                                               # "cruise control paused", "below min operators", ...
    decision.amd_hangup                        # False: connect AMD machine verdicts to operators
                                               # (their false positives would break the abandon cap)

and report what happens, each with ``now``::

    pacer.observe_dial(age_s, to_operator, now, machine_verdict)
                                                 # a dial resolved: needs an operator (person, or a
                                                 # machine AMD let through) or not; age since dial;
                                                 # machine_verdict: AMD said machine (hung up or not)
    pacer.observe_live_answer(now)               # a person answered (as counted by abandon accounting)
    pacer.observe_customer(wait_s, now)          # a customer reached an operator after wait_s
                                                 # (None: hung up / dropped before one)
    pacer.observe_talk(duration_s, now); pacer.observe_wrap(duration_s, now)

The pure function :func:`decide` ``(snapshot, params, now, model) -> PacingDecision`` is what
``Pacer.decide`` calls; ``model`` (a frozen :class:`ModelState`) is ``None`` for modes that need no
estimates. The engine computes ``snapshot.abandon_24h`` / ``abandon_30d`` with
:func:`fs_app.pacing.abandon.abandon_counts`, the same rule the reports use.

Modes (``DialMode``): preview (reserve the longest-idle ready operators), progressive (``call_rate``
dials per free operator, scaled by the measured connect probability), predictive (model of answers
and operator frees, governor, cruise control; progressive warm-up until ``warmup_answers`` answers),
agentless (fill up to max ports).
"""

from fs_app.pacing.abandon import AnsweredBy, CallRecord, abandon_counts, abandon_report, is_abandoned
from fs_app.pacing.pacer import ModelState, Pacer, PacerConfig, decide
from fs_app.pacing.types import (
    AbandonCounts,
    CallState,
    CallView,
    DialMode,
    OperatorStatus,
    OperatorView,
    PacingDecision,
    PacingParams,
    PacingSnapshot,
)

__all__ = [
    "AbandonCounts",
    "AnsweredBy",
    "CallRecord",
    "CallState",
    "CallView",
    "DialMode",
    "ModelState",
    "OperatorStatus",
    "OperatorView",
    "Pacer",
    "PacerConfig",
    "PacingDecision",
    "PacingParams",
    "PacingSnapshot",
    "abandon_counts",
    "abandon_report",
    "decide",
    "is_abandoned",
]
