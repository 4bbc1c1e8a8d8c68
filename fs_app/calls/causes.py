"""Network results -> system completion codes (R5.10).

Inputs are what the switch tells us: the Hangup-Cause, the SIP status (variable_sip_term_status),
whether the call was answered, and the AMD verdict for answered calls.
"""

from __future__ import annotations

from enum import StrEnum


class SystemCode(StrEnum):
    ANSWERED_HUMAN = "answered_human"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    REJECTED = "rejected"
    UNALLOCATED = "unallocated"
    NETWORK_FAILURE = "network_failure"
    ANSWERING_MACHINE = "answering_machine"
    ROBOT = "robot"
    SILENCE = "silence"
    ABANDONED_QUEUE = "abandoned_queue"
    PREVIEW_REJECTED = "preview_rejected"
    WRAPUP_TIMEOUT = "wrapup_timeout"
    INVALID_GATEWAY = "invalid_gateway"
    SIT_TONE = "sit_tone"
    FAX = "fax"


S = SystemCode
HANGUP_CAUSES: dict[str, SystemCode] = {
    "USER_BUSY": S.BUSY,
    "NO_ANSWER": S.NO_ANSWER,
    "NO_USER_RESPONSE": S.NO_ANSWER,
    "ORIGINATOR_CANCEL": S.NO_ANSWER,
    "ALLOTTED_TIMEOUT": S.NO_ANSWER,
    "CALL_REJECTED": S.REJECTED,
    "USER_NOT_REGISTERED": S.UNALLOCATED,
    "UNALLOCATED_NUMBER": S.UNALLOCATED,
    "NO_ROUTE_DESTINATION": S.UNALLOCATED,
    "INVALID_NUMBER_FORMAT": S.UNALLOCATED,
    "NUMBER_CHANGED": S.UNALLOCATED,
    "NORMAL_TEMPORARY_FAILURE": S.NETWORK_FAILURE,
    "DESTINATION_OUT_OF_ORDER": S.NETWORK_FAILURE,
    "NORMAL_CIRCUIT_CONGESTION": S.NETWORK_FAILURE,
    "SWITCH_CONGESTION": S.NETWORK_FAILURE,
    "NETWORK_OUT_OF_ORDER": S.NETWORK_FAILURE,
    "RECOVERY_ON_TIMER_EXPIRE": S.NETWORK_FAILURE,
    "GATEWAY_DOWN": S.NETWORK_FAILURE,
    "SERVICE_UNAVAILABLE": S.NETWORK_FAILURE,
    "INCOMPATIBLE_DESTINATION": S.NETWORK_FAILURE,
    "INVALID_GATEWAY": S.INVALID_GATEWAY,
}
SIP_STATUSES: dict[str, SystemCode] = {
    "486": S.BUSY, "600": S.BUSY,
    "404": S.UNALLOCATED, "484": S.UNALLOCATED, "410": S.UNALLOCATED, "604": S.UNALLOCATED,
    "480": S.NO_ANSWER, "408": S.NO_ANSWER, "487": S.NO_ANSWER,
    "603": S.REJECTED, "403": S.REJECTED,
    "503": S.NETWORK_FAILURE, "502": S.NETWORK_FAILURE, "500": S.NETWORK_FAILURE, "504": S.NETWORK_FAILURE,
}
AMD_VERDICTS: dict[str, SystemCode] = {
    "human": S.ANSWERED_HUMAN,
    "machine": S.ANSWERING_MACHINE,
    "answering_machine": S.ANSWERING_MACHINE,
    "voicemail": S.ANSWERING_MACHINE,
    "robot": S.ROBOT,
    "silence": S.SILENCE,
    "sit_tone": S.SIT_TONE,
    "sit": S.SIT_TONE,
    "fax": S.FAX,
}


def code_for_failure(hangup_cause: str, sip_status: str = "") -> SystemCode:
    """An unanswered call: the SIP status is the more precise witness when the carrier gave one."""
    if sip_status in SIP_STATUSES:
        return SIP_STATUSES[sip_status]
    return HANGUP_CAUSES.get(hangup_cause.strip().upper(), S.NETWORK_FAILURE)


def code_for_job_error(body: str) -> SystemCode:
    """A BACKGROUND_JOB body such as ``-ERR USER_BUSY``."""
    return code_for_failure(body.strip().removeprefix("-ERR").strip())


def code_for_amd(verdict: str) -> SystemCode:
    try:
        return AMD_VERDICTS[verdict.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown AMD verdict {verdict!r}") from None
