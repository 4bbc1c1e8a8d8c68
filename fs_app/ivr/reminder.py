"""Agentless reminder (R5.4): read the contact through the API, speak the amount and the date.

Dialplan: ``<action application="python" data="fs_app.ivr.reminder"/>``; mod_python3 calls
``handler(session, args)``. Prompts are Russian files under the ``ru`` sound prefix; amounts and
dates are spoken by mod_say_ru (CURRENCY: рубли/копейки with the right endings; CURRENT_DATE).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fs_app.ivr.api import Session, contact_id, log, request

INTRO = "dialer/reminder_intro.wav"  # «Здравствуйте! Напоминаем о платеже»
AMOUNT = "dialer/reminder_amount.wav"  # «Сумма к оплате»
DUE = "dialer/reminder_due.wav"  # «Срок оплаты»
BYE = "dialer/reminder_bye.wav"  # «Спасибо, до свидания»
SORRY = "dialer/reminder_unavailable.wav"  # «Информация недоступна, мы перезвоним»


def amount_text(value: str) -> str | None:
    """``"1 500,50"`` / ``"1500.5"`` -> ``"1500.50"`` (what mod_say_ru's CURRENCY reads), None if not a sum."""
    cleaned = value.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        amount = round(float(cleaned), 2)
    except ValueError:
        return None
    if amount < 0:
        return None
    return f"{amount:.2f}"


def date_epoch(value: str) -> int | None:
    """An ISO date (``2026-12-01``) or ``01.12.2026`` -> epoch seconds at local noon (CURRENT_DATE)."""
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            day = dt.datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
        return int(day.replace(hour=12).timestamp())
    return None


def handler(session: Session, args: str = "") -> None:
    if not session.ready():
        return
    session.answer()
    cid = contact_id(session)
    contact: Any = None
    if cid:
        try:
            contact = request(session, "GET", f"/ivr/contacts/{cid}")
        except Exception as exc:  # any API failure: apologise, never leave silence
            log(f"contact {cid}: {exc!r}")
    attrs = contact.get("attrs", {}) if isinstance(contact, dict) else {}
    amount = amount_text(str(attrs.get("amount", "")))
    due = date_epoch(str(attrs.get("due_date", "")))
    if amount is None and due is None:
        session.execute("playback", SORRY)
        session.setVariable("dialer_ivr_result", "no_data")
        return
    session.execute("playback", INTRO)
    if amount is not None:
        session.execute("playback", AMOUNT)
        session.execute("say", f"ru CURRENCY pronounced {amount}")
    if due is not None:
        session.execute("playback", DUE)
        session.execute("say", f"ru CURRENT_DATE pronounced {due}")
    session.execute("playback", BYE)
    session.setVariable("dialer_ivr_result", "informed")
