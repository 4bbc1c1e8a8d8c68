"""Typed field values: what a text from a form, a file or a database becomes in ``attrs``.

Values are stored as text in ``contacts.attrs`` in one canonical form per type (E.164
phones, lower-case e-mails, ISO dates, "true"/"false"), so filters and exports compare like
with like.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from dialer.contacts.phones import PhoneError, normalize

FIELD_TYPES = ("phone", "email", "text", "number", "date", "boolean")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRUE = {"1", "true", "yes", "y", "да", "д", "+", "истина"}
_FALSE = {"0", "false", "no", "n", "нет", "н", "-", "ложь"}
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M:%S")


class ValueProblem(ValueError):
    pass


def clean_value(kind: str, raw: object, region: str = "RU") -> str | None:
    """The canonical text of ``raw`` for a field of type ``kind``; None when empty."""
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = raw.strip()
        if raw == "":
            return None
    if kind == "phone":
        try:
            return normalize(raw, region)
        except PhoneError as exc:
            raise ValueProblem(f"phone {exc}") from None
    if kind == "email":
        text = str(raw).strip().lower()
        if not _EMAIL.match(text):
            raise ValueProblem(f"{text!r} is not an e-mail address")
        return text
    if kind == "number":
        if isinstance(raw, bool):
            raise ValueProblem(f"{raw!r} is not a number")
        try:
            number = Decimal(str(raw).replace(" ", "").replace(",", "."))
        except InvalidOperation:
            raise ValueProblem(f"{raw!r} is not a number") from None
        if not number.is_finite():
            raise ValueProblem(f"{raw!r} is not a number")
        return format(number.normalize(), "f") if number == number.to_integral() else str(number)
    if kind == "date":
        if isinstance(raw, datetime):
            return raw.date().isoformat()
        if isinstance(raw, date):
            return raw.isoformat()
        text = str(raw).strip()
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
        raise ValueProblem(f"{text!r} is not a date (use YYYY-MM-DD or DD.MM.YYYY)")
    if kind == "boolean":
        if isinstance(raw, bool):
            return "true" if raw else "false"
        text = str(raw).strip().lower()
        if text in _TRUE:
            return "true"
        if text in _FALSE:
            return "false"
        raise ValueProblem(f"{raw!r} is not yes/no")
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)
