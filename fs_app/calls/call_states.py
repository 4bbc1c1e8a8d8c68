"""The customer call's states (issue #5) as a transition table."""

from __future__ import annotations

from enum import Enum

from fs_app.calls.fsm import TransitionTable


class CallState(Enum):
    DIALING = "dialing"
    RINGING = "ringing"
    EARLY_MEDIA = "early_media"
    ANSWERED = "answered"
    DETECTING = "detecting"
    HUMAN = "human"
    MACHINE = "machine"
    ROBOT = "robot"
    QUEUED = "queued"
    CONNECTING = "connecting"
    TALKING = "talking"
    ON_HOLD = "on_hold"
    WRAP_UP = "wrap_up"
    DONE = "done"
    FAILED = "failed"


class CallEvent(Enum):
    PROGRESS = "progress"  # CHANNEL_PROGRESS (180)
    PROGRESS_MEDIA = "progress_media"  # CHANNEL_PROGRESS_MEDIA (183 + SDP)
    ANSWER = "answer"  # CHANNEL_ANSWER
    DETECT = "detect"  # AMD started on the answered audio
    DETECTED_HUMAN = "detected_human"
    DETECTED_MACHINE = "detected_machine"
    DETECTED_ROBOT = "detected_robot"
    ENQUEUE = "enqueue"  # human waits for a free operator
    CONNECT = "connect"  # uuid_bridge sent
    BRIDGED = "bridged"  # CHANNEL_BRIDGE
    HOLD = "hold"
    UNHOLD = "unhold"
    HANGUP = "hangup"  # the customer leg is gone (CHANNEL_HANGUP_COMPLETE)
    ORIGINATE_FAILED = "originate_failed"  # BACKGROUND_JOB -ERR / refused before answer
    WRAPPED_UP = "wrapped_up"  # completion code saved
    TRANSFER_IVR = "transfer_ivr"  # agentless / survey: the call leaves our control


C, V = CallState, CallEvent
_PRE_ANSWER = (C.DIALING, C.RINGING, C.EARLY_MEDIA)
_ANSWERED_UP = (C.ANSWERED, C.DETECTING, C.HUMAN, C.MACHINE, C.ROBOT, C.QUEUED, C.CONNECTING)

_TABLE: dict[tuple[CallState, CallEvent], CallState] = {
    (C.DIALING, V.PROGRESS): C.RINGING,
    (C.DIALING, V.PROGRESS_MEDIA): C.EARLY_MEDIA,
    (C.RINGING, V.PROGRESS_MEDIA): C.EARLY_MEDIA,
    (C.RINGING, V.PROGRESS): C.RINGING,
    (C.EARLY_MEDIA, V.PROGRESS): C.EARLY_MEDIA,
    **{(s, V.ANSWER): C.ANSWERED for s in _PRE_ANSWER},
    **{(s, V.ORIGINATE_FAILED): C.FAILED for s in _PRE_ANSWER},
    **{(s, V.HANGUP): C.FAILED for s in _PRE_ANSWER},
    (C.ANSWERED, V.DETECT): C.DETECTING,
    (C.ANSWERED, V.ENQUEUE): C.QUEUED,  # AMD off for this strategy
    (C.ANSWERED, V.CONNECT): C.CONNECTING,
    (C.DETECTING, V.DETECTED_HUMAN): C.HUMAN,
    (C.DETECTING, V.DETECTED_MACHINE): C.MACHINE,
    (C.DETECTING, V.DETECTED_ROBOT): C.ROBOT,
    (C.HUMAN, V.ENQUEUE): C.QUEUED,
    (C.HUMAN, V.CONNECT): C.CONNECTING,
    (C.QUEUED, V.CONNECT): C.CONNECTING,
    (C.CONNECTING, V.BRIDGED): C.TALKING,
    (C.CONNECTING, V.ENQUEUE): C.QUEUED,  # the operator leg failed: wait for another
    (C.TALKING, V.HOLD): C.ON_HOLD,
    (C.ON_HOLD, V.UNHOLD): C.TALKING,
    (C.TALKING, V.HANGUP): C.WRAP_UP,
    (C.ON_HOLD, V.HANGUP): C.WRAP_UP,
    **{(s, V.HANGUP): C.DONE for s in _ANSWERED_UP},  # machines, robots, abandoned in queue
    **{(s, V.TRANSFER_IVR): C.DONE for s in (C.ANSWERED, C.HUMAN, C.QUEUED, C.TALKING)},
    (C.WRAP_UP, V.WRAPPED_UP): C.DONE,
}

CALL_TABLE: TransitionTable[CallState, CallEvent] = TransitionTable(_TABLE)
TERMINAL = frozenset({C.DONE, C.FAILED})
