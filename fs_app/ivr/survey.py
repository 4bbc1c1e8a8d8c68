"""Quality survey (R5.11): one question, a DTMF score 1-5, stored through the API.

Reached by ``uuid_transfer <customer> ivr_survey XML dialer`` after the operator ends the call;
the call id (``dialer_call``, set on originate) identifies the attempt the score belongs to.
"""

from __future__ import annotations

from fs_app.ivr.api import Session, contact_id, log, request

QUESTION = "dialer/survey_question.wav"  # «Оцените разговор с оператором от 1 до 5»
INVALID = "dialer/survey_invalid.wav"  # «Нажмите цифру от 1 до 5»
THANKS = "dialer/survey_thanks.wav"  # «Спасибо за оценку»


def handler(session: Session, args: str = "") -> None:
    if not session.ready():
        return
    session.answer()
    digits = session.playAndGetDigits(1, 1, 3, 5000, "#", QUESTION, INVALID, "^[1-5]$",
                                      "dialer_survey_score", 3000, "")
    if not digits or digits not in ("1", "2", "3", "4", "5"):
        session.setVariable("dialer_ivr_result", "no_score")
        return
    call_id = session.getVariable("dialer_call") or session.getVariable("uuid") or ""
    body = {"score": int(digits), "contact_id": int(contact_id(session) or 0) or None}
    try:
        request(session, "POST", f"/ivr/calls/{call_id}/survey", body)
        session.setVariable("dialer_ivr_result", f"score_{digits}")
    except Exception as exc:  # the customer still hears the thanks
        log(f"survey for {call_id}: {exc!r}")
        session.setVariable("dialer_ivr_result", "not_stored")
    session.execute("playback", THANKS)
